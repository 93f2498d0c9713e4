"""``klantpeil rollups``, ``backup``, ``restore``, ``migrate``, ``orgs``, ``createuser``, ``token``
and ``manage``: looking after the database, its users and API tokens."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from klantpeil.cli.common import (
    Add,
    database_label,
    migrate,
    setup,
)


def cmd_rollups(args: argparse.Namespace) -> int:
    setup(args)
    from tqdm import tqdm

    from klantpeil.organisations.models import Organisation
    from klantpeil.rollups import services as rollups

    print(f"Database: {database_label()}")
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
    setup(args)
    from klantpeil.core import backup as backups

    print(f"Database: {database_label()}")
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


def cmd_migrate(args: argparse.Namespace) -> int:
    setup(args)
    print(f"Database: {database_label()}")
    migrate(verbosity=1)
    return 0


def cmd_orgs(args: argparse.Namespace) -> int:
    setup(args)
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
    setup(args)
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
        units = None if args.units is None else [c for c in args.units.split(",") if c.strip()]
        user, membership = add_member(
            email=args.email,
            organisation=organisation,
            role=args.role,
            password=password,
            units=units,
        )
    except ValidationError as exc:
        print("error: " + " ".join(exc.messages), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.can_create_organisations is not None:
        user.can_create_organisations = args.can_create_organisations
        user.save(update_fields=["can_create_organisations"])
    where = f"in {organisation.name}" if organisation else "(back office)"
    scope = membership.unit_scope() if membership is not None else None
    limited = ""
    if scope:
        from klantpeil.core.tenancy import tenant
        from klantpeil.organisations.models import Unit

        with tenant(organisation):
            codes = list(
                Unit.objects.filter(pk__in=scope).order_by("code").values_list("code", flat=True)
            )
        limited = f", limited to the units {', '.join(codes)}"
    creates = " They may create organisations." if user.can_create_organisations else ""
    print(f"{user.email} is {args.role} {where}{limited}.{creates}")
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    setup(args)
    from klantpeil.accounts.models import ApiToken
    from klantpeil.core.tenancy import tenant
    from klantpeil.organisations.models import Organisation

    organisation = Organisation.objects.filter(slug=args.org).first()
    if organisation is None:
        print(
            f"error: no organisation with slug {args.org!r} (see `klantpeil orgs`)", file=sys.stderr
        )
        return 2
    # The organisation's own tokens, through the tenant-scoped manager: this command
    # never needs another organisation's rows.
    with tenant(organisation):
        return _token_command(args, organisation, ApiToken.objects.all())


def _token_command(args: argparse.Namespace, organisation, tokens) -> int:
    from klantpeil.accounts.models import TokenScope
    from klantpeil.accounts.services import issue_api_token, revoke_api_token

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


def cmd_manage(args: argparse.Namespace) -> int:
    setup(args)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["klantpeil manage", *args.arguments])
    return 0


def add_commands(add: Add, data: argparse.ArgumentParser) -> None:
    """rollups … token, in the order ``klantpeil --help`` lists them (manage comes last)."""
    from klantpeil.accounts.roles import ROLE_NAMES

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
    p = add(
        "orgs",
        cmd_orgs,
        "list organisations with their slugs and sectors; 'orgs create' adds one",
        [data],
    )
    p.add_argument("--format", choices=["table", "json"], default="table")
    from klantpeil.cli.clients import add_orgs_create

    add_orgs_create(p, data)
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
    p.add_argument(
        "--units",
        metavar="CODE,CODE",
        help="limit the member to these units (their codes, comma-separated); "
        "'' for the whole organisation again; left out: as it was (a new member: "
        "the whole organisation)",
    )
    p.add_argument(
        "--can-create-organisations",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether the user may set up new client organisations in the app "
        "(left out: as it was; a new user: no)",
    )
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


def add_manage(add: Add, data: argparse.ArgumentParser) -> None:
    """``klantpeil manage``: any Django management command, last in the list."""
    p = add("manage", cmd_manage, "run a Django management command (for operators)", [data])
    p.add_argument("arguments", nargs=argparse.REMAINDER)
