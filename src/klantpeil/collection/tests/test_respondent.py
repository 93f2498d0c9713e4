"""The respondent's link: single use, expiring, bilingual, validated, never twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from klantpeil.collection.ingest import create_invitations
from klantpeil.collection.models import Invitation, Measurement, OpenLink
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_FORM
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, Unit

GOOD = CUSTOMER_SURVEY_FORM


@pytest.fixture
def link(make_org):
    org = make_org("alpha")
    with tenant(org):
        [(invitation, token)] = create_invitations(
            events=[
                {
                    "channel": "email",
                    "occurred_at": datetime(2026, 9, 1, 9, tzinfo=UTC),
                    "language": "nl",
                }
            ]
        )
    return org, invitation, f"/s/{token}"


def test_the_form_speaks_the_invitations_language_and_switches(link, client):
    _, _, url = link
    dutch = client.get(url).content.decode()
    assert "Welk rapportcijfer geeft u voor het contact?" in dutch
    assert 'lang="nl"' in dutch
    english = client.get(url + "?lang=en").content.decode()
    assert "What grade would you give this contact?" in english
    # The phone-only IVR question is not asked after an e-mail contact.
    assert "keuzemenu" not in dutch.lower()


def test_errors_are_listed_and_tied_to_their_fields(link, client):
    _, _, url = link
    response = client.post(url, {**GOOD, "overall_grade": "", "nps": "12", "lang": "en"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Please check your answers" in page
    assert re.search(r'aria-describedby="[^"]*err-overall_grade"', page)
    assert 'id="err-overall_grade"' in page and "is required" in page
    assert "must be between 0 and 10" in page
    # What the respondent already answered stays filled in.
    assert 'name="ces" value="6" checked' in page
    assert Measurement.unscoped_all_tenants.count() == 0


def test_a_submission_is_stored_once_and_a_second_one_changes_nothing(link, client):
    org, _invitation, url = link
    first = client.post(url, {**GOOD, "comment": "Top", "lang": "nl"})
    assert first.status_code == 302 and first["Location"].startswith(url + "/done")
    thanks = client.get(first["Location"])
    assert "Bedankt" in thanks.content.decode()
    again = client.post(url, {**GOOD, "overall_grade": "2"})
    assert again.status_code == 200
    assert "al ontvangen" in again.content.decode()
    assert Measurement.unscoped_all_tenants.count() == 1
    measurement = Measurement.unscoped_all_tenants.get()
    assert Invitation.unscoped_all_tenants.get().measurement == measurement
    with tenant(org):
        grades = {a.question.key: a.number for a in measurement.answers.select_related("question")}
    assert grades["overall_grade"] == 8.0
    assert measurement.source == "web_form" and measurement.channel.kind == "email"


def test_an_expired_link_gets_a_friendly_page(link, client):
    _, invitation, url = link
    Invitation.unscoped_all_tenants.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(url)
    assert response.status_code == 410
    assert "niet meer geldig" in response.content.decode()
    assert client.post(url, GOOD).status_code == 410
    assert Measurement.unscoped_all_tenants.count() == 0


def test_an_unknown_token_is_404(client, db):
    assert client.get("/s/" + "A" * 32).status_code == 404


def _open_link(org, slug: str) -> None:
    with tenant(org):
        OpenLink.objects.create(
            slug=slug,
            name="Balie",
            channel=Channel.objects.get(kind="counter"),
            instrument_version=latest_version(key="customer-survey"),
        )


def test_open_link_dedups_a_double_tap_and_throttles_floods(make_org, client, settings):
    _open_link(make_org("alpha"), "balie-centrum")
    page = client.get("/o/balie-centrum").content.decode()
    submission = re.search(r'name="submission_id" value="([0-9a-f]+)"', page).group(1)
    for _ in range(2):  # the same form sent twice
        response = client.post("/o/balie-centrum", {**GOOD, "submission_id": submission})
        assert response.status_code == 302
    assert Measurement.unscoped_all_tenants.count() == 1
    statuses = [
        client.post("/o/balie-centrum", {**GOOD, "submission_id": f"s{i}"}).status_code
        for i in range(25)
    ]
    assert 429 in statuses
    assert Measurement.unscoped_all_tenants.count() < 25


def test_an_answer_through_an_open_link_counts_for_the_links_unit(make_org, client):
    from django.core.cache import cache

    cache.clear()  # the flood test before this one used up the device's allowance
    org = make_org("alpha")
    _open_link(org, "balie-centrum")
    with tenant(org):
        OpenLink.objects.filter(slug="balie-centrum").update(unit=Unit.objects.get(code="front"))
    client.post("/o/balie-centrum", {**GOOD, "submission_id": "s1"})
    with tenant(org):
        assert Measurement.objects.get().unit.code == "front"


def test_nul_characters_in_a_form_are_dropped_not_a_server_error(link, client):
    # PostgreSQL cannot store NUL; a crafted post once made it answer 500.
    org, _, url = link
    response = client.post(url, {**GOOD, "comment": "Prima\x00 geholpen", "lang": "nl"})
    assert response.status_code == 302
    with tenant(org):
        measurement = Measurement.objects.get()
        texts = {a.text for a in measurement.answers.all() if a.text}
    assert "Prima geholpen" in texts
    _open_link(org, "balie")
    cache.clear()  # the throttle of another test's link with the same id
    assert client.post("/o/balie", {**GOOD, "submission_id": "\x00\x00"}).status_code == 302
    assert Measurement.unscoped_all_tenants.count() == 2
