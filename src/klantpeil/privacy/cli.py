"""``klantpeil privacy``: forget one respondent, or remove expired contact data now."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable


def _organisation(slug: str):
    from klantpeil.organisations.models import Organisation

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        print(f"error: no organisation with slug {slug!r} (see `klantpeil orgs`)", file=sys.stderr)
    return organisation


def cmd_forget(args: argparse.Namespace) -> int:
    args.setup(args)
    from klantpeil.core.tenancy import tenant
    from klantpeil.privacy.services import forget_respondent

    if not (args.email or args.phone or args.contact_id):
        print("error: name the respondent with --email, --phone or --contact-id", file=sys.stderr)
        return 2
    organisation = _organisation(args.org)
    if organisation is None:
        return 2
    with tenant(organisation):
        result = forget_respondent(
            email=args.email or "",
            phone=args.phone or "",
            external_contact_id=args.contact_id or "",
            dry_run=args.dry_run,
        )
    verb = "Would delete" if args.dry_run else "Deleted"
    print(
        f"{verb} {result.invitations} invitation(s) and {result.measurements} measurement(s) "
        f"of this respondent in {args.org}."
    )
    if result.reports:
        print(
            f"Deleted {result.reports} stored report(s) that held their answers: "
            "make them again (`klantpeil report` or Reports in the app)."
        )
    if result.tasks or result.audit_entries:
        print(
            f"Removed {result.tasks} background task(s) that named them and redacted "
            f"{result.audit_entries} audit log entr(y/ies) that quoted them."
        )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    args.setup(args)
    from klantpeil.privacy.tasks import purge_all

    only = None
    if args.org:
        only = _organisation(args.org)
        if only is None:
            return 2
    changed = purge_all(organisation=only, dry_run=args.dry_run)
    key = "invitations_to_purge" if args.dry_run else "invitations_purged"
    print(json.dumps({key: changed}, indent=2))
    return 0


def add_parser(
    sub: argparse._SubParsersAction,
    parents: list[argparse.ArgumentParser],
    setup: Callable[[argparse.Namespace], None],
) -> None:
    parser = sub.add_parser(
        "privacy",
        help="forget a respondent, or remove expired contact data now",
        description="Respondents' privacy (AVG/GDPR). Every action is written to the audit log.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    forget = actions.add_parser(
        "forget",
        parents=parents,
        help="delete one respondent's contact data and answers (a request to be forgotten)",
        description="Delete the invitations that name this respondent and the answers given "
        "through them (corrections included) with everything derived from them: the "
        "comments' sentiment, stored reports that read those days (they must be made "
        "again), background tasks that name them, and what the audit log quotes of them. "
        "The dashboards' figures are recomputed.",
    )
    forget.add_argument("--org", required=True, metavar="SLUG", help="the organisation")
    forget.add_argument("--email", metavar="E", help="the e-mail address of their invitation")
    forget.add_argument("--phone", metavar="P", help="the phone number of their invitation")
    forget.add_argument("--contact-id", metavar="ID", help="your contact id (external_contact_id)")
    forget.add_argument("--dry-run", action="store_true", help="only count, delete nothing")
    forget.set_defaults(handler=cmd_forget, setup=setup)
    purge = actions.add_parser(
        "purge",
        parents=parents,
        help="remove contact data older than each organisation's retention period now",
        description="What the daily background task does: remove e-mail and phone from "
        "invitations older than the retention period and pseudonymise their contact ids.",
    )
    purge.add_argument(
        "--org", metavar="SLUG", help="only this organisation (default: every organisation)"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count, change nothing")
    purge.set_defaults(handler=cmd_purge, setup=setup)
