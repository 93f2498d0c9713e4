"""``klantpeil import``, ``export`` and ``report``: results in and out of one organisation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from klantpeil.cli.common import (
    Add,
    organisation_or_exit,
    setup,
)


def _suggest(args: argparse.Namespace, path: Path) -> int:
    import json

    from klantpeil.dataio.formats import normalise
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import FileProblem, read_raw_table
    from klantpeil.dataio.suggest import (
        questions_from_definition,
        questions_from_version,
        suggest_mapping,
    )
    from klantpeil.instruments.services import standard_definitions

    instrument = args.instrument or "customer-survey-history"
    try:
        source = normalise(read_raw_table(path.read_bytes(), path.name, LOCAL_FILE_LIMITS))
    except FileProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.org:  # the organisation's own instrument of that key wins
        from klantpeil.core.tenancy import tenant
        from klantpeil.instruments.models import Instrument
        from klantpeil.instruments.selectors import latest_version

        with tenant(organisation_or_exit(args.org)):
            try:
                questions = questions_from_version(latest_version(key=instrument))
            except Instrument.DoesNotExist:
                print(f"error: unknown instrument {instrument!r}", file=sys.stderr)
                return 2
    else:
        definition = next((d for d in standard_definitions() if d["key"] == instrument), None)
        if definition is None:
            print(
                f"error: {instrument!r} is no standard instrument; give --org for your own",
                file=sys.stderr,
            )
            return 2
        questions = questions_from_definition(definition)
    draft = suggest_mapping(source, instrument, questions)
    print(f"{path.name}: detected {source.format.label}", file=sys.stderr)
    print(json.dumps(draft, ensure_ascii=False, indent=2))
    return 0


def _print_plan(report, name: str) -> None:
    print(f"{name}: detected {report.format_label}")
    if report.plan:
        width = max(len(p.column) for p in report.plan)
        for plan in report.plan:
            print(f"  {plan.column:<{width}}  {plan.describe()}")


def cmd_import(args: argparse.Namespace) -> int:
    setup(args)
    from tqdm import tqdm

    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.imports import Mapping, import_measurements
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import FileProblem

    path = Path(args.suggest_mapping or args.file or "")
    if not (args.suggest_mapping or args.file):
        print("error: give a FILE to import or --suggest-mapping FILE", file=sys.stderr)
        return 2
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    if args.suggest_mapping:
        return _suggest(args, path)
    if not args.org or not args.instrument:
        print("error: an import needs --org and --instrument", file=sys.stderr)
        return 2
    organisation = organisation_or_exit(args.org)
    mapping = None
    if args.mapping:
        try:
            mapping = Mapping.from_json(
                Path(args.mapping).read_text(encoding="utf-8-sig"), args.mapping
            )
        except (OSError, FileProblem) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    with (
        tenant(organisation),
        tqdm(desc=f"Checking {path.name}", unit="row", file=sys.stderr) as bar,
    ):
        report = import_measurements(
            data=path.read_bytes(),
            name=path.name,
            instrument=args.instrument,
            mapping=mapping,
            progress=bar.update,
            dry_run=args.dry_run,
            limits=LOCAL_FILE_LIMITS,  # the operator's own file: no upload size or row limit
            strict=args.strict,
        )
    if args.dry_run or not report.ok:
        _print_plan(report, path.name)
    for warning in report.warnings:
        print("  warning: " + warning.describe(path.name), file=sys.stderr)
    if not report.ok:
        print(
            f"{path.name}: {len(report.problems)} problem(s); nothing was imported.",
            file=sys.stderr,
        )
        for problem in report.problems:
            print("  " + problem.describe(path.name), file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    count = report.rows - report.skipped
    skipped = f" ({report.skipped:,} imported before, skipped)" if report.skipped else ""
    print(f"{path.name}: {verb} {count:,} measurements into {organisation.name}{skipped}.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    setup(args)
    from tqdm import tqdm

    from klantpeil.core.tenancy import tenant
    from klantpeil.metrics.periods import parse_period
    from klantpeil.reports.build import build
    from klantpeil.reports.content import STEPS

    organisation = organisation_or_exit(args.org)
    output = Path(args.output)
    fmt = args.format or output.suffix.lower().lstrip(".")
    try:
        period = parse_period(args.period)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with (
        tenant(organisation),
        tqdm(total=len(STEPS), desc="Report", unit="step", file=sys.stderr) as bar,
    ):

        def step(name: str) -> None:  # called as each step starts
            bar.n = STEPS.index(name)
            bar.set_postfix_str(name)

        try:
            data = build(period, fmt=fmt, lang=args.lang, progress=step)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        bar.n = len(STEPS)
        bar.set_postfix_str("done")
    output.write_bytes(data)
    print(f"Wrote {output} ({fmt}, {len(data):,} bytes): {organisation.name}, {period.label}.")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    setup(args)
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.exports import export_rows, write_csv, write_xlsx
    from klantpeil.instruments.models import Instrument

    organisation = organisation_or_exit(args.org)
    output = Path(args.output)
    fmt = args.format or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
    filters = MeasurementFilter(
        period=args.period, channel=args.channel, unit=args.unit, method=args.method
    )
    with tenant(organisation):
        try:
            header, rows = export_rows(filters, args.instrument)
            data = (
                write_xlsx(header, rows)
                if fmt == "xlsx"
                else write_csv(header, rows, dutch=not args.international)
            )
        except Instrument.DoesNotExist:
            print(f"error: unknown instrument {args.instrument!r}", file=sys.stderr)
            return 2
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    output.write_bytes(data)
    print(f"Wrote {output} ({fmt}, {len(data):,} bytes).")
    return 0


def add_commands(add: Add, data: argparse.ArgumentParser) -> None:
    """import, export and report, in the order ``klantpeil --help`` lists them."""
    p = add(
        "import",
        cmd_import,
        "import historic results from a CSV or XLSX file; every row "
        "is checked first and one bad row means nothing is written",
        [data],
    )
    p.add_argument("file", nargs="?")
    p.add_argument("--org", metavar="SLUG", help="required for an import")
    p.add_argument(
        "--instrument",
        metavar="KEY",
        help="e.g. customer-survey, or customer-survey-history (every question optional)",
    )
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help='JSON: {"columns": {"Cijfer": "overall_grade"}, "drop": ["IPAddress"], '
        '"scales": {"Q1": "linear-1-5-to-1-10"}, "values": {"channel": {"Tel": "phone"}}, '
        '"dates": {"Datum": "%%d-%%m-%%Y"}}',
    )
    p.add_argument(
        "--suggest-mapping",
        metavar="FILE",
        help="print a draft mapping for FILE as JSON (the tool it came from is detected)",
    )
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
    p.add_argument(
        "--strict", action="store_true", help="refuse the file on warnings too (e.g. 1980-01-01)"
    )
    p = add("export", cmd_export, "export measurements of one instrument as CSV or XLSX", [data])
    p.add_argument("--org", metavar="SLUG", required=True)
    p.add_argument("--instrument", metavar="KEY", default="customer-survey")
    p.add_argument("--output", "-o", metavar="FILE", required=True)
    p.add_argument("--format", choices=["csv", "xlsx"], help="default: from the file name")
    p.add_argument("--period", help="2026-09, 2026-Q3 or 2026")
    p.add_argument("--channel", help="channel kind, e.g. phone")
    p.add_argument("--unit", help="unit code")
    p.add_argument("--method", help="e.g. customer_survey")
    p.add_argument(
        "--international",
        action="store_true",
        help="CSV with commas and decimal points instead of the Dutch ; and ,",
    )
    p = add(
        "report",
        cmd_report,
        "one organisation's report for a period: PDF (multi-page), PNG (one picture) or "
        "XLSX (the tables)",
        [data],
    )
    p.add_argument("--org", metavar="SLUG", required=True)
    p.add_argument("--period", required=True, help="a month 2026-09, quarter 2026-Q3 or year 2026")
    p.add_argument("--format", choices=["pdf", "png", "xlsx"], help="default: from the file name")
    p.add_argument("--lang", choices=["nl", "en"], default="nl", help="language (default nl)")
    p.add_argument("--output", "-o", metavar="FILE", required=True)
