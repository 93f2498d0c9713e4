"""How long the drivers page and the overview take for a manager, on a demo data folder.

    klantpeil demo --data-dir DIR --no-serve      # or copy an existing demo folder
    python bench/driver_pages.py --data-dir DIR [--org gemeente-wadderveen] [--repeat 5]

Each page is requested through Django's test client (the whole request: filters,
reads, analysis, template), logged in as the organisation's first manager or
analyst, ``--repeat`` times after one warm-up; prints JSON with the median and the
slowest milliseconds per page, and the number of stored customer-survey responses
of the organisation, so runs before and after a change can be compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--org", default="gemeente-wadderveen")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--query", default="", help="e.g. period=2026-Q3&channel=phone")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    os.environ["KLANTPEIL_DATA_DIR"] = args.data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "klantpeil.config.settings"
    os.environ["KLANTPEIL_DEBUG"] = "false"
    import django

    django.setup()
    from django.test import Client

    from klantpeil.accounts.models import Membership
    from klantpeil.collection.models import Measurement
    from klantpeil.organisations.models import Organisation

    org = Organisation.objects.get(slug=args.org)
    member = (
        Membership.objects.filter(organisation=org, role__in=["manager", "analyst"])
        .select_related("user")
        .first()
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member.user)
    suffix = f"?{args.query}" if args.query else ""
    pages = {
        "drivers": f"/app/{org.slug}/drivers/{suffix}",
        "overview": f"/app/{org.slug}/{suffix}",
    }
    result = {}
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url  # warm-up
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200
        result[name] = {
            "median_ms": round(1000 * statistics.median(times), 1),
            "slowest_ms": round(1000 * max(times), 1),
        }
    responses = Measurement.unscoped_all_tenants.filter(
        organisation=org, instrument_version__instrument__key="customer-survey"
    ).count()
    print(
        json.dumps(
            {
                "benchmark": "driver_pages",
                "organisation": org.slug,
                "survey_responses": responses,
                "query": args.query,
                "pages": result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
