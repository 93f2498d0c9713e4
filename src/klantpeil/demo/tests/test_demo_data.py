"""The demo data carries the field's effects, deterministically, in one transaction."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from django.db.models import Avg, Count, Sum

from klantpeil.collection.models import Answer, Measurement
from klantpeil.demo.generate import generate
from klantpeil.demo.logins import DEMO_PASSWORD, create_logins
from klantpeil.demo.reset import wipe_demo
from klantpeil.organisations.models import Organisation

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        result = generate(seed=11, today=TODAY, scale=0.15)
        yield result
        wipe_demo()


def _answers(instrument: str, key: str):
    return Answer.unscoped_all_tenants.filter(
        measurement__instrument_version__instrument__key=instrument, question__key=key
    )


@pytest.mark.django_db
def test_shape_of_the_field(demo):
    sectors = Organisation.objects.values("sector__key").annotate(n=Count("id"))
    assert {row["sector__key"]: row["n"] for row in sectors} == {
        "municipalities": 5,
        "housing": 5,
        "utilities": 5,
        "insurers": 5,
    }
    assert demo.measurements == Measurement.unscoped_all_tenants.count()
    assert demo.answers == Answer.unscoped_all_tenants.count()
    methods = set(Measurement.unscoped_all_tenants.values_list("method", flat=True).distinct())
    assert methods == {"customer_survey", "mystery_contact", "employee_survey"}


@pytest.mark.django_db
def test_measurements_cover_the_twelve_months_before_today(demo):
    days = [
        m.date() for m in Measurement.unscoped_all_tenants.values_list("occurred_at", flat=True)
    ]
    assert min(days) >= TODAY - timedelta(days=366)
    assert max(days) < TODAY
    months = {(d.year, d.month) for d in days}
    assert len(months) >= 12


@pytest.mark.django_db
def test_channel_gaps_follow_the_field(demo):
    by_kind = dict(
        _answers("customer-survey", "overall_grade")
        .values_list("measurement__channel__kind")
        .annotate(mean=Avg("number"))
    )
    assert by_kind["counter"] > by_kind["phone"] > by_kind["email"]
    assert by_kind["counter"] == pytest.approx(8.2, abs=0.35)
    assert by_kind["phone"] == pytest.approx(7.5, abs=0.35)
    assert by_kind["email"] == pytest.approx(5.8, abs=0.4)
    email_by_sector = dict(
        _answers("customer-survey", "overall_grade")
        .filter(measurement__channel__kind="email")
        .values_list("organisation__sector__key")
        .annotate(mean=Avg("number"))
    )
    assert email_by_sector["municipalities"] < email_by_sector["housing"] - 0.8


@pytest.mark.django_db
def test_reliability_and_empathy_weigh_most_and_waiting_time_is_a_dissatisfier(demo):
    overall = dict(
        _answers("customer-survey", "overall_grade").values_list("measurement_id", "number")
    )
    drivers = {}
    for row in (
        Answer.unscoped_all_tenants.filter(
            measurement__instrument_version__instrument__key="customer-survey"
        )
        .exclude(question__driver="")
        .values_list("measurement_id", "question__driver", "number")
    ):
        drivers.setdefault(row[1], {})[row[0]] = row[2]
    ids = [i for i in overall if all(i in d for k, d in drivers.items() if k != "ivr_menu")]
    y = np.array([overall[i] for i in ids])
    names = [k for k in drivers if k != "ivr_menu"]
    X = np.column_stack([[drivers[k][i] for i in ids] for k in names])
    X1 = np.column_stack([np.ones(len(ids)), (X - X.mean(0)) / X.std(0)])
    beta = dict(zip(names, np.linalg.lstsq(X1, y, rcond=None)[0][1:], strict=True))
    top_two = sorted(beta, key=beta.get, reverse=True)[:2]
    assert set(top_two) == {"reliability", "empathy"}, beta
    wait = X[:, names.index("waiting_time")]
    rest = y - X1[:, 1:] @ np.array([beta[k] if k != "waiting_time" else 0 for k in names])
    low = np.polyfit(wait[wait <= 5], rest[wait <= 5], 1)[0]
    high = np.polyfit(wait[wait >= 7], rest[wait >= 7], 1)[0]
    assert low > 2 * high  # a bad wait costs; a good wait earns little


@pytest.mark.django_db
def test_mystery_calls_resemble_the_fields_figures(demo):
    def rate(key, **filters):
        qs = _answers("mystery-phone", key).filter(**filters)
        return qs.aggregate(s=Sum("number"))["s"] / qs.count()

    assert rate("connected") == pytest.approx(11 / 12, abs=0.03)
    ended = dict(
        _answers("mystery-phone", "ended_at")
        .filter(measurement__answers__question__key="transferred", measurement__answers__number=1)
        .values_list("text")
        .annotate(n=Count("id"))
    )
    transferred = sum(ended.values())
    assert ended["operator"] / transferred == pytest.approx(1 / 6, abs=0.05)
    assert ended["voicemail"] / transferred == pytest.approx(1 / 4, abs=0.05)
    promised = _answers("mystery-phone", "callback_promised").filter(number=1).count()
    within = _answers("mystery-phone", "callback_hours").filter(number__lt=24).count()
    assert within / promised == pytest.approx(0.62, abs=0.07)
    assert rate("answer_correct") == pytest.approx(0.70, abs=0.05)
    assert rate("empathy") == pytest.approx(0.49, abs=0.06)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data(demo):
    def fingerprint():
        return (
            Measurement.unscoped_all_tenants.count(),
            round(Answer.unscoped_all_tenants.aggregate(s=Sum("number"))["s"], 6),
            sorted(Answer.unscoped_all_tenants.exclude(text=None).values_list("text", flat=True))[
                :50
            ],
        )

    first = fingerprint()
    wipe_demo()
    generate(seed=11, today=TODAY, scale=0.15)
    assert fingerprint() == first


@pytest.mark.django_db
def test_demo_logins_can_sign_in(demo, client):
    logins = create_logins()
    assert {login.role for login in logins} == {
        "operator",
        "analyst",
        "manager",
        "viewer",
        "shopper",
    }
    for login in logins:
        assert client.login(email=login.email, password=DEMO_PASSWORD), login.email


@pytest.mark.django_db
def test_about_two_in_three_mystery_callers_are_helped(demo):
    from klantpeil.metrics.reachability import MysteryCall, counts_from_calls

    fields = {
        "connected",
        "seconds_to_answer",
        "ivr_options",
        "transferred",
        "ended_at",
        "callback_promised",
        "callback_hours",
        "answer_correct",
        "empathy",
    }
    calls: dict = {}
    for mid, key, number, text in Answer.unscoped_all_tenants.filter(
        measurement__instrument_version__instrument__key="mystery-phone", question__key__in=fields
    ).values_list("measurement_id", "question__key", "number", "text"):
        calls.setdefault(mid, {})[key] = text if key == "ended_at" else number
    counts = counts_from_calls(MysteryCall(**c) for c in calls.values())
    assert counts.helped / counts.calls == pytest.approx(0.67, abs=0.05)
