"""``klantpeil demo``, ``serve`` and ``worker``: the application and its background worker."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from klantpeil.cli.common import (
    Add,
    database_label,
    migrate,
    setup,
)


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
    setup(args)
    from django.conf import settings

    print(f"Database: {database_label()}")
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
    setup(args)
    from django.core.management import call_command

    if args.exit_with:
        _exit_with(args.exit_with)
    from klantpeil.distribution.tasks import resume_after_crash as resume_distribution
    from klantpeil.rollups.tasks import resume_after_crash, worker_id

    resume_after_crash()
    resume_distribution()
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


def cmd_demo(args: argparse.Namespace) -> int:
    os.environ["KLANTPEIL_DEMO"] = "1"  # every page says it is a demo (config/env.py)
    setup(args)
    from tqdm import tqdm

    from klantpeil.demo.generate import generate
    from klantpeil.demo.logins import DEMO_PASSWORD, create_logins, ensure_demo_survey_link
    from klantpeil.demo.universe import SECTORS
    from klantpeil.organisations.models import Organisation

    print(f"Database: {database_label()}")
    migrate()
    if args.reset:
        from klantpeil.demo.reset import wipe_demo

        wipe_demo()
    if Organisation.objects.exists():
        print(
            f"Reusing the existing data ({Organisation.objects.count()} organisations); "
            "use --reset to generate it again."
        )
    else:
        from klantpeil.core.sqlite import bulk_load
        from klantpeil.rollups import services as rollups

        total = sum(len(s.organisations) for s in SECTORS)
        with bulk_load():
            with tqdm(total=total, desc="Generating demo data", unit="org", file=sys.stderr) as bar:
                result = generate(seed=args.seed, scale=args.scale, progress=bar.update)
            print(
                f"Generated {result.measurements:,} measurements with {result.answers:,} "
                f"answers for {result.organisations} organisations in {result.seconds:.1f} s "
                f"(seed {args.seed})."
            )
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


def add_commands(add: Add, data: argparse.ArgumentParser, server: argparse.ArgumentParser) -> None:
    """demo, serve and worker, in the order ``klantpeil --help`` lists them."""
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
        "run the background worker: rollups, survey invitations and reminders, reports",
        [data],
    )
    p.add_argument("--once", action="store_true", help="run what is queued, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls (1)")
    p.add_argument("--exit-with", type=int, metavar="PID", help=argparse.SUPPRESS)
