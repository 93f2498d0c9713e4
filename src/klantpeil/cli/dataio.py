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


def cmd_import(args: argparse.Namespace) -> int:
    setup(args)
    from tqdm import tqdm

    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.imports import Mapping, import_measurements
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import FileProblem

    organisation = organisation_or_exit(args.org)
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
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
        )
    if not report.ok:
        print(
            f"{path.name}: {len(report.problems)} problem(s); nothing was imported.",
            file=sys.stderr,
        )
        for problem in report.problems:
            print("  " + problem.describe(path.name), file=sys.stderr)
        return 1
    verb = "would import" if args.dry_run else "imported"
    print(f"{path.name}: {verb} {report.rows:,} measurements into {organisation.name}.")
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
    p.add_argument("file")
    p.add_argument("--org", metavar="SLUG", required=True)
    p.add_argument("--instrument", metavar="KEY", required=True, help="e.g. customer-survey")
    p.add_argument(
        "--mapping",
        metavar="FILE",
        help='JSON: {"columns": {"Cijfer": '
        '"overall_grade"}, "values": {"channel": {"Tel": "phone"}}}',
    )
    p.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
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
