"""The report's tables as an Excel workbook: one sheet per section, numbers stored as
numbers (with formats, so Excel shows 7,4 to a Dutch reader), for analysts who chart
or combine them further."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.utils import translation
from django.utils.translation import gettext as _

from klantpeil.analytics.weighted import EXPLANATION
from klantpeil.dashboards import figures
from klantpeil.reports.content import ReportData
from klantpeil.textanalysis.models import Sentiment

GRADE, SHARE, COUNT = "0.0", "0%", "#,##0"


def _sheet(book, title: str, header: Sequence[str], rows: Iterable[Sequence], formats: dict):
    from openpyxl.styles import Font

    sheet = book.create_sheet(title[:31])
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(name) + 2)
    sheet.freeze_panes = "A2"
    return sheet


def _shown(estimate, *cells):
    """The cells of an estimate, or blanks for a group below the minimum (no figure)."""
    return [None] * len(cells) if estimate.below_minimum_group else list(cells)


def _effect(kind: str) -> str:
    return {
        "dissatisfier": _("Costs points when it is bad"),
        "satisfier": _("Earns points when it is good"),
        "hybrid": _("Costs when bad, earns when good"),
    }.get(kind, _("No clear effect either way"))


def _weighting_sheet(book, data: ReportData, interval: str) -> None:
    """All channels together, unweighted and weighted to the contact volumes, with n and
    Kish's effective n; the reason instead when the figures could not be weighted."""
    weighting = data.weighting
    if weighting is None or weighting.status in ("no_responses", "one_channel"):
        return
    names = (("grade", _("Grade")), ("nps", "NPS"), ("ces", _("Ease (CES 1–7)")),
             ("fcr", _("Solved in one contact")))  # fmt: skip
    rows = []
    for key, label in names:
        figure = weighting.figures[key]
        u, w = figure.unweighted, figure.weighted
        rows.append(
            [label, u.value, u.ci_low, u.ci_high, u.n]
            + (
                [w.estimate.value, w.estimate.ci_low, w.estimate.ci_high, w.effective_n]
                if w is not None
                else [None, None, None, None]
            )
        )
    number = {"grade": GRADE, "nps": "0", "ces": GRADE, "fcr": SHARE}
    sheet = _sheet(
        book,
        _("All channels"),
        [_("Figure"), _("Unweighted"), f"{interval} −", f"{interval} +", "n",
         _("Weighted to contact volumes"), f"{interval} −", f"{interval} +", _("Effective n")],
        rows,
        {5: COUNT, 9: "#,##0.0"},
    )  # fmt: skip
    for index, (key, _label) in enumerate(names, start=2):
        for column in (2, 3, 4, 6, 7, 8):
            sheet.cell(index, column).number_format = number[key]
    sheet.append([])
    sheet.append([str(EXPLANATION) if weighting.weighted else weighting.reason])


