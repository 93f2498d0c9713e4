"""``klantpeil users invite``: invite someone to an organisation's team by e-mail, as the
operator (issue 22). The same rules and e-mail as the team page (accounts/team.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from klantpeil.cli.common import Add, organisation_or_exit, setup


def cmd_users_invite(args: argparse.Namespace) -> int:
    setup(args)
    from klantpeil.accounts.team import TeamError, invite

    organisation = organisation_or_exit(args.org)
    try:
        sent = invite(
            organisation=organisation,
            inviter=None,
            inviter_role="operator",
            email=args.email,
            role=args.role,
            unit_codes=[args.unit] if args.unit else [],
            language=args.language,
            base_url=args.base_url,
        )
    except TeamError as exc:
        if args.format == "json":
            print(json.dumps({"ok": False, "errors": exc.errors}, ensure_ascii=False))
        for field, message in exc.errors.items():
            print(f"error: {field}: {message}", file=sys.stderr)
        return 2
    except Exception as exc:  # the mail server: refused, down, timed out
        print(
            f"error: the invitation e-mail could not be sent ({type(exc).__name__}: {exc}); "
            "nothing was saved",
            file=sys.stderr,
        )
        return 1
    invitation = sent.invitation
    if args.format == "json":
        print(
            json.dumps(
                {
                    "ok": True,
                    "email": invitation.email,
                    "organisation": organisation.slug,
                    "role": invitation.role,
                    "units": [args.unit] if args.unit else [],
                    "language": invitation.language,
                    "expires_at": invitation.expires_at.isoformat(),
                },
                ensure_ascii=False,
            )
        )
    else:
        scope = f", limited to the unit {args.unit}" if args.unit else ""
        print(
            f"Invited {invitation.email} to {organisation.name} as {invitation.role}{scope}; "
            f"the link expires {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
        )
    return 0


def add_commands(add: Add, data: argparse.ArgumentParser) -> None:
    from klantpeil.accounts.roles import ROLE_NAMES

    users = add(
        "users",
        None,
        "manage an organisation's team from the command line (invite)",
        [],
    )
    sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    p = sub.add_parser(
        "invite",
        parents=[data],
        help="e-mail someone a single-use link to join an organisation with a role",
        description="E-mail EMAIL a single-use link (valid 7 days) to join the organisation "
        "with ROLE: they choose a password and set up two-factor authentication. Mail goes "
        "through KLANTPEIL_EMAIL_URL.",
    )
    p.set_defaults(handler=cmd_users_invite)
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--org", metavar="SLUG", required=True, help="the organisation's slug")
    p.add_argument("--role", required=True, choices=[r for r in ROLE_NAMES if r != "operator"])
    p.add_argument("--unit", metavar="CODE", help="limit the member to this unit (its code)")
    p.add_argument(
        "--language",
        choices=["nl", "en"],
        help="language of the e-mail (default: the organisation's default language)",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("KLANTPEIL_BASE_URL", "http://localhost:8000"),
        help="the address people open Klantpeil at, for the link "
        "(default: KLANTPEIL_BASE_URL or http://localhost:8000)",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
