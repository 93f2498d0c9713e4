"""The long hunt for upload-parser crashes: the suite's properties with many examples.

    python bench/fuzz_uploads.py [--examples 2000] [--seed N]

Runs every property of ``tests/test_upload_fuzz.py`` (CSV, XLSX, mapping, social JSON
and CSV, calibration, and the whole import on a dry run against an in-memory SQLite
database) with ``--examples`` examples each and fresh random draws (the suite's run is
derandomised and short). Prints JSON: per property the seconds it took and the
failure Hypothesis found, if any (the falsifying example is printed above the JSON).
As the in-run baseline, the attacker's zip-bomb XLSX is read once as the uploads read
it (refused while streaming) and once without the upload limits, the way every
upload read it before.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per property")
    parser.add_argument("--seed", type=int, default=None, help="for a reproducible hunt")
    args = parser.parse_args()

    os.environ["KLANTPEIL_UPLOAD_FUZZ"] = str(args.examples)
    os.environ.pop("DATABASE_URL", None)  # the import's dry run on in-memory SQLite
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantpeil.config.test_settings")
    from hypothesis import seed as hypothesis_seed
    from hypothesis import settings

    settings.register_profile("bench", derandomize=False, database=None, print_blob=True)
    settings.load_profile("bench")

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment
    from django.utils import translation

    from tests import test_upload_fuzz as fuzz

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0)
    translation.activate("en")
    organisation = _organisation()

    properties = [getattr(fuzz, name) for name in dir(fuzz) if name.startswith("test_")]
    results = []
    for prop in properties:
        if not hasattr(prop, "hypothesis"):
            continue  # the fixed attacker files: the suite runs them
        if args.seed is not None:
            prop = hypothesis_seed(args.seed)(prop)
        wants = inspect.signature(prop).parameters
        kwargs = {"alpha": organisation} if "alpha" in wants else {}
        started = time.perf_counter()
        output = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(output), _tenant(organisation, kwargs):
                prop(**kwargs)
        except Exception as exc:  # a property failed: report it, run the others
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(output.getvalue(), file=sys.stderr)
        results.append(
            {
                "property": prop.__name__,
                "seconds": round(time.perf_counter() - started, 2),
                "failure": error,
            }
        )

    print(
        json.dumps(
            {
                "examples_per_property": args.examples,
                "seed": args.seed,
                "properties": results,
                "failures": sum(1 for r in results if r["failure"]),
                "zip_bomb": _zip_bomb(),
            },
            indent=2,
        )
    )


def _organisation():
    from klantpeil.organisations.models import Channel, Organisation, Sector, Unit

    sector, _ = Sector.objects.get_or_create(
        key="municipalities", defaults={"name_nl": "Gemeenten", "name_en": "Municipalities"}
    )
    org = Organisation.objects.create(slug="alpha", name="Alpha", sector=sector)
    Unit.unscoped_all_tenants.create(organisation=org, code="front", name="Front office")
    for kind in ("phone", "email", "counter"):
        Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
    return org


@contextlib.contextmanager
def _tenant(organisation, kwargs: dict):
    if not kwargs:
        yield
        return
    from klantpeil.core.tenancy import tenant

    with tenant(organisation):
        yield


def _zip_bomb() -> dict:
    from klantpeil.dataio.limits import LOCAL_FILE_LIMITS
    from klantpeil.dataio.reading import FileProblem, read_table
    from klantpeil.dataio.tests.hostile import zip_bomb_xlsx

    bomb = zip_bomb_xlsx()
    started = time.perf_counter()
    try:
        read_table(bomb, "bomb.xlsx")
        refused = None
    except FileProblem as exc:
        refused = str(exc)
    as_upload = time.perf_counter() - started
    started = time.perf_counter()
    rows = len(read_table(bomb, "bomb.xlsx", LOCAL_FILE_LIMITS).rows)
    unlimited = time.perf_counter() - started
    return {
        "file_bytes": len(bomb),
        "refused_as_upload": refused,
        "upload_seconds": round(as_upload, 2),
        "read_without_limits_seconds": round(unlimited, 2),
        "rows_without_limits": rows,
        "ratio": round(unlimited / as_upload, 1),
    }


if __name__ == "__main__":
    main()
