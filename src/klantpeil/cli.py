"""The ``klantpeil`` command.

Every command finds the database the same way: ``DATABASE_URL`` when set,
otherwise the SQLite file in the data folder (``--data-dir``, default a
per-user data folder). Django is set up only after the options are read, so
``--data-dir`` works for every command.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup(args: argparse.Namespace) -> None:
    if getattr(args, "data_dir", None):
        os.environ["KLANTPEIL_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantpeil.config.settings")
    import django
    from django.utils import translation

    django.setup()
    # Command output is for operators and scripts: English, like Django's own commands.
    translation.activate("en")


def _database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.settings_dict['NAME']}"
    settings = connection.settings_dict
    return f"{connection.vendor} {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup(args)
    print(f"Database: {_database_label()}")
    _migrate(verbosity=1)
    return 0


def _serve(args: argparse.Namespace) -> None:
    """Serve the app with waitress and, beside it, the background worker as a child process."""
    from waitress import serve

    from klantpeil.config.wsgi import application

    worker = None
    if not args.no_worker:
        # The child finds the same database: KLANTPEIL_DATA_DIR and DATABASE_URL are inherited.
        worker = subprocess.Popen(
            [sys.executable, "-m", "klantpeil", "worker", "--exit-with", str(os.getpid())]
        )
    from django.conf import settings

    from klantpeil.dataio.limits import MB, UPLOAD_LIMITS

    # No request body larger than the largest upload (plus its form): waitress would
    # otherwise take up to 1 GB to a temporary file before Django refuses it.
    options = {"max_request_body_size": UPLOAD_LIMITS.max_bytes + MB}
    if settings.KLANTPEIL_TRUSTED_PROXIES:
        # Waitress strips X-Forwarded-* and Forwarded unless it trusts the peer itself, and
        # it trusts one address only; Klantpeil's ProxyMiddleware decides instead, for the
        # networks in KLANTPEIL_TRUSTED_PROXIES, and strips them for everyone else.
        options["clear_untrusted_proxy_headers"] = False
    try:
        serve(
            application,
            host=args.host,
            port=args.port,
            threads=args.threads,
            ident="klantpeil",
            **options,
        )
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=30)


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(args)
    from django.conf import settings

    print(f"Database: {_database_label()}")
    if settings.KLANTPEIL_TRUSTED_PROXIES:
        proxies = ", ".join(str(n) for n in settings.KLANTPEIL_TRUSTED_PROXIES)
        print(f"Client addresses and scheme from the proxies at {proxies}")
    elif settings.SECURE_SSL_REDIRECT:
        print("Behind a TLS proxy? Set KLANTPEIL_TRUSTED_PROXIES (see README, Configuration).")
    print(f"Klantpeil is served at http://{args.host}:{args.port}/  (stop with Ctrl+C)", flush=True)
    _serve(args)
    return 0


def _exit_with(pid: int) -> None:
    """Stop this process when ``pid`` is gone: a server killed hard leaves no worker behind."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def cmd_worker(args: argparse.Namespace) -> int:
    _setup(args)
    from django.core.management import call_command

    if args.exit_with:
        _exit_with(args.exit_with)
    from klantpeil.rollups.tasks import resume_after_crash, worker_id

    resume_after_crash()
    # No autoreloader (on by default under DEBUG): it would run the worker in a grandchild
    # whose parent is the reloader, so --exit-with would see the server gone and stop it.
    # The worker id names host and process, so a task it leaves running can be reclaimed.
    call_command(
        "db_worker",
        batch=args.once,
        interval=args.interval,
        startup_delay=False,
        reload=False,
        worker_id=worker_id(),
    )
    return 0


