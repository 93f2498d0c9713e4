"""``klantpeil orgs create`` and ``klantpeil units import``: setting up client
organisations from the command line, for consultancies that onboard many at once.

Both print a short line for people or, with ``--format json``, one JSON object for
scripts; errors go to standard error (JSON with ``--format json``) with exit code 2,
and nothing is half-written."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from klantpeil.cli.common import Add, setup

COLUMNS = ("code", "name", "parent")


def _fail(args: argparse.Namespace, problems: list[dict]) -> int:
    """Report ``problems`` (each a dict with at least "message") and return exit code 2."""
    if args.format == "json":
        print(json.dumps({"ok": False, "problems": problems}, ensure_ascii=False), file=sys.stderr)
    else:
        for p in problems:
            print(f"error: {p['message']}", file=sys.stderr)
    return 2


def cmd_orgs_create(args: argparse.Namespace) -> int:
    setup(args)
    from klantpeil.organisations.setup_services import SetupError, create_organisation

    languages = [code.strip() for code in (args.languages or "").split(",") if code.strip()]
    languages = list(dict.fromkeys(languages)) or ["nl", "en"]
    try:
        # The operator's command line: nobody becomes a member (creator None).
        organisation = create_organisation(
            creator=None,
            slug=args.slug,
            name=args.name,
            sector_key=args.sector,
            languages=languages,
            default_language=languages[0],
        )
    except SetupError as exc:
        return _fail(
            args,
            [{"field": f, "message": f"--{f}: {m}"} for f, m in exc.errors.items()],
        )
    row = {
        "slug": organisation.slug,
        "name": organisation.name,
        "sector": organisation.sector.key,
        "languages": organisation.languages,
    }
    if args.format == "json":
        print(json.dumps({"ok": True, "organisation": row}, ensure_ascii=False))
    else:
        print(
            f"Created {organisation.name} ({organisation.slug}, sector {row['sector']}). "
            f"Next: klantpeil units import FILE --org {organisation.slug}"
        )
    return 0


def read_units_csv(text: str, file: str) -> tuple[list, list[dict]]:
    """The rows of a ``code;name;parent`` file, or its problems (file, row, column).

    A first line ``code;name;parent`` is a header and skipped; a comma instead of a
    semicolon is accepted when the whole file uses it (spreadsheets differ)."""
    from klantpeil.organisations.services import UnitRow

    first = text.splitlines()[0] if text.strip() else ""
    delimiter = "," if ";" not in first and "," in first else ";"
    rows, problems = [], []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if line == 1 and [c.strip().lower() for c in cells[:3]] == list(COLUMNS):
            continue
        if len(cells) not in (2, 3):
            problems.append(
                {
                    "file": file,
                    "row": line,
                    "column": None,
                    "message": f"{file}, row {line}: expected 2 or 3 columns "
                    f"(code;name;parent), found {len(cells)}",
                }
            )
            continue
        rows.append(UnitRow(line, cells[0], cells[1], cells[2] if len(cells) == 3 else ""))
    if not rows and not problems:
        problems.append(
            {"file": file, "row": None, "column": None, "message": f"{file}: no units in the file"}
        )
    return rows, problems


def cmd_units_import(args: argparse.Namespace) -> int:
    setup(args)
    from klantpeil.cli.common import organisation_or_exit
    from klantpeil.core.tenancy import tenant
    from klantpeil.organisations.services import UnitError, import_units

    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return _fail(args, [{"file": args.file, "message": f"{args.file}: {exc.strerror}"}])
    except UnicodeDecodeError:
        return _fail(args, [{"file": args.file, "message": f"{args.file}: not UTF-8 text"}])
    rows, problems = read_units_csv(text, args.file)
    if problems:
        return _fail(args, problems)
    organisation = organisation_or_exit(args.org)
    try:
        with tenant(organisation):
            result = import_units(rows)
    except UnitError as exc:
        return _fail(
            args,
            [
                {
                    "file": args.file,
                    "row": p.row,
                    "column": p.field,
                    "message": f"{args.file}, row {p.row}, column {p.field}: {p.message}",
                }
                for p in exc.problems
            ],
        )
    summary = {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}
    if args.format == "json":
        print(json.dumps({"ok": True, "organisation": organisation.slug, **summary}))
    else:
        print(
            f"{organisation.name}: {result.created} unit(s) created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
    return 0


def add_orgs_create(orgs: argparse.ArgumentParser, data: argparse.ArgumentParser) -> None:
    """``klantpeil orgs create`` below ``klantpeil orgs`` (which still lists)."""
    from klantpeil.organisations.sectors import SHIPPED_SECTORS

    sub = orgs.add_subparsers(dest="orgs_action", metavar="ACTION")
    help_ = "create a client organisation (the sector taxonomy ships with the product)"
    p = sub.add_parser("create", help=help_, description=help_, parents=[data])
    p.set_defaults(handler=cmd_orgs_create)
    p.add_argument("--slug", required=True, help="its address in the app: /app/SLUG/")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--sector",
        required=True,
        metavar="KEY",
        help="one of: " + ", ".join(key for key, _nl, _en in SHIPPED_SECTORS),
    )
    p.add_argument(
        "--languages",
        metavar="nl,en",
        help="the languages its respondents use, comma-separated (default nl,en)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")


def add_commands(add: Add, data: argparse.ArgumentParser) -> None:
    p = add("units", _units_help, "manage an organisation's units from files", [data])
    sub = p.add_subparsers(dest="units_action", metavar="ACTION", required=True)
    help_ = (
        "create or update units from a CSV file with the columns code;name;parent "
        "(parent: a code in the file or in the organisation, empty for top level); "
        "all or nothing, re-importing updates names and parents by code"
    )
    p = sub.add_parser("import", help=help_, description=help_, parents=[data])
    p.set_defaults(handler=cmd_units_import)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--org", metavar="SLUG", required=True)
    p.add_argument("--format", choices=["text", "json"], default="text")


def _units_help(args: argparse.Namespace) -> int:  # pragma: no cover - argparse requires ACTION
    return 2
