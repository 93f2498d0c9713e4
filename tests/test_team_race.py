"""Issue 22 under real concurrent transactions on PostgreSQL: an invitation link used
twice at the same moment makes one member, never two; two analysts creating the same
slug at once get one organisation and one clear error naming ``slug``."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone, translation

from klantpeil.accounts.models import Invitation, Membership, User
from klantpeil.accounts.team import TeamError, _hash, accept
from klantpeil.organisations.models import Organisation, Sector
from klantpeil.organisations.setup_services import SetupError, create_organisation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent transactions need PostgreSQL (runs in its pass)",
    ),
]
PASSWORD = "a-long-and-new-password-2026"


def _race(target, count: int) -> list[object]:
    """Run ``target`` in ``count`` threads released together; each result or exception."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            with translation.override("en"):  # a thread starts in the default language
                results[i] = target(i)
        except Exception as exc:  # the outcome is what is compared
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_one_link_used_at_once_in_several_requests_makes_one_member(make_org):
    org = make_org("alpha")
    Invitation.unscoped_all_tenants.create(
        organisation=org,
        email="new@alpha.example",
        role="viewer",
        token_hash=_hash("the-secret"),
        expires_at=timezone.now() + timedelta(days=7),
    )
    results = _race(lambda _i: accept(secret="the-secret", password=PASSWORD), 4)
    members = [r for r in results if isinstance(r, Membership)]
    refused = [r for r in results if isinstance(r, TeamError)]
    assert (len(members), len(refused)) == (1, 3), results
    assert all("already been used" in r.errors["invitation"] for r in refused)
    assert User.objects.filter(email="new@alpha.example").count() == 1
    assert Membership.objects.filter(user__email="new@alpha.example").count() == 1


def test_two_analysts_creating_one_slug_at_once_get_one_organisation(make_org, make_member):
    org = make_org("alpha")
    Sector.objects.get_or_create(key="housing", defaults={"name_nl": "W", "name_en": "H"})
    analysts = []
    for i in range(3):
        user = make_member(f"an{i}@alpha.example", org, "analyst")
        user.can_create_organisations = True
        user.save()
        analysts.append(user)
    results = _race(
        lambda i: create_organisation(
            creator=analysts[i],
            name=f"Woonstede {i}",
            slug="woonstede",
            sector_key="housing",
            languages=["nl"],
            default_language="nl",
        ),
        3,
    )
    made = [r for r in results if isinstance(r, Organisation)]
    refused = [r for r in results if isinstance(r, SetupError)]
    assert (len(made), len(refused)) == (1, 2), results
    assert all(r.errors == {"slug": "The slug “woonstede” is already taken."} for r in refused)
    assert Membership.objects.filter(organisation__slug="woonstede").count() == 1
