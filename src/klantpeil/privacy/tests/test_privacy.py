"""Respondents' privacy: retention of contact data, forgetting one respondent, the audit log,
and employees' anonymity in the API and exports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klantpeil.accounts.services import issue_api_token
from klantpeil.cli import main
from klantpeil.collection.ingest import create_invitations
from klantpeil.collection.models import Answer, Correction, Invitation, Measurement
from klantpeil.collection.services import (
    answer_invitation,
    correct_measurement,
    record_measurement,
)
from klantpeil.collection.tests.samples import CUSTOMER_SURVEY_ANSWERS
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.selectors import latest_version
from klantpeil.privacy import services
from klantpeil.privacy.models import AuditAction, AuditEvent, RetentionPolicy
from klantpeil.privacy.tasks import purge_contact_data
from klantpeil.rollups import services as rollups
from klantpeil.rollups.models import AnswerRollup

WHEN = datetime(2026, 6, 1, 10, tzinfo=UTC)


def _invite(email: str, phone: str = "", contact: str = "") -> Invitation:
    invitation, _token = create_invitations(
        events=[
            {
                "channel": "email",
                "occurred_at": WHEN,
                "email": email,
                "phone": phone,
                "external_contact_id": contact,
            }
        ]
    )[0]
    return invitation


def _age(invitation: Invitation, days: int) -> None:
    Invitation.unscoped_all_tenants.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(days=days)
    )


@pytest.fixture
def alpha(make_org):
    return make_org("alpha")


def test_contact_data_goes_after_the_retention_period_and_a_second_run_changes_nothing(
    make_org, alpha
):
    beta = make_org("beta")
    RetentionPolicy.objects.create(organisation=beta, contact_days=365)
    with tenant(alpha):
        old = _invite("old@example.nl", "0612345678", "CRM-1")
        young = _invite("young@example.nl", "0687654321", "CRM-2")
        _age(old, 91)
        _age(young, 89)
    with tenant(beta):
        kept = _invite("beta@example.nl")
        _age(kept, 200)
    with tenant(alpha):
        assert services.purge_contact_data() == 1
        assert services.purge_contact_data() == 0
    with tenant(beta):
        assert services.purge_contact_data() == 0  # beta keeps contact data for a year
    old.refresh_from_db()
    young.refresh_from_db()
    kept.refresh_from_db()
    assert (old.respondent_email, old.respondent_phone) == ("", "")
    assert old.external_contact_id == services.pseudonym("CRM-1")
    assert old.external_contact_id.startswith("~") and "CRM-1" not in old.external_contact_id
    assert (young.respondent_email, young.external_contact_id) == ("young@example.nl", "CRM-2")
    assert kept.respondent_email == "beta@example.nl"
    event = AuditEvent.objects.get(action=AuditAction.PURGE)
    assert event.organisation == alpha and event.detail["invitations"] == 1
    assert "old@example.nl" not in json.dumps(event.detail)


def test_invitations_with_contact_data_queue_one_daily_purge_that_requeues_itself(
    alpha, django_capture_on_commit_callbacks
):
    with tenant(alpha), django_capture_on_commit_callbacks(execute=True):
        _invite("a@example.nl")
        _invite("b@example.nl")
    waiting = DBTaskResult.objects.filter(status="READY", task_path=purge_contact_data.module_path)
    assert waiting.count() == 1
    run_after = waiting.get().run_after
    assert timedelta(hours=23) < run_after - timezone.now() <= timedelta(days=1)
    assert not DBTaskResult.objects.ready().exists()  # not due yet: the worker leaves it
    # Run it as the worker will tomorrow: it purges nothing yet, and queues the next run.
    waiting.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_contact_data.call() == {"alpha": 0}
    assert waiting.count() == 1


def _respond(invitation: Invitation, grade: int) -> Measurement:
    answers = {**CUSTOMER_SURVEY_ANSWERS, "overall_grade": grade}
    return answer_invitation(invitation_id=invitation.pk, answers=answers).measurement


def _grade_rollup(org) -> tuple[int, float]:
    cells = AnswerRollup.unscoped_all_tenants.filter(
        organisation=org, question_key="overall_grade", unit_key=rollups.ALL_UNITS
    )
    return sum(c.n for c in cells), sum(c.total for c in cells)


def test_forgetting_a_respondent_deletes_their_contact_data_and_answers_only(
    make_org, make_member, alpha
):
    beta = make_org("beta")
    analyst = make_member("analyst@alpha.example", alpha, "analyst")
    with tenant(beta):
        _respond(_invite("same@example.nl"), 2)  # the same person at another organisation
    with tenant(alpha):
        mine = _respond(_invite("Same@Example.nl"), 3)
        correct_measurement(
            measurement=mine,
            answers={**CUSTOMER_SURVEY_ANSWERS, "overall_grade": 4},
            reason="typo",
        )
        second = _respond(_invite("same@example.nl", contact="CRM-7"), 5)
        other = _respond(_invite("other@example.nl"), 9)
    rollups.refresh()
    assert _grade_rollup(alpha) == (3, 4 + 5 + 9)

    with tenant(alpha):
        preview = services.forget_respondent(email="SAME@example.nl", dry_run=True)
        assert preview == services.Forgotten(invitations=2, measurements=3)
        assert Measurement.objects.count() == 4
        result = services.forget_respondent(email="same@example.nl", by=analyst)
    assert result == services.Forgotten(invitations=2, measurements=3)
    with tenant(alpha):
        assert list(Measurement.objects.values_list("pk", flat=True)) == [other.pk]
        assert Invitation.objects.count() == 1
        assert not Answer.objects.filter(measurement_id__in=[mine.pk, second.pk]).exists()
        assert not Correction.objects.exists()
    with tenant(beta):
        assert Invitation.objects.get().respondent_email == "same@example.nl"
        assert Measurement.objects.count() == 1
    # The dashboards' figures no longer count the forgotten answers, and equal a rebuild.
    assert _grade_rollup(alpha) == (1, 9)
    rollups.rebuild_all()
    assert _grade_rollup(alpha) == (1, 9)
    event = AuditEvent.objects.get(action=AuditAction.FORGET)
    assert (event.user, event.organisation) == (analyst, alpha)
    assert event.detail == {"invitations": 2, "measurements": 3}


def test_a_respondent_can_be_found_by_a_pseudonymised_contact_id(alpha):
    with tenant(alpha):
        invitation = _invite("x@example.nl", contact="CRM-9")
        _respond(invitation, 6)
        _age(invitation, 400)
        services.purge_contact_data()
        result = services.forget_respondent(external_contact_id="CRM-9")
    assert result == services.Forgotten(invitations=1, measurements=1)
    with pytest.raises(ValueError, match="Name the respondent"), tenant(alpha):
        services.forget_respondent(email="  ")


def test_the_privacy_command_forgets_and_purges(alpha, capsys):
    with tenant(alpha):
        _respond(_invite("cli@example.nl", phone="0611111111"), 7)
    assert main(["privacy", "forget", "--org", "alpha", "--phone", "0611111111", "--dry-run"]) == 0
    assert "Would delete 1 invitation(s) and 1 measurement(s)" in capsys.readouterr().out
    assert main(["privacy", "forget", "--org", "alpha", "--phone", "0611111111"]) == 0
    assert "Deleted 1 invitation(s) and 1 measurement(s) of this respondent in alpha." in (
        capsys.readouterr().out
    )
    assert Measurement.unscoped_all_tenants.count() == 0
    assert main(["privacy", "forget", "--org", "alpha"]) == 2
    assert main(["privacy", "forget", "--org", "nope", "--email", "a@b.nl"]) == 2
    assert main(["privacy", "purge"]) == 0
    assert json.loads(capsys.readouterr().out) == {"invitations_purged": {"alpha": 0}}


def test_an_analyst_forgets_a_respondent_after_seeing_what_would_go(make_member, client, alpha):
    analyst = make_member("analyst@alpha.example", alpha, "analyst")
    with tenant(alpha):
        _respond(_invite("ask@example.nl"), 4)
        _respond(_invite("stay@example.nl"), 8)
    client.force_login(analyst)
    url = "/app/alpha/privacy/forget/"
    assert client.get(url).status_code == 200
    empty = client.post(url, {"email": "", "phone": "", "contact_id": ""})
    assert "e-mailadres, telefoonnummer of contact-id" in empty.content.decode()
    preview = client.post(url, {"email": "ask@example.nl"})
    assert "1 uitnodiging(en) en 1 meting(en)" in preview.content.decode()
    assert Measurement.unscoped_all_tenants.count() == 2
    done = client.post(url, {"email": "ask@example.nl", "confirm": "on"}, follow=True)
    assert "1 uitnodiging(en) en 1 meting(en) verwijderd" in done.content.decode()
    assert list(Invitation.unscoped_all_tenants.values_list("respondent_email", flat=True)) == [
        "stay@example.nl"
    ]
    assert AuditEvent.objects.get(action=AuditAction.FORGET).user == analyst


# --- the audit log ---------------------------------------------------------------


def test_views_exports_and_token_use_are_logged(make_org, make_member, client, alpha):
    beta = make_org("beta")
    viewer = make_member("viewer@alpha.example", alpha, "viewer")
    client.force_login(viewer)
    assert client.get("/app/alpha/measurements/", {"page": "1"}).status_code == 200
    export = client.get(
        "/app/alpha/export/", {"instrument": "customer-survey", "format": "csv", "period": ""}
    )
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")
    assert client.get("/app/beta/").status_code == 404  # nothing shown, nothing logged
    client.logout()
    read = issue_api_token(organisation=alpha, name="BI", scope="read")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {read.secret}"}
    assert client.get("/api/v1/measurements", **headers).status_code == 200
    refused = client.post("/api/v1/invitations", "{}", content_type="application/json", **headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "read_only_token"

    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.route, e.status) for e in events] == [
        (AuditAction.VIEW, "app:measurements", 200),
        (AuditAction.EXPORT, "app:export", 200),
        (AuditAction.API_READ, "api-v1:list_measurements", 200),
        (AuditAction.API_WRITE, "api-v1:make_invitations", 403),
    ]
    assert [e.user for e in events] == [viewer, viewer, None, None]
    assert [e.api_token_id for e in events] == [None, None, read.token.pk, read.token.pk]
    assert {e.organisation for e in events} == {alpha}
    assert events[0].detail == {"query": {"page": "1"}}
    assert events[1].detail["query"]["instrument"] == "customer-survey"
    assert beta not in {e.organisation for e in events}


def test_operators_read_the_audit_log_in_the_back_office_and_nobody_edits_it(
    make_member, client, alpha
):
    operator = make_member("op@klantpeil.example", alpha, "operator")
    client.force_login(operator)
    assert client.get("/app/alpha/").status_code == 200
    listing = client.get("/admin/privacy/auditevent/")
    assert listing.status_code == 200
    assert "/app/alpha/" in listing.content.decode()
    event = AuditEvent.objects.filter(route="app:overview").get()
    assert client.get(f"/admin/privacy/auditevent/{event.pk}/delete/").status_code == 403
    assert client.get("/admin/privacy/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(route="admin:privacy_auditevent_changelist").exists()


# --- employees' anonymity ----------------------------------------------------------


def _employee_answers(grade: int) -> dict:
    likert = {
        k: 4
        for k in (
            "has_information",
            "manager_support",
            "autonomy",
            "workload",
            "pride",
            "collaboration",
        )
    }
    return {"employee_grade": grade, "enps": 8, **likert}


@pytest.fixture
def employees(alpha):
    with tenant(alpha):
        version = latest_version(key="employee-survey")
        ids = [
            record_measurement(
                version=version,
                answers=_employee_answers(grade),
                occurred_at=WHEN,
                source="import",
            ).pk
            for grade in (4, 6)
        ]
    return ids


def test_the_api_never_serves_single_employee_responses(alpha, employees, client):
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {issue_api_token(organisation=alpha, name='x').secret}"
    }
    for query in ("", "?method=employee_survey", "?instrument=employee-survey"):
        page = client.get(f"/api/v1/measurements{query}", **headers).json()
        assert (page["count"], page["items"]) == (0, []), query
    for pk in employees:
        response = client.get(f"/api/v1/measurements/{pk}", **headers)
        assert response.status_code == 404


def test_employee_responses_are_not_exported_or_shown_one_by_one(
    alpha, employees, make_member, client, tmp_path, capsys
):
    client.force_login(make_member("a@alpha.example", alpha, "analyst"))
    response = client.get(
        "/app/alpha/export/", {"instrument": "employee-survey", "format": "csv", "period": ""}
    )
    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "anoniem" in response.content.decode()  # the form says why, in Dutch
    assert client.get(f"/app/alpha/measurements/{employees[0]}/").status_code == 404
    listing = client.get("/app/alpha/measurements/")
    assert listing.context["page"].paginator.count == 0
    out = tmp_path / "e.csv"
    code = main(
        ["export", "--org", "alpha", "--instrument", "employee-survey", "--output", str(out)]
    )
    assert code == 2 and not out.exists()
    assert "anonymous" in capsys.readouterr().err


def test_privacy_purge_takes_one_organisation_and_a_dry_run(make_org, alpha, capsys):
    beta = make_org("beta")
    with tenant(alpha):
        _age(_invite("a-old@example.nl"), 100)
    with tenant(beta):
        _age(_invite("b-old@example.nl"), 100)
    assert main(["privacy", "purge", "--org", "alpha", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out) == {"invitations_to_purge": {"alpha": 1}}
    assert Invitation.unscoped_all_tenants.filter(respondent_email="").count() == 0
    assert main(["privacy", "purge", "--org", "alpha"]) == 0
    assert json.loads(capsys.readouterr().out) == {"invitations_purged": {"alpha": 1}}
    emails = dict(
        Invitation.unscoped_all_tenants.values_list("organisation__slug", "respondent_email")
    )
    assert emails == {"alpha": "", "beta": "b-old@example.nl"}
    assert main(["privacy", "purge", "--org", "nope"]) == 2
    assert "no organisation with slug 'nope'" in capsys.readouterr().err
    assert main(["privacy", "purge"]) == 0
    assert json.loads(capsys.readouterr().out) == {"invitations_purged": {"alpha": 0, "beta": 1}}


def test_the_readme_and_the_privacy_commands_help_agree(capsys):
    """Every ``klantpeil privacy`` form the README's command table documents: each flag it
    names is in that command's --help, and each flag of the --help is documented."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text()
    rows = re.findall(r"^\| `klantpeil privacy (\w+) ([^`]*)`", readme, flags=re.MULTILINE)
    assert [action for action, _ in rows] == ["forget", "purge"]
    for action, usage in rows:
        with pytest.raises(SystemExit) as exit_:
            main(["privacy", action, "--help"])
        assert exit_.value.code == 0
        help_text = capsys.readouterr().out
        documented = set(re.findall(r"--[a-z-]+", usage))
        offered = set(re.findall(r"--[a-z-]+", help_text.split("options:")[0])) - {"--data-dir"}
        assert documented == offered, action
        for flag, metavar in re.findall(r"(--[a-z-]+) ([A-Z]+)", usage):
            assert f"{flag} {metavar}" in help_text, (action, flag)
