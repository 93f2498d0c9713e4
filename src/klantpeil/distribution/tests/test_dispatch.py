"""Invitations made through the API and delivered by the dispatcher to real peers:
an SMTP server (aiosmtpd) and an HTTP SMS provider on loopback."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from klantpeil.collection.models import Invitation
from klantpeil.core.tenancy import tenant
from klantpeil.distribution import services
from klantpeil.distribution.funnel import invitation_funnel
from klantpeil.distribution.models import (
    Delivery,
    DistributionSettings,
    OptOut,
    ReminderRule,
)
from klantpeil.instruments.models import Instrument
from klantpeil.metrics.periods import parse_period

AMS = ZoneInfo("Europe/Amsterdam")
WHEN = "2026-09-14T10:30:00+02:00"


def next_workday_at(hour: int, minute: int = 0) -> datetime:
    """Tomorrow (Monday when that is a Sunday) at hour:minute in Amsterdam: inside the
    default window and after every delivery made now is due."""
    day = timezone.now().astimezone(AMS).date() + timedelta(days=1)
    if day.weekday() == 6:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), tzinfo=AMS)


NOW = next_workday_at(10)


def invite(api, *items, deliver="email", **batch):
    body = {
        "deliver": deliver,
        "invitations": [{"channel": "phone", "occurred_at": WHEN, **item} for item in items],
        **batch,
    }
    response = api("post", "/invitations", body)
    assert response.status_code == 201, response.json()
    return response.json()


def deliveries(org, **filters):
    with tenant(org):
        return list(Delivery.objects.filter(**filters).order_by("id"))


def dispatch(org=None, now=NOW, **kwargs):
    return services.dispatch_due(now=now, **kwargs)


def test_an_api_invitation_is_mailed_once_as_text_and_html_with_sender_and_opt_out(api, smtp):
    with tenant(api.org):
        DistributionSettings.objects.create(
            sender_name="Gemeente Alpha", sender_address="enquete@alpha.example"
        )
    made = invite(
        api,
        {"email": "Anna@Example.NL", "language": "nl"},
        {"email": "bob@example.nl", "language": "en"},
    )
    assert [d.status for d in deliveries(api.org)] == ["scheduled", "scheduled"]
    report = dispatch()
    assert (report.claimed, report.sent) == (2, 2)
    assert len(smtp.messages) == 2
    anna = smtp.to("anna@example.nl")[0]
    assert anna["From"] == "Gemeente Alpha <enquete@alpha.example>"
    assert anna["Subject"] == "Hoe was uw contact met Alpha?"
    assert anna.get_content_type() == "multipart/alternative"
    text, html = (part.get_payload(decode=True).decode() for part in anna.get_payload())
    assert made[0]["url"] in text and "U had onlangs contact met Alpha" in text
    assert f'<a href="{made[0]["url"]}">' in html
    opt_out = anna["List-Unsubscribe"].strip().strip("<>")
    assert opt_out.startswith("http://testserver/s/opt-out/") and opt_out in text
    assert anna["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    bob = smtp.to("bob@example.nl")[0]
    assert bob["Subject"] == "How was your contact with Alpha?"
    first = deliveries(api.org)[0]
    assert (first.status, first.attempts, first.sent_at) == ("sent", 1, NOW)
    assert anna["Message-ID"] == first.provider_message_id
    key = f"kp.{api.org.pk}.{made[0]['id']}.invitation.0"
    assert first.provider_message_id == f"<{key}@alpha.example>"

    # A second run finds nothing to do: a send is never repeated.
    assert dispatch(now=NOW + timedelta(hours=1)).claimed == 0
    assert len(smtp.messages) == 2
    read = api("get", f"/invitations/{made[0]['id']}/deliveries").json()
    assert read["deliveries"][0] | {"id": 0} == {
        "id": 0,
        "kind": "invitation",
        "ordinal": 0,
        "channel": "email",
        "status": "sent",
        "reason": "",
        "attempts": 1,
        "send_at": read["deliveries"][0]["send_at"],
        "next_attempt_at": None,
        "sent_at": NOW.astimezone(ZoneInfo("UTC")).isoformat().replace("+00:00", "Z"),
        "provider_message_id": first.provider_message_id,
        "last_error": "",
    }


def test_bad_input_names_item_and_field_and_creates_nothing(api, smtp):
    body = {
        "deliver": "email",
        "invitations": [
            {"channel": "phone", "occurred_at": WHEN, "email": "ok@example.nl"},
            {"channel": "phone", "occurred_at": WHEN},
            {"channel": "phone", "occurred_at": WHEN, "email": "not-an-address"},
            {"channel": "phone", "occurred_at": WHEN, "deliver": "sms", "phone": "12345"},
            {"channel": "phone", "occurred_at": WHEN, "deliver": "fax"},
        ],
    }
    response = api("post", "/invitations", body)
    assert response.status_code == 422
    errors = [(e["index"], e["field"], e["message"]) for e in response.json()["errors"]]
    assert errors[:3] == [
        (1, "email", "is required to deliver by email"),
        (2, "email", "is not a valid e-mail address"),
        (
            3,
            "phone",
            "is not a phone number: write it as +31612345678 (E.164) or 0612345678",
        ),
    ]
    assert errors[3][:2] == (4, "deliver")
    with tenant(api.org):
        assert Invitation.objects.count() == 0 and Delivery.objects.count() == 0
    bad_batch = api("post", "/invitations", {**body, "deliver": "pigeon"})
    assert bad_batch.status_code == 422 and bad_batch.json()["field"] == "deliver"


def test_deliver_none_keeps_todays_behaviour(api, smtp):
    invite(api, {"email": "whatever"}, deliver="none")
    with tenant(api.org):
        assert Invitation.objects.get().respondent_email == "whatever"
        assert Delivery.objects.count() == 0


def test_outside_the_window_a_message_waits_for_the_window_to_open(api, smtp):
    invite(api, {"email": "late@example.nl"})
    evening = NOW.replace(hour=21, minute=30)
    report = dispatch(now=evening)
    assert (report.claimed, report.deferred, report.sent) == (1, 1, 0)
    waiting = deliveries(api.org)[0]
    next_open = waiting.next_attempt_at.astimezone(AMS)
    assert (waiting.status, waiting.attempts, waiting.reason) == (
        "scheduled",
        0,
        "waiting for the sending window",
    )
    assert next_open.time() == time(8, 0) and next_open.date() > evening.date()
    assert next_open.weekday() != 6  # never on Sunday by default
    assert dispatch(now=next_open - timedelta(minutes=1)).claimed == 0
    assert dispatch(now=next_open).sent == 1
    assert len(smtp.messages) == 1


def test_send_at_schedules_the_send(api, smtp):
    later = NOW + timedelta(days=2)
    invite(api, {"email": "later@example.nl"}, send_at=later.isoformat())
    assert dispatch().claimed == 0
    assert dispatch(now=later + timedelta(hours=1)).sent == 1


def test_fatigue_rules_skip_with_a_reason_and_count_in_the_funnel(api, smtp):
    invite(api, {"email": "p@example.nl"}, {"email": "P@example.nl "}, valid_days=90)
    report = dispatch()
    assert (report.sent, report.skipped) == (1, {"skipped_fatigue": 1})
    skipped = deliveries(api.org, status="skipped_fatigue")[0]
    assert skipped.reason == "fatigue_days"
    invite(api, {"email": "p@example.nl"}, valid_days=90)
    assert dispatch(now=NOW + timedelta(days=29)).skipped == {"skipped_fatigue": 1}
    assert dispatch(now=NOW + timedelta(days=29)).claimed == 0
    invite(api, {"email": "p@example.nl"}, valid_days=90)
    assert dispatch(now=NOW + timedelta(days=31)).sent == 1
    # At most two a year (and no day rule): the third is skipped.
    with tenant(api.org):
        DistributionSettings.objects.create(fatigue_days=0, fatigue_per_year=2)
    invite(api, {"email": "p@example.nl"}, valid_days=90)
    assert dispatch(now=NOW + timedelta(days=32)).skipped == {"skipped_fatigue": 1}
    assert deliveries(api.org)[-1].reason == "fatigue_year"
    assert len(smtp.to("p@example.nl")) == 2
    funnel = _funnel(api.org)
    assert (funnel["made"], funnel["sent"], funnel["skipped_fatigue"]) == (5, 2, 3)


def test_opt_out_page_confirms_then_every_later_send_is_skipped(api, smtp):
    invite(api, {"email": "stop@example.nl"}, {"email": "stay@example.nl"})
    dispatch()
    link = smtp.to("stop@example.nl")[0]["List-Unsubscribe"].strip().strip("<>")
    path = link.removeprefix("http://testserver")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert page.status_code == 200
    assert "Afmelden voor uitnodigingen" in page.content.decode()
    assert browser.get(path + "?lang=en").content.decode().count("Unsubscribe") >= 2
    with tenant(api.org):
        assert OptOut.objects.count() == 0  # a link scanner opts nobody out
    done = browser.post(path, {"lang": "nl"})
    assert done.status_code == 200 and "U bent afgemeld" in done.content.decode()
    with tenant(api.org):
        opt_out = OptOut.objects.get()
        assert (opt_out.source, len(opt_out.contact_hash)) == ("link", 64)
        assert "stop@example.nl" not in opt_out.contact_hash
    invite(api, {"email": "STOP@example.nl"}, {"email": "new@example.nl"})
    report = dispatch(now=NOW + timedelta(hours=1))
    assert (report.sent, report.skipped) == (1, {"skipped_opted_out": 1})
    assert len(smtp.to("stop@example.nl")) == 1
    assert browser.post(path).status_code == 200  # twice is harmless
    assert browser.get("/s/opt-out/forged-token").status_code == 404


def test_one_click_unsubscribe_from_the_mail_program(api, smtp):
    invite(api, {"email": "click@example.nl"})
    dispatch()
    link = smtp.to("click@example.nl")[0]["List-Unsubscribe"].strip().strip("<>")
    response = Client(enforce_csrf_checks=True).post(
        link.removeprefix("http://testserver"),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    with tenant(api.org):
        assert OptOut.objects.get().source == "one_click"


def test_refused_recipient_bounces_and_a_temporary_refusal_is_retried(api, smtp):
    smtp.answers["gone@example.nl"] = "550 5.1.1 no such user"
    smtp.answers["busy@example.nl"] = ["451 4.3.0 try again later"]
    smtp.data_answers["big@example.nl"] = "554 5.6.0 message refused"
    invite(
        api,
        {"email": "gone@example.nl"},
        {"email": "busy@example.nl"},
        {"email": "ok@example.nl"},
        {"email": "big@example.nl"},
    )
    report = dispatch()
    assert (report.sent, report.bounced, report.retrying, report.failed) == (1, 1, 1, 1)
    gone, busy, _ok, big = deliveries(api.org)
    assert (gone.status, gone.last_error) == ("bounced", "550 5.1.1 no such user")
    assert (big.status, big.reason) == ("failed", "refused by the server")
    assert busy.status == "scheduled" and busy.next_attempt_at == NOW + timedelta(minutes=2)
    assert busy.last_error == "451 4.3.0 try again later"
    assert dispatch(now=NOW + timedelta(minutes=1)).claimed == 0
    assert dispatch(now=NOW + timedelta(minutes=2)).sent == 1
    assert [len(smtp.to(a)) for a in ("busy@example.nl", "gone@example.nl")] == [1, 0]
    assert deliveries(api.org)[1].attempts == 2


def test_no_mail_server_backs_off_exponentially_then_gives_up(api, smtp, settings):
    settings.EMAIL_PORT = smtp.port + 1 if smtp.port < 65535 else smtp.port - 1
    invite(api, {"email": "x@example.nl"})
    moment, delays = NOW, []
    for _ in range(services.MAX_ATTEMPTS):
        report = dispatch(now=moment)
        assert report.claimed == 1
        d = deliveries(api.org)[0]
        if d.status == "failed":
            break
        delays.append(d.next_attempt_at - moment)
        moment = d.next_attempt_at
    assert [int(x.total_seconds() // 60) for x in delays] == [2, 4, 8, 16, 32]
    assert (d.status, d.attempts, d.reason) == ("failed", 6, "gave up after 6 attempts")
    assert "ConnectionRefusedError" in d.last_error


def test_reminders_go_only_to_those_who_did_not_start(api, smtp, client):
    with tenant(api.org):
        ReminderRule.objects.create(
            instrument=Instrument.objects.get(key="customer-survey"), reminders=1, days_after=3
        )
    made = invite(api, {"email": "quiet@example.nl"}, {"email": "busy@example.nl"})
    dispatch()
    reminders = deliveries(api.org, kind="reminder")
    assert [(r.ordinal, r.send_at) for r in reminders] == [
        (1, NOW + timedelta(days=3)),
        (1, NOW + timedelta(days=3)),
    ]
    started = made[1]["url"].removeprefix("http://testserver")
    assert client.get(started).status_code == 200
    assert client.post(started, {}).status_code == 422  # submitted, answers missing
    with tenant(api.org):
        invitation = Invitation.objects.get(pk=made[1]["id"])
        assert invitation.opened_at is not None and invitation.started_at is not None
    report = dispatch(now=NOW + timedelta(days=3, hours=1))
    assert (report.sent, report.skipped) == (1, {"skipped_started": 1})
    quiet = smtp.to("quiet@example.nl")
    assert [m["Subject"] for m in quiet] == [
        "Hoe was uw contact met Alpha?",
        "Herinnering: hoe was uw contact met Alpha?",
    ]
    assert made[0]["url"] in quiet[1].get_payload()[0].get_payload(decode=True).decode()


def test_sms_goes_to_the_provider_with_the_link_and_retries_on_5xx(api, sms_provider):
    sms_provider.replies = [(503, {"error": "busy"})]
    made = invite(api, {"phone": "06 1234 5678", "language": "en"}, deliver="sms")
    report = dispatch()
    assert report.retrying == 1 and sms_provider.received == []
    assert dispatch(now=NOW + timedelta(minutes=2)).sent == 1
    sent = sms_provider.received[0]
    assert sent["to"] == "+31612345678"
    assert sent["reference"] == f"{made[0]['id']}:invitation:0"
    assert made[0]["url"] in sent["text"] and "/s/opt-out/" in sent["text"]
    assert sent["text"].startswith("Alpha: how was your contact with us?")
    assert sms_provider.headers[-1]["Authorization"] == "Bearer test-key"
    d = deliveries(api.org)[0]
    assert (d.status, d.provider_message_id, d.attempts) == ("sent", "sms-1", 2)


def test_sms_refused_number_bounces(api, sms_provider):
    sms_provider.replies = [(422, {"error": "unknown number"})]
    invite(api, {"phone": "+31612345678"}, deliver="sms")
    assert dispatch().bounced == 1
    assert deliveries(api.org)[0].last_error.startswith("HTTP 422")


def test_another_organisation_cannot_read_the_deliveries(api, smtp, make_org, client):
    from klantpeil.accounts.services import issue_api_token

    made = invite(api, {"email": "a@example.nl"})
    other = issue_api_token(organisation=make_org("beta"), name="x").secret
    response = client.get(
        f"/api/v1/invitations/{made[0]['id']}/deliveries",
        HTTP_AUTHORIZATION=f"Bearer {other}",
    )
    assert response.status_code == 404


def _funnel(org) -> dict[str, int]:
    """The funnel's counts of this year's invitations (the tests make them now)."""
    with tenant(org):
        return invitation_funnel(parse_period(str(timezone.localdate().year))).counts


def test_the_funnel_counts_each_step(api, smtp, client):
    made = invite(api, *({"email": f"f{i}@example.nl"} for i in range(4)))
    smtp.answers["f3@example.nl"] = "550 no"
    dispatch()
    first = made[0]["url"].removeprefix("http://testserver")
    client.get(first)
    client.get(made[1]["url"].removeprefix("http://testserver"))
    client.post(first, {})
    assert _funnel(api.org) == {
        "made": 4,
        "sent": 3,
        "delivered": 0,
        "failed": 0,
        "bounced": 1,
        "opened": 2,
        "started": 1,
        "completed": 0,
        "opted_out": 0,
        "skipped_fatigue": 0,
        "skipped_opted_out": 0,
        "scheduled": 0,
        "not_sent_by_us": 0,
    }


@pytest.mark.parametrize("status", ["sent"])
def test_dispatch_is_idempotent_per_invitation(api, smtp, status):
    invite(api, {"email": "once@example.nl"})
    dispatch()
    d = deliveries(api.org)[0]
    # Even if someone puts it back, the idempotency key keeps a second row out.
    from django.db import IntegrityError, transaction

    with tenant(api.org), pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            invitation=d.invitation,
            kind="invitation",
            ordinal=0,
            channel="email",
            idempotency_key=d.idempotency_key + "x",
            contact_hash=d.contact_hash,
            send_at=NOW,
            next_attempt_at=NOW,
        )
    assert d.status == status