def cmd_rollups(args: argparse.Namespace) -> int:
    _setup(args)
    from tqdm import tqdm

    from klantpeil.organisations.models import Organisation
    from klantpeil.rollups import services as rollups

    print(f"Database: {_database_label()}")
    if args.action == "refresh":
        result = rollups.refresh()
        print(
            f"Folded {result['measurements']:,} new measurement(s) of "
            f"{result['organisations']} organisation(s) into "
            f"{result['rows']:,} cells ({result['days']:,} days recomputed)."
        )
    if args.action in ("refresh", "check"):
        repair = args.action == "refresh" or args.repair
        check = rollups.check(repair=repair, trigger=f"cli {args.action}")
        print(
            f"Checked {check.days:,} days of {check.organisations} organisation(s): "
            f"{check.days_different} differed from the raw counts"
            + (f", {check.days_repaired} repaired." if repair else ".")
        )
        for difference in check.differences[:20]:
            print(
                f"  {difference['organisation']} {difference['day']}: "
                f"rollups {difference['rollups']}, raw {difference['raw']}"
            )
        return 1 if check.days_different and not repair else 0
    total = Organisation.objects.count()
    with tqdm(total=total, desc="Rebuilding rollups", unit="org", file=sys.stderr) as bar:
        result = rollups.rebuild_all(progress=bar.update)
    print(f"Rebuilt {result['rows']:,} cells for {result['organisations']} organisations.")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """``backup`` and ``restore``: the same database, copied in either direction."""
    _setup(args)
    from klantpeil.core import backup as backups

    print(f"Database: {_database_label()}")
    try:
        if args.command == "backup":
            summary = backups.backup(path=Path(args.file))
        else:
            summary = backups.restore(path=Path(args.file), replace=args.replace)
    except backups.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    what = f"{summary.organisations} organisations and {summary.measurements:,} measurements"
    if args.command == "backup":
        print(f"Backed up {what} to {summary.path} ({summary.size:,} bytes).")
    else:
        print(f"Restored {what} from {summary.path}.")
        print("Run 'klantpeil migrate' if the backup comes from an older version.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["KLANTPEIL_DEMO"] = "1"  # every page says it is a demo (config/env.py)
    _setup(args)
    from tqdm import tqdm

    from klantpeil.demo.generate import generate
    from klantpeil.demo.logins import DEMO_PASSWORD, create_logins, ensure_demo_survey_link
    from klantpeil.demo.universe import SECTORS
    from klantpeil.organisations.models import Organisation

    print(f"Database: {_database_label()}")
    _migrate()
    if args.reset:
        from klantpeil.demo.reset import wipe_demo

        wipe_demo()
    if Organisation.objects.exists():
        print(
            f"Reusing the existing data ({Organisation.objects.count()} organisations); "
            "use --reset to generate it again."
        )
    else:
        total = sum(len(s.organisations) for s in SECTORS)
        with tqdm(total=total, desc="Generating demo data", unit="org", file=sys.stderr) as bar:
            result = generate(seed=args.seed, scale=args.scale, progress=bar.update)
        print(
            f"Generated {result.measurements:,} measurements with {result.answers:,} answers "
            f"for {result.organisations} organisations in {result.seconds:.1f} s "
            f"(seed {args.seed})."
        )
        from klantpeil.rollups import services as rollups

        with tqdm(total=total, desc="Building rollups", unit="org", file=sys.stderr) as bar:
            rollups.rebuild_all(progress=bar.update)
    logins = create_logins()
    survey = ensure_demo_survey_link()
    from klantpeil.demo.fieldwork import ensure_demo_studies

    ensure_demo_studies(
        Organisation.objects.get(name=SECTORS[0].organisations[0]), "shopper@klantpeil.example"
    )
    url = f"http://{args.host}:{args.port}/"
    print(f"\nKlantpeil demo: {url}")
    print(f"Survey form as a customer sees it: {url.rstrip('/')}{survey}")
    print(f"API documentation: {url}api/v1/docs (make a token under 'API tokens' in the app)")
    print(f"\nLog in with password '{DEMO_PASSWORD}' as:")
    width = max(len(login.email) for login in logins)
    for login in logins:
        print(f"  {login.email:<{width}}  {login.role:<9} {login.where}")
    if args.no_serve:
        return 0
    print("\nServing until stopped (Ctrl+C).", flush=True)
    _serve(args)
    return 0


def cmd_orgs(args: argparse.Namespace) -> int:
    _setup(args)
    from klantpeil.organisations.models import Organisation

    rows = [
        {"slug": o.slug, "name": o.name, "sector": o.sector.key}
        for o in Organisation.objects.select_related("sector").order_by("sector__key", "name")
    ]
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("No organisations yet. Run `klantpeil demo` or add one in the back office.")
        return 0
    slug_w = max(len(r["slug"]) for r in rows)
    sector_w = max(len(r["sector"]) for r in rows)
    print(f"{'SLUG':<{slug_w}}  {'SECTOR':<{sector_w}}  NAME")
    for r in rows:
        print(f"{r['slug']:<{slug_w}}  {r['sector']:<{sector_w}}  {r['name']}")
    return 0


def cmd_createuser(args: argparse.Namespace) -> int:
    _setup(args)
    from django.core.exceptions import ValidationError

    from klantpeil.accounts.models import Role
    from klantpeil.accounts.services import add_member
    from klantpeil.organisations.models import Organisation

    organisation = None
    if args.org:
        organisation = Organisation.objects.filter(slug=args.org).first()
        if organisation is None:
            print(
                f"error: no organisation with slug {args.org!r} (see `klantpeil orgs`)",
                file=sys.stderr,
            )
            return 2
    elif args.role != Role.OPERATOR:
        print(f"error: --org is required for the role {args.role!r}", file=sys.stderr)
        return 2
    password = os.environ.get("KLANTPEIL_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            print("error: set KLANTPEIL_PASSWORD or run interactively", file=sys.stderr)
            return 2
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        user, _ = add_member(
            email=args.email, organisation=organisation, role=args.role, password=password
        )
    except ValidationError as exc:
        print("error: " + " ".join(exc.messages), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = f"in {organisation.name}" if organisation else "(back office)"
    print(f"{user.email} is {args.role} {where}.")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    _setup(args)
    from klantpeil.accounts.models import ApiToken, TokenScope
    from klantpeil.accounts.services import issue_api_token, revoke_api_token
    from klantpeil.organisations.models import Organisation

    organisation = Organisation.objects.filter(slug=args.org).first()
    if organisation is None:
        print(
            f"error: no organisation with slug {args.org!r} (see `klantpeil orgs`)", file=sys.stderr
        )
        return 2
    tokens = ApiToken.all_tenants.filter(organisation=organisation)
    if args.list:
        _list_tokens(tokens)
        return 0
    if args.revoke:
        token = tokens.filter(prefix=args.revoke).first()
        if token is None:
            print(f"error: {organisation.name} has no token {args.revoke!r}", file=sys.stderr)
            return 2
        revoke_api_token(token=token)
        print(f"Revoked {token.prefix} ({token.name}).")
        return 0
    scope = TokenScope.READ if args.read_only else TokenScope.WRITE
    try:
        issued = issue_api_token(
            organisation=organisation, name=args.name, days=args.days, scope=scope
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(issued.secret)
    print(
        f"API token {issued.token.prefix} ({TokenScope(scope).label.lower()}) for "
        f"{organisation.name}, valid until {issued.token.expires_at:%Y-%m-%d}. "
        "It is shown only now; store it safely.",
        file=sys.stderr,
    )
    return 0


def _list_tokens(tokens) -> None:
    """One line per token: prefix, name, access, state (expiry) and last use."""
    from django.utils import timezone

    from klantpeil.accounts.models import TokenScope

    rows = []
    now = timezone.now()
    for token in tokens:
        if token.revoked_at:
            state = f"revoked {timezone.localtime(token.revoked_at):%Y-%m-%d}"
        elif token.expires_at <= now:
            state = f"expired {timezone.localtime(token.expires_at):%Y-%m-%d}"
        else:
            state = f"expires {timezone.localtime(token.expires_at):%Y-%m-%d}"
        used = (
            f"{timezone.localtime(token.last_used_at):%Y-%m-%d %H:%M}"
            if token.last_used_at
            else "never"
        )
        access = str(TokenScope(token.scope).label).lower()
        rows.append((token.prefix, token.name, access, state, used))
    if not rows:
        print("No API tokens yet.")
        return
    header = ("PREFIX", "NAME", "ACCESS", "STATE", "LAST USED")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        cells = [f"{cell:<{w}}" for cell, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[4]]))


def _organisation_or_exit(slug: str):
    from klantpeil.organisations.models import Organisation

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        print(f"error: no organisation with slug {slug!r} (see `klantpeil orgs`)", file=sys.stderr)
        raise SystemExit(2)
    return organisation


def cmd_import(args: argparse.Namespace) -> int:
    _setup(args)
    from tqdm import tqdm

    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.imports import Mapping, import_measurements
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import FileProblem

    organisation = _organisation_or_exit(args.org)
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
    _setup(args)
    from tqdm import tqdm

    from klantpeil.core.tenancy import tenant
    from klantpeil.metrics.periods import parse_period
    from klantpeil.reports.build import build
    from klantpeil.reports.content import STEPS

    organisation = _organisation_or_exit(args.org)
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
    _setup(args)
    from klantpeil.collection.selectors import MeasurementFilter
    from klantpeil.core.tenancy import tenant
    from klantpeil.dataio.exports import export_rows, write_csv, write_xlsx
    from klantpeil.instruments.models import Instrument

    organisation = _organisation_or_exit(args.org)
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


def cmd_manage(args: argparse.Namespace) -> int:
    _setup(args)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["klantpeil manage", *args.arguments])
    return 0


def _data_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder for the SQLite database (ignored when DATABASE_URL is set); "
        "default: a per-user data folder",
    )
    return parent


