"""A separate process's view of a database, for the tests that kill a worker.

``python -m klantpeil.distribution.tests.scenario setup N``: migrate, make an
organisation that may be mailed at any hour, and N invitations to be e-mailed (through
the same services as the API, in one transaction). ``status``: the deliveries as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, time


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "klantpeil.config.settings")
    import django

    django.setup()


def setup(count: int) -> None:
    from django.core.management import call_command
    from django.db import transaction

    from klantpeil.collection.ingest import create_invitations
    from klantpeil.core.tenancy import tenant
    from klantpeil.distribution.models import DistributionSettings
    from klantpeil.distribution.services import attach_deliveries, plan_deliveries
    from klantpeil.organisations.models import Channel, Organisation, Sector

    call_command("migrate", verbosity=0)
    sector, _ = Sector.objects.get_or_create(
        key="municipalities", defaults={"name_nl": "Gemeenten", "name_en": "Municipalities"}
    )
    org = Organisation.objects.create(slug="kill", name="Kill", sector=sector)
    Channel.unscoped_all_tenants.create(organisation=org, kind="phone")
    with tenant(org):
        DistributionSettings.objects.create(
            window_start=time(0, 0),
            window_end=time(23, 59, 59, 999999),
            window_weekdays="0123456",
            fatigue_days=0,
            fatigue_per_year=0,
        )
        events = [
            {
                "channel": "phone",
                "occurred_at": datetime(2026, 11, 2, 9, tzinfo=UTC),
                "email": f"r{i:05d}@example.nl",
            }
            for i in range(count)
        ]
        with transaction.atomic():
            problems: list = []
            plans = plan_deliveries(events, deliver="email", problems=problems)
            made = create_invitations(events=events, known_problems=problems)
            attach_deliveries(made, plans, base_url="http://127.0.0.1:8612/")


def status() -> None:
    from django.db.models import Count

    from klantpeil.distribution.models import Delivery

    rows = Delivery.unscoped_all_tenants.values("status").annotate(n=Count("pk"))
    print(json.dumps({r["status"]: r["n"] for r in rows}))


if __name__ == "__main__":
    _django()
    if sys.argv[1] == "setup":
        setup(int(sys.argv[2]))
    else:
        status()
