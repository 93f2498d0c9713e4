"""Contact volumes per channel and month: entered on a page or through the API, checked,
scoped to the organisation, and used for the weighted KPIs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.utils import timezone, translation

from klantpeil.accounts.models import TokenScope
from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.services import record_measurement
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.organisations.models import Channel, ChannelVolume
from klantpeil.organisations.services import (
    VolumeEntry,
    VolumeError,
    check_volume_entries,
    set_channel_volumes,
)

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def two(make_org):
    return make_org("alpha"), make_org("beta")


def _stored(org) -> dict:
    return {
        (v.channel.kind, v.month): v.contacts
        for v in ChannelVolume.unscoped_all_tenants.filter(organisation=org).select_related(
            "channel"
        )
    }


# --- the service -----------------------------------------------------------------


def test_set_clear_and_refuse_all_or_nothing(two):
    alpha, beta = two
    with tenant(alpha):
        set_channel_volumes(
            entries=[VolumeEntry("phone", OCTOBER, 700), VolumeEntry("email", OCTOBER, 300)]
        )
        set_channel_volumes(entries=[VolumeEntry("phone", OCTOBER, 710)])  # an update
        assert _stored(alpha) == {("phone", OCTOBER): 710, ("email", OCTOBER): 300}
        set_channel_volumes(entries=[VolumeEntry("email", OCTOBER, None)])  # cleared
        assert _stored(alpha) == {("phone", OCTOBER): 710}
        with pytest.raises(VolumeError) as refused:
            set_channel_volumes(
                entries=[
                    VolumeEntry("phone", OCTOBER, 1),  # fine, but not written: all or nothing
                    VolumeEntry("fax", OCTOBER, 5),
                    VolumeEntry("email", OCTOBER, -3),
                    VolumeEntry("email", date(2026, 10, 2), 3),
                    VolumeEntry("phone", OCTOBER, 2),
                ]
            )
    assert [(p.index, p.field, p.message) for p in refused.value.problems] == [
        (1, "channel", "Your organisation has no channel “fax”; it has counter, email, phone."),
        (2, "contacts", "E-mail, 2026-10: the number of contacts cannot be negative."),
        (3, "month", "A volume is per calendar month: give the month as YYYY-MM."),
        (4, "month", "Phone, 2026-10 is given twice."),
    ]
    assert _stored(alpha) == {("phone", OCTOBER): 710}
    assert _stored(beta) == {}


def test_messages_are_dutch_for_dutch_users(two):
    with tenant(two[0]), translation.override("nl"):
        problems = check_volume_entries([VolumeEntry("email", OCTOBER, -1)])
    assert problems[0].message == "E-mail, 2026-10: het aantal contacten kan niet negatief zijn."


def test_a_channel_of_another_organisation_is_unknown(two, make_org):
    alpha, beta = two
    with tenant(beta):
        Channel.objects.create(kind="chat")
    with tenant(alpha), pytest.raises(VolumeError, match="1 problem"):
        set_channel_volumes(entries=[VolumeEntry("chat", OCTOBER, 5)])
    assert ChannelVolume.unscoped_all_tenants.count() == 0


# --- the page --------------------------------------------------------------------


@pytest.fixture
def manager(two, make_member, client):
    client.force_login(make_member("m@alpha.example", two[0], "manager"))
    return client


def test_the_page_stores_the_table_and_shows_it_again(two, manager):
    alpha, beta = two
    month = timezone.localdate().replace(day=1)
    url = f"/app/{alpha.slug}/volumes/"
    page = manager.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="c-phone-{month:%Y-%m}"' in html and "Contact volumes" in html
    response = manager.post(
        url,
        {f"c-phone-{month:%Y-%m}": "12.000", f"c-email-{month:%Y-%m}": "3 400", "end": ""},
    )
    assert response.status_code == 302
    assert _stored(alpha) == {("phone", month): 12000, ("email", month): 3400}
    assert _stored(beta) == {}
    shown = manager.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'name="c-phone-{month:%Y-%m}" id="c-phone-{month:%Y-%m}" value="12000"' in shown


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("c-phone-2026-10", "abc", "Phone, 2026-10: “abc” is not a whole number of contacts."),
        ("c-phone-2026-10", "12,5", "Phone, 2026-10: “12,5” is not a whole number of contacts."),
        ("c-phone-2026-10", "-5", "Phone, 2026-10: the number of contacts cannot be negative."),
        ("c-fax-2026-10", "5", "Your organisation has no channel “fax”; it has counter, email, "),
    ],
)
def test_bad_input_on_the_page_is_named_and_nothing_is_saved(two, manager, field, value, message):
    alpha = two[0]
    response = manager.post(
        f"/app/{alpha.slug}/volumes/",
        {field: value, "c-email-2026-10": "300", "end": "2026-10"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 problem, nothing was saved" in html
    assert message.replace("“", "&ldquo;")[:20] in html or message in html
    assert _stored(alpha) == {}


def test_the_page_in_dutch(two, manager):
    response = manager.post(
        f"/app/{two[0].slug}/volumes/",
        {"c-phone-2026-10": "veel", "end": "2026-10"},
        HTTP_ACCEPT_LANGUAGE="nl",
    )
    html = response.content.decode()
    assert "Contactvolumes" in html
    assert "“veel” is geen geheel aantal contacten." in html


def test_viewers_may_not_enter_volumes(two, make_member, client):
    client.force_login(make_member("v@alpha.example", two[0], "viewer"))
    assert client.get(f"/app/{two[0].slug}/volumes/").status_code == 403
    response = client.post(f"/app/{two[0].slug}/volumes/", {"c-phone-2026-10": "5"})
    assert response.status_code == 403 and _stored(two[0]) == {}


# --- the API ---------------------------------------------------------------------


@pytest.fixture
def api(two, client):
    alpha, beta = two
    secrets = {
        "alpha": issue_api_token(organisation=alpha, name="bi").secret,
        "alpha-read": issue_api_token(organisation=alpha, name="r", scope=TokenScope.READ).secret,
        "beta": issue_api_token(organisation=beta, name="bi").secret,
    }

    def call(method: str, path: str, body=None, who: str = "alpha"):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secrets[who]}"}
        if method == "GET":
            return client.get(f"/api/v1{path}", **headers)
        return client.generic(
            method,
            f"/api/v1{path}",
            data=json.dumps(body),
            content_type="application/json",
            **headers,
        )

    return call


def test_put_and_get_volumes_through_the_api(two, api):
    alpha, beta = two
    body = {
        "volumes": [
            {"channel": "phone", "month": "2026-10", "contacts": 700},
            {"channel": "email", "month": "2026-10", "contacts": 300},
            {"channel": "phone", "month": "2026-09", "contacts": 650},
        ]
    }
    put = api("PUT", "/channel-volumes", body)
    assert put.status_code == 200
    assert put.json()["volumes"] == [
        {"channel": "phone", "month": "2026-09", "contacts": 650},
        {"channel": "email", "month": "2026-10", "contacts": 300},
        {"channel": "phone", "month": "2026-10", "contacts": 700},
    ]
    assert api("GET", "/channel-volumes?since=2026-10").json()["volumes"] == [
        {"channel": "email", "month": "2026-10", "contacts": 300},
        {"channel": "phone", "month": "2026-10", "contacts": 700},
    ]
    # Another organisation's token sees none of it and writes only its own.
    assert api("GET", "/channel-volumes", who="beta").json() == {"volumes": []}
    api("PUT", "/channel-volumes", {"volumes": [body["volumes"][0] | {"contacts": 1}]}, "beta")
    assert _stored(alpha)[("phone", OCTOBER)] == 700
    assert _stored(beta) == {("phone", OCTOBER): 1}
    # A read-only token may read, not write.
    assert api("GET", "/channel-volumes", who="alpha-read").status_code == 200
    refused = api("PUT", "/channel-volumes", body, who="alpha-read")
    assert (refused.status_code, refused.json()["code"]) == (403, "read_only_token")


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (
            {"channel": "phone", "month": "2026-10", "contacts": -4},
            "volumes.0.contacts",
            "Phone, 2026-10: the number of contacts cannot be negative.",
        ),
        (
            {"channel": "fax", "month": "2026-10", "contacts": 4},
            "volumes.0.channel",
            "Your organisation has no channel “fax”; it has counter, email, phone.",
        ),
        ({"channel": "phone", "month": "2026-10", "contacts": "many"}, "volumes.0.contacts", None),
        ({"channel": "phone", "month": "2026-13", "contacts": 4}, "volumes.0.month", None),
        ({"channel": "phone", "month": "oktober", "contacts": 4}, "volumes.0.month", None),
    ],
)
def test_bad_volumes_through_the_api_are_refused_naming_the_field(two, api, item, field, message):
    response = api("PUT", "/channel-volumes", {"volumes": [item]})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    if message:
        assert body["errors"][0]["message"] == message
    assert _stored(two[0]) == {}
    assert api("GET", "/channel-volumes?since=oct").json()["field"] == "since"


def test_overall_kpis_weighted_through_the_api(two, api):
    alpha = two[0]
    with tenant(alpha):
        for kind, grades in (("phone", (7, 9, 7, 9)), ("email", (5, 7) * 6)):
            for grade in grades:
                record_measurement(
                    version=latest_version(key="customer-survey"),
                    answers={
                        **CUSTOMER_SURVEY_ANSWERS,
                        "overall_grade": grade,
                        **({"ivr_menu": 7} if kind == "phone" else {}),
                    },
                    source="api",
                    channel=Channel.objects.get(kind=kind),
                    occurred_at=datetime(2026, 10, 15, 10, tzinfo=UTC),
                )
    before = api("GET", "/kpis/overall?period=2026-10").json()
    assert (before["weighted"], before["status"]) == (False, "no_volumes")
    assert before["grade"]["unweighted"]["value"] == pytest.approx(6.5)
    assert before["grade"]["weighted"] is None
    volumes = [
        {"channel": "phone", "month": "2026-10", "contacts": 700},
        {"channel": "email", "month": "2026-10", "contacts": 300},
    ]
    assert api("PUT", "/channel-volumes", {"volumes": volumes}).status_code == 200
    body = api("GET", "/kpis/overall?period=2026-10").json()
    assert (body["weighted"], body["status"], body["months"]) == (True, "weighted", ["2026-10"])
    assert body["grade"]["unweighted"]["value"] == pytest.approx(6.5)
    assert body["grade"]["unweighted"]["n"] == 16
    assert body["grade"]["weighted"]["value"] == pytest.approx(7.4)
    assert body["grade"]["weighted"]["effective_n"] == pytest.approx(100 / 13)
    assert body["grade"]["weighted"]["small_sample"] is True
    assert {c["channel"]: c["weight"] for c in body["channels"]} == {
        "phone": pytest.approx(2.8),
        "email": pytest.approx(0.4),
    }
    assert "each channel counts as its share of contacts" in body["explanation"]
    # Beta's token: beta has no responses, and alpha's volumes change nothing there.
    other = api("GET", "/kpis/overall?period=2026-10", who="beta").json()
    assert (other["status"], other["grade"]["unweighted"]["n"]) == ("no_responses", 0)