def _server_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on ({DEFAULT_HOST})"
    )
    parent.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port ({DEFAULT_PORT})")
    parent.add_argument("--threads", type=int, default=8, help="worker threads (8)")
    parent.add_argument(
        "--no-worker",
        action="store_true",
        help="do not start the background worker (run 'klantpeil worker' yourself)",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    from klantpeil.accounts.roles import ROLE_NAMES

    parser = argparse.ArgumentParser(
        prog="klantpeil",
        description="Klantpeil: measure the quality of customer contact.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data, server = _data_options(), _server_options()

    def add(name: str, handler: Callable, help_: str, parents: Sequence) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=list(parents))
        p.set_defaults(handler=handler)
        return p

    p = add(
        "demo",
        cmd_demo,
        "create (or reuse) a demo database with a year of realistic "
        "data, print the logins and serve it",
        [data, server],
    )
    p.add_argument("--seed", type=int, default=1, help="random seed; same seed, same data (1)")
    p.add_argument("--reset", action="store_true", help="delete the demo data and generate anew")
    p.add_argument(
        "--scale", type=float, default=1.0, help="volume factor (1.0 ≈ 120,000 measurements)"
    )
    p.add_argument("--no-serve", action="store_true", help="prepare the data and logins, then exit")
    add(
        "serve",
        cmd_serve,
        "serve Klantpeil with a production WSGI server (waitress)",
        [data, server],
    )
    p = add(
        "worker",
        cmd_worker,
        "run the background worker that keeps the dashboards' rollups current",
        [data],
    )
    p.add_argument("--once", action="store_true", help="run what is queued, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls (1)")
    p.add_argument("--exit-with", type=int, metavar="PID", help=argparse.SUPPRESS)
    p = add(
        "rollups",
        cmd_rollups,
        "fold new measurements into the rollups, rebuild them all from the measurements, "
        "or check them against the raw counts",
        [data],
    )
    p.add_argument(
        "action",
        choices=["refresh", "rebuild", "check"],
        help="refresh: fold pending measurements in, then check; rebuild: recompute all; "
        "check: compare the rollups with the raw counts per organisation and day",
    )
    p.add_argument(
        "--repair",
        action="store_true",
        help="with check: rebuild the days that differ (without it, exit 1 when any do)",
    )
    p = add(
        "backup",
        cmd_backup,
        "copy the whole database to FILE while the server keeps running "
        "(SQLite: online backup; PostgreSQL: pg_dump)",
        [data],
    )
    p.add_argument("file", metavar="FILE")
    p = add(
        "restore",
        cmd_backup,
        "replace the database's contents with a backup made by 'klantpeil backup' "
        "(stop the server first)",
        [data],
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--replace",
        action="store_true",
        help="go ahead when the database already holds organisations",
    )
    add(
        "migrate", cmd_migrate, "create or upgrade the database tables and standard content", [data]
    )
    p = add("orgs", cmd_orgs, "list organisations with their slugs and sectors", [data])
    p.add_argument("--format", choices=["table", "json"], default="table")
    p = add(
        "createuser",
        cmd_createuser,
        "create a user or give an existing user a role in an "
        "organisation; the password comes from KLANTPEIL_PASSWORD or is asked for",
        [data],
    )
    p.add_argument("email")
    p.add_argument("--org", metavar="SLUG", help="organisation slug (not needed for operators)")
    p.add_argument("--role", required=True, choices=ROLE_NAMES)
    p = add(
        "token",
        cmd_token,
        "make, list or revoke API tokens of one organisation; a new "
        "token is printed once on standard output",
        [data],
    )
    p.add_argument("--org", metavar="SLUG", required=True)
    p.add_argument("--name", default="API token", help="what the token is for")
    p.add_argument("--days", type=int, default=365, help="days until it expires (365)")
    p.add_argument(
        "--read-only",
        action="store_true",
        help="a token that may only read (GET); without it the token may read and write",
    )
    p.add_argument(
        "--list",
        action="store_true",
        help="list the organisation's tokens with their access, expiry and last use",
    )
    p.add_argument("--revoke", metavar="PREFIX", help="revoke the token with this prefix")
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
    from klantpeil.analytics.cli import add_parser as add_analyse

    add_analyse(sub)
    from klantpeil.privacy.cli import add_parser as add_privacy

    add_privacy(sub, parents=[data], setup=_setup)
    p = add("manage", cmd_manage, "run a Django management command (for operators)", [data])
    p.add_argument("arguments", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
