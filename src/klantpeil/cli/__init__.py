"""The ``klantpeil`` command, one module per command group.

Every command finds the database the same way: ``DATABASE_URL`` when set,
otherwise the SQLite file in the data folder (``--data-dir``, default a
per-user data folder). Django is set up only after the options are read, so
``--data-dir`` works for every command.

- :mod:`klantpeil.cli.serve`: demo, serve, worker
- :mod:`klantpeil.cli.manage`: rollups, backup, restore, migrate, orgs, createuser, token, manage
- :mod:`klantpeil.cli.clients`: orgs create, units import (onboarding client organisations)
- :mod:`klantpeil.cli.dataio`: import, export, report
- :mod:`klantpeil.cli.users`: users invite
- :mod:`klantpeil.cli.analysis`: analyse (on plain files, no database)
- :mod:`klantpeil.privacy.cli`: privacy
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from klantpeil.cli import analysis, clients, dataio, manage, serve, users
from klantpeil.cli.common import data_options, server_options, setup


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="klantpeil",
        description="Klantpeil: measure the quality of customer contact.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data, server = data_options(), server_options()

    def add(name: str, handler: Callable, help_: str, parents: Sequence) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=list(parents))
        p.set_defaults(handler=handler)
        return p

    serve.add_commands(add, data, server)
    manage.add_commands(add, data)
    clients.add_commands(add, data)
    dataio.add_commands(add, data)
    users.add_commands(add, data)
    analysis.add_parser(sub)
    from klantpeil.privacy.cli import add_parser as add_privacy

    add_privacy(sub, parents=[data], setup=setup)
    manage.add_manage(add, data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
