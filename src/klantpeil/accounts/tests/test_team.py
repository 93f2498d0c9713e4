"""The team (issue 22): invitations by e-mail through a real SMTP server, accepting them
with a password and an authenticator, resending, revoking, changing and removing
members, and the rules on roles and the last manager."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from klantpeil.accounts.models import ApiToken, Invitation, Membership, User
from klantpeil.accounts.services import issue_api_token
from klantpeil.accounts.team import TeamError, accept, change_member, invite, remove_member
from klantpeil.privacy.models import ChangeRecord

PASSWORD = "a-long-and-new-password-2026"


def _totp_code(secret: str) -> str:
    from klantpeil.accounts.tests.conftest import totp_now

    return totp_now(secret)


@pytest.fixture
def team(make_org, make_member, client):
    org = make_org("alpha")
    manager = make_member("boss@alpha.example", org, "manager")
    client.force_login(manager)
    return org, manager, client


def _invite_page(client, **data):
    form = {"email": "", "role": "viewer", "language": "nl", **data}
    return client.post("/app/alpha/team/", form, HTTP_ACCEPT_LANGUAGE="en")


def test_an_invitation_is_mailed_in_dutch_and_accepted_with_a_password_and_totp(
    team, smtp_inbox, client
):
    _org, _manager, _ = team
    response = _invite_page(client, email="New.Colleague@Alpha.example", role="manager")
    assert response.status_code == 302
    [(recipients, message)] = smtp_inbox.messages
    assert recipients == ["new.colleague@alpha.example"]
    assert message["Subject"] == "U bent uitgenodigd voor Alpha in Klantpeil"
    parts = smtp_inbox.parts()
    assert set(parts) == {"text/plain", "text/html"}
    assert "boss@alpha.example nodigt u uit" in parts["text/plain"]
    link = smtp_inbox.link()
    assert link in parts["text/html"]
    secret = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.unscoped_all_tenants.get()
    # Only the hash is stored.
    assert invitation.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in json.dumps(list(Invitation.unscoped_all_tenants.values()), default=str)
    assert (invitation.role, invitation.language, invitation.send_count) == ("manager", "nl", 1)
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)

    client.logout()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"Join Alpha in Klantpeil" in page.content
    differ = client.post(link, {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert differ.status_code == 400 and not User.objects.filter(email__startswith="new.").exists()
    done = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/welcome/two-factor/"
    user = User.objects.get(email="new.colleague@alpha.example")
    assert Membership.objects.get(user=user).role == "manager"
    # The app waits until an authenticator is set up.
    assert client.get("/app/alpha/")["Location"] == "/accounts/welcome/two-factor/"
    setup = client.get("/accounts/welcome/two-factor/")
    totp_secret = setup.context["secret"]
    wrong = client.post("/accounts/welcome/two-factor/", {"code": "000000"})
    assert wrong.status_code == 400
    right = client.post("/accounts/welcome/two-factor/", {"code": _totp_code(totp_secret)})
    assert right.status_code == 302 and right["Location"] == "/app/alpha/"
    landing = client.get("/app/alpha/", HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="first-steps"' in landing.content
    # Single use: the link does not work again.
    again = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 410 and b"already been used" in again.content
    actions = list(
        ChangeRecord.unscoped_all_tenants.order_by("id").values_list("action", flat=True)
    )
    assert actions == ["team.invite", "team.join"]


def test_english_mail_by_the_inviters_choice(team, smtp_inbox, client):
    _invite_page(client, email="eve@alpha.example", language="en")
    [(_, message)] = smtp_inbox.messages
    assert message["Subject"] == "You are invited to Alpha in Klantpeil"
    assert (
        "boss@alpha.example invites you to join Alpha in Klantpeil as Viewer."
        in (smtp_inbox.parts()["text/plain"])
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "“not-an-address” is not a valid e-mail address."),
        (
            {"email": "x@alpha.example", "role": "analyst"},
            "role",
            "You cannot grant the role “analyst”: it is above your own (manager).",
        ),
        ({"email": "boss@alpha.example"}, "email", "boss@alpha.example is already a member."),
        ({"email": "x@alpha.example", "units": ["nope"]}, "units", None),
    ],
)
def test_bad_invitations_name_the_field_and_save_nothing(
    team, smtp_inbox, client, data, field, message
):
    response = _invite_page(client, **data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert Invitation.unscoped_all_tenants.count() == 0
    assert smtp_inbox.messages == []
    assert ChangeRecord.unscoped_all_tenants.count() == 0


def test_a_mail_server_that_is_down_leaves_no_invitation(team, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = _invite_page(client, email="x@alpha.example")
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()
    assert Invitation.unscoped_all_tenants.count() == 0


def test_resend_makes_a_new_link_and_revoke_ends_it(team, smtp_inbox, client):
    _org, manager, _ = team
    _invite_page(client, email="x@alpha.example")
    first = smtp_inbox.link()
    invitation = Invitation.unscoped_all_tenants.get()
    url = f"/app/alpha/team/invitations/{invitation.pk}/"
    assert client.post(url, {}).status_code == 400  # no action: nothing happens
    assert client.post(url, {"action": "resend"}).status_code == 302
    second = smtp_inbox.link()
    assert first != second and len(smtp_inbox.messages) == 2
    client.logout()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    client.force_login(manager)
    assert client.post(url, {"action": "revoke"}).status_code == 302
    client.logout()
    gone = client.get(second, HTTP_ACCEPT_LANGUAGE="en")
    assert gone.status_code == 410 and b"withdrawn" in gone.content
    invitation.refresh_from_db()
    assert invitation.send_count == 2 and invitation.revoked_at is not None


def test_an_expired_link_cannot_be_used(team, smtp_inbox, client):
    _invite_page(client, email="x@alpha.example")
    Invitation.unscoped_all_tenants.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()
    response = client.get(smtp_inbox.link(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410 and b"expired" in response.content
    with pytest.raises(TeamError) as raised:
        accept(secret=smtp_inbox.link().rstrip("/").rsplit("/", 1)[1], password=PASSWORD)
    assert "expired" in raised.value.errors["invitation"]
    assert not User.objects.filter(email="x@alpha.example").exists()


def test_an_invitation_with_a_unit_limits_the_new_member(team, smtp_inbox, client):
    _invite_page(client, email="lead@alpha.example", role="manager", units=["front"])
    client.logout()
    client.post(smtp_inbox.link(), {"password1": PASSWORD, "password2": PASSWORD})
    membership = Membership.objects.get(user__email="lead@alpha.example")
    assert membership.role == "manager" and membership.unit_scope() is not None


def test_removing_a_member_ends_their_sessions_and_tokens_at_once(
    team, make_member, client, django_user_model
):
    from django.test import Client

    org, manager, _ = team
    colleague = make_member("col@alpha.example", org, "manager")
    theirs = Client()
    theirs.force_login(colleague)
    assert theirs.get("/app/alpha/volumes/").status_code == 200
    token = issue_api_token(organisation=org, name="crm", created_by=colleague).secret
    kept = issue_api_token(organisation=org, name="mine", created_by=manager).secret
    member = Membership.objects.get(user=colleague)
    url = f"/app/alpha/team/members/{member.pk}/"
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"action": "remove"}).status_code == 302
    assert not Membership.objects.filter(user=colleague).exists()
    after = theirs.get("/app/alpha/volumes/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/units", **auth).status_code == 401
    assert client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {kept}").status_code == 200
    entry = ChangeRecord.unscoped_all_tenants.get(action="team.remove")
    assert entry.before == {"email": "col@alpha.example", "role": "manager", "units": []}
    assert entry.after == {"tokens_revoked": 1, "sessions_ended": 1}
    assert entry.actor == manager


def test_the_last_manager_cannot_leave_or_be_demoted(team, make_member, client):
    org, manager, _ = team
    own = Membership.objects.get(user=manager)
    url = f"/app/alpha/team/members/{own.pk}/"
    response = client.post(url, {"action": "remove"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["problem"] == (
        "boss@alpha.example is the organisation's last manager: make someone else manager first."
    )
    demote = client.post(url, {"action": "change", "role": "viewer"}, HTTP_ACCEPT_LANGUAGE="en")
    assert demote.status_code == 400
    assert demote.context["form"].errors["role"] == [
        "boss@alpha.example is the organisation's last manager: make someone else manager first."
    ]
    assert Membership.objects.get(pk=own.pk).role == "manager"
    # An analyst cannot remove the last manager either.
    analyst = make_member("an@alpha.example", org, "analyst")
    with pytest.raises(TeamError):
        remove_member(membership=own, actor=analyst, actor_role="analyst")
    # With a second manager the first may step down.
    make_member("second@alpha.example", org, "manager")
    change_member(membership=own, actor=manager, actor_role="manager", role="viewer", unit_codes=[])
    assert Membership.objects.get(pk=own.pk).role == "viewer"


def test_nobody_changes_or_grants_above_their_own_role(team, make_member, client):
    from django.core.exceptions import PermissionDenied

    org, manager, _ = team
    analyst = make_member("an@alpha.example", org, "analyst")
    viewer = make_member("vi@alpha.example", org, "viewer")
    above = Membership.objects.get(user=analyst)
    assert client.get(f"/app/alpha/team/members/{above.pk}/").status_code == 403
    with pytest.raises(PermissionDenied):
        remove_member(membership=above, actor=manager, actor_role="manager")
    member = Membership.objects.get(user=viewer)
    refused = client.post(
        f"/app/alpha/team/members/{member.pk}/",
        {"action": "change", "role": "analyst"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "above your own" in refused.context["form"].errors["role"][0]
    assert Membership.objects.get(pk=member.pk).role == "viewer"


def test_another_organisations_members_and_invitations_are_not_found(
    team, make_org, make_member, smtp_inbox, client
):
    beta = make_org("beta")
    stranger = make_member("x@beta.example", beta, "viewer")
    with translation.override("en"):
        sent = invite(
            organisation=beta,
            inviter=None,
            inviter_role="operator",
            email="y@beta.example",
            role="viewer",
            base_url="http://testserver/",
        )
    member = Membership.objects.get(user=stranger)
    assert client.get(f"/app/alpha/team/members/{member.pk}/").status_code == 404
    url = f"/app/alpha/team/invitations/{sent.invitation.pk}/"
    assert client.post(url, {"action": "revoke"}).status_code == 404
    page = client.get("/app/alpha/team/").content.decode()
    assert "beta.example" not in page


def _cli(*args: str) -> tuple[int, str, str]:
    from klantpeil.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def test_the_command_line_invites_with_json_output(make_org, smtp_inbox):
    make_org("alpha")
    code, out, err = _cli(
        "users", "invite", "Ann@Alpha.example", "--org", "alpha", "--role", "manager",
        "--unit", "front", "--format", "json", "--base-url", "https://kp.example",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert {k: result[k] for k in ("ok", "email", "organisation", "role", "units", "language")} == {
        "ok": True,
        "email": "ann@alpha.example",
        "organisation": "alpha",
        "role": "manager",
        "units": ["front"],
        "language": "nl",
    }
    text = smtp_inbox.parts()["text/plain"]
    assert "https://kp.example/accounts/invitation/" in text
    code, out, err = _cli(
        "users", "invite", "bad@", "--org", "alpha", "--role", "viewer", "--format", "json"
    )
    assert code == 2
    assert json.loads(out) == {
        "ok": False,
        "errors": {"email": "“bad@” is not a valid e-mail address."},
    }
    assert "error: email:" in err
    code, _out, err = _cli("users", "invite", "c@alpha.example", "--org", "alpha",
                           "--role", "viewer", "--unit", "nope")  # fmt: skip
    assert code == 2 and "error: units: No unit “nope”" in err
    assert Invitation.unscoped_all_tenants.count() == 1
    assert ApiToken.unscoped_all_tenants.count() == 0


def test_someone_with_an_account_accepts_after_signing_in(team, make_org, make_member, smtp_inbox):
    from django.test import Client

    other = make_member("known@beta.example", make_org("beta"), "analyst")
    _org, _manager, client = team
    _invite_page(client, email="known@beta.example")
    link = smtp_inbox.link()
    theirs = Client()
    page = theirs.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and page.context["existing"] is True
    refused = theirs.post(link, {}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == ["Sign in as known@beta.example first."]
    assert not Membership.objects.filter(user=other, organisation__slug="alpha").exists()
    theirs.force_login(other)
    joined = theirs.post(link, {})
    assert joined.status_code == 302
    assert Membership.objects.get(user=other, organisation__slug="alpha").role == "viewer"
    other.refresh_from_db()
    assert other.check_password("pw-for-tests-only")  # their password is left alone
