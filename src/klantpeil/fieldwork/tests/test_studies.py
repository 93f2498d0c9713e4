"""An analyst plans a study in the app; shoppers work through it on their phones."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.tenancy import tenant
from klantpeil.fieldwork.models import Assignment, Study
from klantpeil.organisations.models import Organisation

pytestmark = pytest.mark.django_db

TARGETS = "Central desk; 020 123 4567; front\nPermits; 020 765 4321; front\nWaste; 020 000 1111"
SCENARIOS = (
    "When is bulky waste collected?; On the first Monday of the month\n"
    "How long is a passport valid?; Ten years"
)


@pytest.fixture
def team(make_org, make_member, client):
    org = make_org("alpha")
    analyst = make_member("analyst@alpha.example", org, "analyst")
    shoppers = [make_member(f"s{i}@alpha.example", org, "shopper") for i in range(3)]
    return org, analyst, shoppers, client


def _plan(client, org, shoppers, **changes):
    today = timezone.localdate()
    data = {
        "name": "Reachability autumn",
        "protocol": "mystery-phone",
        "starts_on": (today - timedelta(days=20)).isoformat(),
        "ends_on": (today + timedelta(days=20)).isoformat(),
        "contacts": "45",
        "targets": TARGETS,
        "scenarios": SCENARIOS,
        "shoppers": [str(s.pk) for s in shoppers],
        "seed": "42",
        **changes,
    }
    return client.post(f"/app/{org.slug}/fieldwork/new/", data, HTTP_ACCEPT_LANGUAGE="en")


def test_an_analyst_plans_a_study_and_every_contact_is_assigned_fairly(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    response = _plan(client, org, shoppers)
    assert response.status_code == 302
    with tenant(org):
        study = Study.objects.get()
        assignments = list(study.assignments.order_by("scheduled_at"))
    assert len(assignments) == 45
    assert sorted(Counter(a.shopper_id for a in assignments).values()) == [15, 15, 15]
    assert Counter(a.target.key for a in assignments) == {"T1": 15, "T2": 15, "T3": 15}
    by_target: dict[str, list[int]] = {}
    for a in assignments:
        by_target.setdefault(a.target.key, []).append(a.shopper_id)
    for sequence in by_target.values():  # never the same shopper twice in a row on a target
        assert all(x != y for x, y in pairwise(sequence))
    for a in assignments:
        local = timezone.localtime(a.scheduled_at)
        assert local.weekday() < 5 and 9 <= local.hour < 17
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "0 of 45 contacts done" in page


def test_the_planning_form_says_which_line_is_wrong_and_writes_nothing(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    response = _plan(client, org, shoppers, targets="Central desk; 020 123 4567\nno address here")
    assert response.status_code == 200
    assert "Line 2: expected name; address separated by semicolons." in response.content.decode()
    response = _plan(client, org, shoppers, targets="Desk; 020 1; nowhere")
    assert "unknown unit code(s): nowhere" in response.content.decode()
    with tenant(org):
        assert not Study.objects.exists() and not Assignment.objects.exists()


def test_a_shopper_taps_scores_and_records_the_callback_later(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    _plan(client, org, shoppers)
    shopper = shoppers[0]
    client.force_login(shopper)
    today = client.get(f"/app/{org.slug}/fieldwork/today/", HTTP_ACCEPT_LANGUAGE="en")
    todo = list(today.context["todo"])
    assert todo and all(a.shopper_id == shopper.pk for a in todo)
    task = todo[0]
    base = f"/app/{org.slug}/fieldwork/assignments/{task.pk}/"
    assert client.post(base + "tap/", {"event": "dialled"}).status_code == 302
    with tenant(org):
        Assignment.objects.filter(pk=task.pk).update(
            answered_at=Assignment.objects.get(pk=task.pk).dialled_at + timedelta(seconds=12)
        )
    form = client.get(base, HTTP_ACCEPT_LANGUAGE="en")
    assert form.status_code == 200 and "12" in [i.value for i in form.context["items"]]
    scores = {
        "connected": "1",
        "seconds_to_answer": "12",
        "ivr_options": "2",
        "transferred": "1",
        "ended_at": "operator",
        "callback_promised": "1",
        "answer_correct": "1",
        "empathy": "0",
        **{k: "3" for k in ("exp_listening", "exp_understanding", "exp_initiative")},
        **{k: "4" for k in ("exp_clarity", "exp_friendliness")},
        "overall_grade": "6",
    }
    assert client.post(base, scores).status_code == 302
    assert client.post(base, scores).status_code == 200  # a second save stores nothing more
    with tenant(org):
        task.refresh_from_db()
        assert Measurement.objects.count() == 1
        assert task.callback_pending
    page = client.get(f"/app/{org.slug}/fieldwork/today/", HTTP_ACCEPT_LANGUAGE="en")
    assert [a.pk for a in page.context["callbacks"]] == [task.pk]
    came = timezone.localtime(task.completed_at + timedelta(hours=5))
    response = client.post(
        base + "callback/",
        {"came": "yes", "came_at": came.strftime("%Y-%m-%dT%H:%M")},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Callback recorded."]
    with tenant(org):
        task.refresh_from_db()
        assert not task.callback_pending
        current = Measurement.objects.current().get()
        assert task.measurement_id == current.pk
        hours = Answer.objects.get(measurement=current, question__key="callback_hours").number
        assert hours == pytest.approx(5.0, abs=0.02)
    client.force_login(analyst)
    study = client.get(f"/app/{org.slug}/fieldwork/{task.study_id}/", HTTP_ACCEPT_LANGUAGE="en")
    kpis = study.context["kpis"]
    assert kpis["callback_within_24h_rate"].value == 1.0
    assert kpis["back_to_operator_rate"].value == 1.0
    assert kpis["helped_rate"].value == 1.0  # the promised callback came within 24 hours
    assert kpis["empathy_rate"].value == 0.0


def test_a_shopper_cannot_open_another_shoppers_contact(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    _plan(client, org, shoppers)
    with tenant(org):
        other = Assignment.objects.exclude(shopper=shoppers[0]).first()
    client.force_login(shoppers[0])
    assert client.get(f"/app/{org.slug}/fieldwork/assignments/{other.pk}/").status_code == 404
    response = client.post(
        f"/app/{org.slug}/fieldwork/assignments/{other.pk}/tap/", {"event": "dialled"}
    )
    assert response.status_code == 404
    assert client.get(f"/app/{org.slug}/fieldwork/new/").status_code == 403


def test_the_analyst_sees_callbacks_past_their_deadline(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    _plan(client, org, shoppers)
    with tenant(org):
        late, early = Assignment.objects.all()[:2]
        now = timezone.now()
        Assignment.objects.filter(pk=late.pk).update(callback_due_at=now - timedelta(hours=3))
        Assignment.objects.filter(pk=early.pk).update(callback_due_at=now + timedelta(hours=3))
    page = client.get(f"/app/{org.slug}/fieldwork/callbacks/overdue/", HTTP_ACCEPT_LANGUAGE="en")
    assert [a.pk for a in page.context["callbacks"]] == [late.pk]
    listing = client.get(f"/app/{org.slug}/fieldwork/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 overdue callback" in listing.content.decode()


def test_the_plan_skips_public_holidays(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    _plan(client, org, shoppers, starts_on="2026-12-21", ends_on="2027-01-08", contacts="60")
    with tenant(org):
        days = {timezone.localtime(a.scheduled_at).date() for a in Assignment.objects.all()}
    assert days and not days & {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)}


def test_one_study_planned_for_two_organisations_is_two_studies_or_none(
    team, make_org, make_member
):
    org, analyst, shoppers, client = team
    beta = make_org("beta")
    make_member(analyst.email, beta, "analyst")
    make_member(shoppers[0].email, beta, "shopper")
    make_member(shoppers[1].email, beta, "shopper")
    analyst.refresh_from_db()  # the fixture sets the password again: log in anew
    client.force_login(analyst)
    targets = TARGETS + "\nbeta: Beta desk; 030 111 2222; front\nbeta: Beta permits; 030 333 4444"
    # Without beta's targets the form says so, and nothing is planned anywhere.
    response = _plan(client, org, shoppers, also_for=["beta"])
    assert "No targets for beta" in response.content.decode()
    response = _plan(client, org, shoppers, also_for=["beta"], targets=targets)
    assert response.status_code == 302
    with tenant(beta):
        study = Study.objects.get()
        assert study.series == "Reachability autumn"
        assert {t.label for t in study.targets.all()} == {"Beta desk", "Beta permits"}
        people = set(study.assignments.values_list("shopper__email", flat=True))
        assert people == {shoppers[0].email, shoppers[1].email}  # not the one who is not there
    with tenant(org):
        assert Study.objects.get().targets.count() == 3


def test_planning_for_an_organisation_you_do_not_serve_is_not_possible(team, make_org):
    org, analyst, shoppers, client = team
    make_org("gamma")
    client.force_login(analyst)
    gamma = Organisation.objects.get(slug="gamma")
    assert "also_for" not in client.get(f"/app/{org.slug}/fieldwork/new/").context["form"].fields
    response = _plan(client, org, shoppers, also_for=["gamma"])  # a forged choice is ignored
    assert response.status_code == 302
    with tenant(gamma):
        assert not Study.objects.exists()
    with tenant(org):
        assert Study.objects.get().series == ""


def test_a_series_that_fails_for_one_organisation_plans_nothing(team, make_org, make_member):
    org, analyst, shoppers, client = team
    beta = make_org("beta")
    make_member(analyst.email, beta, "analyst")  # but none of the shoppers works for beta
    analyst.refresh_from_db()
    client.force_login(analyst)
    targets = TARGETS + "\nbeta: Beta desk; 030 111 2222"
    response = _plan(client, org, shoppers, also_for=["beta"], targets=targets)
    assert response.status_code == 200
    assert "Beta: a study needs at least one shopper" in response.content.decode()
    for organisation in (org, beta):
        with tenant(organisation):
            assert not Study.objects.exists() and not Assignment.objects.exists()


def test_calibration_upload_shows_which_measurement_point_evaluators_disagree_on(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    url = f"/app/{org.slug}/fieldwork/calibration/"
    with open("src/klantpeil/analytics/tests/data/calibration.csv", "rb") as scores:
        response = client.post(url, {"file": scores}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    items = response.context["report"]["items"]
    assert items[0]["item"] == "empathy" and items[0]["verdict"] == "poor"
    by_item = {i["item"]: i for i in items}
    assert by_item["seconds_to_answer"]["level"] == "interval"
    assert "poor: sharpen the definition" in response.content.decode()
    bad = SimpleUploadedFile("scores.csv", b"who;connected\nann;ja\n")
    response = client.post(url, {"file": bad}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "scores.csv: missing column(s) contact, rater" in response.content.decode()
    text = b"contact;rater;overall_grade\n1;ann;7\n1;bob;zeven\n2;ann;6\n2;bob;6\n"
    response = client.post(url, {"file": SimpleUploadedFile("grades.csv", text)})
    assert response.status_code == 400 and "grades.csv: " in response.content.decode()
    client.force_login(shoppers[0])
    assert client.get(url).status_code == 403


def test_an_email_study_counts_response_time_in_business_hours(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    response = _plan(client, org, shoppers, protocol="mystery-email", contacts="6")
    assert response.status_code == 302
    with tenant(org):
        tasks = list(Assignment.objects.order_by("pk"))
    # Sent Friday 4 November 2026 16:00; answered Monday 9:30: 1 h Friday (until 17:00)
    # + 1 h Monday (from 8:30) = 2 business hours, within two working days. The second,
    # sent Thursday 24 December 16:00, answered Monday 28 December 10:00: Christmas and
    # Boxing Day and the weekend are closed, so 1 + 1.5 = 2.5 h. The third never came.
    emails = [
        ("2026-11-06T16:00", "2026-11-09T09:30", "1", "1"),
        ("2026-12-24T16:00", "2026-12-28T10:00", "0", "1"),
        ("2026-11-10T11:00", "", "", ""),
    ]
    for task, (sent, answered, correct, complete) in zip(tasks, emails, strict=False):
        client.force_login(task.shopper)
        base = f"/app/{org.slug}/fieldwork/assignments/{task.pk}/"
        client.post(base + "tap/", {"event": "dialled"})  # the "sent" button
        scores = {"sent_at": sent, "answered_at": answered, "answer_correct": correct}
        scores |= {"complete": complete, "tone": "4" if answered else "", "overall_grade": "7"}
        saved = client.post(base, {k: v for k, v in scores.items() if v})
        assert saved.status_code == 302, saved.context["errors"]
    client.force_login(analyst)
    page = client.get(f"/app/{org.slug}/fieldwork/{tasks[0].study_id}/", HTTP_ACCEPT_LANGUAGE="en")
    kpis = page.context["kpis"]
    assert (kpis["answered_within_norm_rate"].successes, kpis["answered_within_norm_rate"].n) == (
        2,
        3,
    )
    assert kpis["median_business_hours"].value == pytest.approx(2.25)
    assert (kpis["correct_rate"].successes, kpis["correct_rate"].n) == (1, 2)
    assert "Answered within two working days" in page.content.decode()
    svg = client.get(f"/app/{org.slug}/fieldwork/{tasks[0].study_id}/infographic.svg?lang=en")
    assert svg.status_code == 200 and "Answered within two working days" in svg.content.decode()


def test_a_counter_study_times_the_wait_and_summarises_every_point(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    assert _plan(client, org, shoppers, protocol="mystery-counter", contacts="3").status_code == 302
    with tenant(org):
        tasks = list(Assignment.objects.order_by("pk"))
    for task, greeted in zip(tasks, ("1", "1", "0"), strict=True):
        client.force_login(task.shopper)
        base = f"/app/{org.slug}/fieldwork/assignments/{task.pk}/"
        client.post(base + "tap/", {"event": "dialled"})  # "Arrived"
        with tenant(org):
            arrived = Assignment.objects.get(pk=task.pk).dialled_at
            Assignment.objects.filter(pk=task.pk).update(answered_at=arrived + timedelta(minutes=7))
        form = client.get(base, HTTP_ACCEPT_LANGUAGE="en")
        assert "Served" in form.content.decode()
        assert {i.key: i.value for i in form.context["items"]}["minutes_waiting"] == "7"
        scores = {"minutes_waiting": "7", "greeted": greeted, "answer_correct": "1"}
        scores |= {"empathy": "0", "exp_listening": "4", "exp_clarity": "3", "overall_grade": "7"}
        assert client.post(base, scores).status_code == 302
    client.force_login(analyst)
    page = client.get(f"/app/{org.slug}/fieldwork/{tasks[0].study_id}/", HTTP_ACCEPT_LANGUAGE="en")
    greeted = page.context["kpis"]["Were you greeted and looked at?"]
    assert (greeted.successes, greeted.n) == (2, 3)
    waited = page.context["kpis"]["Minutes waited until served"]
    assert (waited.value, waited.n, waited.is_share) == (7.0, 3, False)
    assert "Measurement points of the protocol" in page.content.decode()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_planning_form_shows_its_default_dates_in_either_language(team, language):
    # A date field takes only ISO dates; Dutch "13-12-2026" used to be dropped as invalid.
    org, analyst, _, client = team
    client.force_login(analyst)
    page = client.get(f"/app/{org.slug}/fieldwork/new/", HTTP_ACCEPT_LANGUAGE=language)
    today = timezone.localdate()
    html = page.content.decode()
    assert f'value="{(today + timedelta(days=7)).isoformat()}"' in html
    assert f'value="{(today + timedelta(days=34)).isoformat()}"' in html


def test_today_says_late_for_a_contact_days_ago_and_writes_dates_in_dutch(team):
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    _plan(client, org, shoppers)
    shopper = shoppers[0]
    now = timezone.now()
    with tenant(org):
        mine = list(Assignment.objects.filter(shopper=shopper).order_by("pk")[:2])
        Assignment.objects.exclude(pk__in=[a.pk for a in mine]).filter(shopper=shopper).update(
            scheduled_at=now + timedelta(days=60)
        )
        old, current = mine
        Assignment.objects.filter(pk=old.pk).update(scheduled_at=now - timedelta(days=2))
        Assignment.objects.filter(pk=current.pk).update(scheduled_at=now - timedelta(minutes=30))
    client.force_login(shopper)
    page = client.get(f"/app/{org.slug}/fieldwork/today/", HTTP_ACCEPT_LANGUAGE="nl")
    html = page.content.decode()
    assert html.count("te laat") == 1  # the contact two days ago
    assert html.count(" · nu") == 1  # the one in its time block
    two_days_ago = timezone.localtime(now - timedelta(days=2))
    days = ["ma", "di", "wo", "do", "vr", "za", "zo"]
    months = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    dutch = f"{days[two_days_ago.weekday()]} {two_days_ago.day} {months[two_days_ago.month - 1]}"
    assert dutch in html, dutch


def test_a_seed_or_day_out_of_range_is_a_form_error_not_a_server_error(team):
    # Issue 21: a seed of 2^63 was a 500 (and 2^31 on PostgreSQL, whose integer column
    # holds up to 2^31 - 1); year 1 or 9999 is no day a plan can be made for.
    org, analyst, shoppers, client = team
    client.force_login(analyst)
    for seed in (str(2**63), str(2**31), "1" + "0" * 400):
        response = _plan(client, org, shoppers, seed=seed)
        assert response.status_code == 200, seed
        assert "Ensure this value is less than or equal to 2147483647." in response.content.decode()
    for day in ("0001-01-01", "9999-12-31"):
        response = _plan(client, org, shoppers, starts_on=day, ends_on=day)
        assert response.status_code == 200, day
        page = response.content.decode()
        assert page.count("Choose a day from 1900-01-01 to 2999-12-31.") == 2, day
    with tenant(org):
        assert not Study.objects.exists()
    assert _plan(client, org, shoppers, seed=str(2**31 - 1)).status_code == 302
    with tenant(org):
        assert Study.objects.get().seed == 2**31 - 1
