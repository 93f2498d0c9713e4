"""What every command group shares: Django set up after the options are read, the
database named the same way, the options for the data folder and the server."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

Add = Callable[..., argparse.ArgumentParser]  # build_parser's add(name, handler, help, parents)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def setup(args: argparse.Namespace) -> None:
    if getattr(args, "data_dir", None):
        os.environ["KLANTPEIL_DATA_DIR"] = str(Path(args.data_dir).expanduser().resolve())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantpeil.config.settings")
    import django
    from django.utils import translation

    django.setup()
    # Command output is for operators and scripts: English, like Django's own commands.
    translation.activate("en")


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.settings_dict['NAME']}"
    settings = connection.settings_dict
    return f"{connection.vendor} {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def organisation_or_exit(slug: str):
    from klantpeil.organisations.models import Organisation

    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        print(f"error: no organisation with slug {slug!r} (see `klantpeil orgs`)", file=sys.stderr)
        raise SystemExit(2)
    return organisation


def data_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder for the SQLite database (ignored when DATABASE_URL is set); "
        "default: a per-user data folder",
    )
    return parent


def server_options() -> argparse.ArgumentParser:
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
