"""The demo organisations show a realistic invitation funnel, cheaply."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import F

from klantpeil.collection.models import Invitation
from klantpeil.core.tenancy import tenant
from klantpeil.demo.generate import generate
from klantpeil.demo.reset import wipe_demo
from klantpeil.distribution.funnel import invitation_funnel
from klantpeil.distribution.models import OptOut
from klantpeil.metrics.periods import day_range
from klantpeil.organisations.models import Organisation

TODAY = date(2026, 11, 23)


@pytest.fixture
def demo(db):
    generate(seed=5, today=TODAY, scale=0.15)
    yield
    wipe_demo()


def test_every_demo_organisation_has_a_plausible_funnel(demo):
    year = day_range(TODAY - timedelta(days=364), TODAY)
    keys = ("made", "sent", "opened", "completed", "bounced", "failed", "skipped_fatigue")
    totals = dict.fromkeys((*keys, "opted_out"), 0)
    for org in Organisation.objects.all():
        with tenant(org):
            c = invitation_funnel(year).counts
            assert c["made"] >= 15, org.slug
            assert 0.2 <= c["completed"] / c["made"] <= 0.5, (org.slug, c)
            assert c["completed"] <= c["started"] <= c["opened"]
            # A completed invitation is one of the organisation's own responses.
            assert (
                not Invitation.objects.exclude(measurement__isnull=True)
                .exclude(measurement__organisation=F("organisation"))
                .exists()
            )
            for key in totals:
                totals[key] += c[key]
    assert 0.55 <= totals["sent"] / totals["made"] <= 0.8
    assert 0.4 <= totals["opened"] / totals["sent"] <= 0.9
    assert 0.02 <= totals["bounced"] / totals["made"] <= 0.05
    assert 0.05 <= totals["skipped_fatigue"] / totals["made"] <= 0.1
    assert totals["failed"] > 0
    assert 0 < totals["opted_out"] < 0.03 * totals["sent"]
    assert OptOut.unscoped_all_tenants.count() == totals["opted_out"]
