"""Calibration from a table: the same recorded contacts scored by several evaluators.

Reads one row per contact × evaluator with a column per measurement point (as
the CLI and the app's upload give it) and reports Krippendorff's alpha per
point, weakest first: those need a sharper definition.
"""

from __future__ import annotations

from klantpeil.dataio.reading import Table, cell_text
from klantpeil.metrics.agreement import item_agreement, scores_from_rows, verdict
from klantpeil.metrics.reachability import parse_yes_no


class CalibrationError(ValueError):
    """The table cannot be read as calibration scores; the message says where."""


def parse_score(text: str) -> object:
    if text == "":
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        pass
    try:
        return float(parse_yes_no(text))  # ja/nee and yes/no agree with 1/0
    except ValueError:
        return text


def agreement_from_table(table: Table, contact: str, rater: str, levels: dict[str, str]) -> dict:
    """Krippendorff's alpha per measurement point of a table with one row per contact and
    evaluator, weakest first; CalibrationError names a missing column."""
    missing = [c for c in (contact, rater) if c not in table.columns]
    if missing:
        raise CalibrationError(f"{table.name}: missing column(s) {', '.join(missing)}")
    rows = [
        {
            column: cell_text(value)
            if column in (contact, rater)
            else parse_score(cell_text(value))
            for column, value in cells.items()
        }
        for _, cells in table.numbered()
    ]
    unknown = sorted(set(levels) - set(table.columns))
    if unknown:
        raise CalibrationError(f"{table.name}: no column(s) {', '.join(unknown)}")
    try:
        results = item_agreement(
            scores_from_rows(rows, contact, rater), levels, bootstrap=500, seed=1
        )
    except ValueError as exc:  # text where a number is compared (an ordinal or interval point)
        raise CalibrationError(f"{table.name}: {exc}") from None
    items = [
        {
            "item": item,
            "alpha": a.value,
            "ci_low": a.ci_low,
            "ci_high": a.ci_high,
            "contacts": a.units,
            "raters": a.raters,
            "level": levels.get(item, "nominal"),
            "verdict": verdict(a.value),
        }
        for item, a in results.items()
    ]
    # Weakest first: the measurement points whose definition needs work.
    items.sort(key=lambda i: (i["alpha"] is not None, i["alpha"] or 0))
    return {"statistic": "krippendorff_alpha", "items": items}