def render(data: ReportData) -> bytes:
    """The workbook of ``data`` in ``data.lang``."""
    from openpyxl import Workbook

    book = Workbook()
    with translation.override(data.lang):
        moods = dict(Sentiment.choices)
        summary = book.active
        summary.title = _("Summary")[:31]
        summary.append([data.organisation])
        summary.append([_("Period"), data.period.label])
        summary.append([_("Sector"), data.sector])
        summary.append([])
        for line in data.summary:
            summary.append([line])
        summary.column_dimensions["A"].width = 110

        interval = _("95% interval")
        _sheet(
            book,
            _("Channels"),
            [_("Channel"), _("Grade"), f"{interval} −", f"{interval} +", "n", "NPS", "n (NPS)",
             _("Ease (CES 1–7)"), _("Solved in one contact"), _("Change in grade"), "p"],
            (
                [
                    k.label, *_shown(k.grade, k.grade.value, k.grade.ci_low, k.grade.ci_high),
                    k.grade.n, *_shown(k.nps, k.nps.value), k.nps.n, *_shown(k.ces, k.ces.value),
                    *_shown(k.fcr, k.fcr.value),
                    change.difference if change else None,
                    change.p_value if change else None,
                ]
                for k in [*data.channels]
                for change in [data.changes.get(k.kind, {}).get("grade")]
            ),
            {2: GRADE, 3: GRADE, 4: GRADE, 5: COUNT, 6: "0", 7: COUNT, 8: GRADE, 9: SHARE,
             10: "+0.0;-0.0", 11: "0.000"},
        )  # fmt: skip
        _sheet(
            book,
            _("Trend"),
            [_("Month"), _("Channel"), _("Grade"), f"{interval} −", f"{interval} +", "n"],
            (
                [
                    p.month,
                    p.label,
                    *_shown(p.grade, p.grade.value, p.grade.ci_low, p.grade.ci_high),
                    p.grade.n,
                ]
                for p in data.trend
            ),
            {1: "yyyy-mm", 3: GRADE, 4: GRADE, 5: GRADE, 6: COUNT},
        )
        _weighting_sheet(book, data, interval)
        if data.drivers:
            _sheet(
                book,
                _("Drivers"),
                ["#", _("Driver"), _("Weight in the grade"), f"{interval} −", f"{interval} +",
                 _("Score"), _("Advice"), _("How it works"), _("Expected gain in the grade"),
                 f"{interval} −", f"{interval} +", _("Target")],
                (
                    [
                        p.rank, data.driver_labels[p.name], p.share,
                        *data.drivers.intervals.get(p.name, (None, None)), p.performance,
                        figures.position_label(p.label),
                        _effect(data.drivers.asymmetry[p.name].kind)
                        if p.name in data.drivers.asymmetry
                        else "",
                        p.expected_gain, p.expected_gain_low, p.expected_gain_high, p.target,
                    ]
                    for p in data.drivers.priorities
                ),
                {3: SHARE, 4: SHARE, 5: SHARE, 6: GRADE, 9: "0.00", 10: "0.00", 11: "0.00",
                 12: GRADE},
            )  # fmt: skip
        if data.reachability:
            _sheet(
                book,
                _("Reachability"),
                [_("Measurement point"), _("Result"), f"{interval} −", f"{interval} +", "n",
                 _("Norm"), _("Norm met")],
                (
                    [
                        data.reachability_labels.get(key, key), k.value, k.ci_low, k.ci_high,
                        k.n, k.norm,
                        None if k.meets_norm is None else (_("yes") if k.meets_norm else _("no")),
                    ]
                    for key, k in data.reachability.items()
                ),
                {2: SHARE, 3: SHARE, 4: SHARE, 5: COUNT, 6: SHARE},
            )  # fmt: skip
        _sheet(
            book,
            _("Benchmark"),
            [_("Period"), _("Channel"), _("Your grade"), "n", _("Your place"),
             _("Lower quartile"), _("Sector median"), _("Upper quartile"), _("Organisations"),
             _("Not shown because")],
            (
                [data.benchmarks.period.label, r["label"], r["cell"].own, r["cell"].own_n,
                 r["band"] or None,
                 *((r["cell"].edges.q1, r["cell"].edges.median, r["cell"].edges.q3)
                   if r["cell"].edges else (None, None, None)),
                 r["cell"].organisations, r["reason"] or None]
                for r in figures.sector_table(data.benchmarks.rows)
            ) if not data.benchmarks.refused else [[data.period.label, data.benchmarks.refused]],
            {3: GRADE, 4: COUNT, 6: GRADE, 7: GRADE, 8: GRADE, 9: COUNT},
        )  # fmt: skip
        _sheet(
            book,
            _("Comments"),
            [_("Date"), _("Channel"), _("Grade"), _("Sentiment"), _("Comment")],
            (
                [c.day, c.channel, c.grade, str(moods.get(c.sentiment, "")), c.text]
                for c in data.comments
            ),
            {1: "yyyy-mm-dd", 3: "0"},
        )
        if data.social:
            s = data.social
            _sheet(
                book,
                _("Social media"),
                [_("Customer posts"), _("Mood (1–3)"), f"{interval} −", f"{interval} +",
                 _("Answered by the organisation"), f"{interval} −", f"{interval} +",
                 _("Median business hours to the answer")],
                [[s.volume, s.mood.value, s.mood.ci_low, s.mood.ci_high, s.answered.value,
                  s.answered.ci_low, s.answered.ci_high, s.median_response_hours]],
                {1: COUNT, 2: GRADE, 3: GRADE, 4: GRADE, 5: SHARE, 6: SHARE, 7: SHARE, 8: GRADE},
            )  # fmt: skip
        if data.invitations:
            _sheet(
                book,
                _("Invitations"),
                [_("Step"), _("Invitations"), _("Share of made"), _("Of the step before")],
                ([label, n, share, before] for label, n, share, before, _main in data.invitations),
                {2: COUNT, 3: SHARE, 4: SHARE},
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
