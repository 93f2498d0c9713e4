"""E-mail from one setting (KLANTPEIL_EMAIL_URL) and a password reset that never answers 500.

A real SMTP server (aiosmtpd) listens on loopback and receives the reset mail; the
link in it sets a new password. A port where nothing listens, and a server that
refuses the recipient, give the user a clear page and the operator's log the reason.
"""

from __future__ import annotations

import logging
import re
from email import message_from_bytes
from email.message import Message

import pytest
from django.core.cache import cache
from django.test import override_settings

from klantpeil.config.env import parse_email_url
from tests.conftest import free_port, klantpeil

pytest.importorskip("aiosmtpd", reason="aiosmtpd (dev extras) runs the test's SMTP server")

RESET = "/accounts/password/reset/"
NOT_SENT = "We could not send you the e-mail just now"


class Inbox:
    """An aiosmtpd handler that keeps what it receives, or refuses every recipient."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    servers = []

    def start(refuse: bool = False) -> tuple[Inbox, str]:
        inbox = Inbox(refuse=refuse)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        return inbox, f"smtp://127.0.0.1:{controller.port}?timeout=5"

    yield start
    for controller in servers:
        controller.stop()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()  # the reset form is rate limited per address and per e-mail
    yield
    cache.clear()


def _mail_settings(url: str) -> dict:
    email = parse_email_url(url)
    return {**email.django_settings(), "KLANTPEIL_EMAIL_URL": email.url}


def _ask_reset(client, email: str):
    return client.post(RESET, {"email": email}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_reset_mail_reaches_a_real_smtp_server_and_its_link_sets_a_password(
    make_org, make_member, client, smtp_server
):
    make_member("reset@alpha.example", make_org("alpha"), "analyst")
    inbox, url = smtp_server()
    with override_settings(**_mail_settings(url), DEFAULT_FROM_EMAIL="Klantpeil <kp@test>"):
        response = _ask_reset(client, "reset@alpha.example")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["reset@alpha.example"]
    assert message["From"] == "Klantpeil <kp@test>"
    body = message.get_payload(decode=True) if not message.is_multipart() else None
    body = (body or message.get_payload(0).get_payload(decode=True)).decode()
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    new_password = "a-new-and-long-password-2026"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    assert client.login(email="reset@alpha.example", password=new_password)


@pytest.mark.parametrize("failure", ["nothing listens", "recipient refused"])
def test_mail_that_cannot_be_sent_is_a_clear_message_and_a_logged_reason(
    make_org, make_member, client, smtp_server, caplog, failure
):
    make_member("reset@alpha.example", make_org("alpha"), "analyst")
    if failure == "nothing listens":
        url, reason = f"smtp://127.0.0.1:{free_port()}?timeout=5", "ConnectionRefusedError"
    else:
        _inbox, url = smtp_server(refuse=True)
        reason = "SMTPRecipientsRefused"
    with (
        override_settings(**_mail_settings(url)),
        caplog.at_level(logging.ERROR, logger="klantpeil.mail"),
    ):
        response = _ask_reset(client, "reset@alpha.example")
    assert response.status_code == 503
    page = response.content.decode()
    assert NOT_SENT in page
    assert "Traceback" not in page and reason not in page
    logged = [r.getMessage() for r in caplog.records if r.name == "klantpeil.mail"]
    assert len(logged) == 1
    assert logged[0].startswith(
        f"Could not send the e-mail 'password_reset_key' through {url}: {reason}: "
    ), logged
    assert "reset@alpha.example" not in logged[0]  # why, not whom


def test_unknown_addresses_fail_the_same_way(client, smtp_server, db):
    """Whether an account exists is not revealed by a mail failure either."""
    url = f"smtp://127.0.0.1:{free_port()}?timeout=5"
    with override_settings(**_mail_settings(url)):
        response = _ask_reset(client, "nobody@nowhere.example")
    assert response.status_code == 503
    assert NOT_SENT in response.content.decode()


def test_the_file_backend_writes_each_mail_to_the_folder(make_org, make_member, client, tmp_path):
    make_member("reset@alpha.example", make_org("alpha"), "analyst")
    with override_settings(**_mail_settings(f"file://{tmp_path}")):
        assert _ask_reset(client, "reset@alpha.example").status_code == 302
    (written,) = list(tmp_path.iterdir())
    text = written.read_text()
    assert "To: reset@alpha.example" in text
    assert "/accounts/password/reset/key/" in text


def test_the_served_settings_come_from_klantpeil_email_url(tmp_path):
    script = (
        "from django.conf import settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, "
        "s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, "
        "s.EMAIL_TIMEOUT, s.DEFAULT_FROM_EMAIL, s.KLANTPEIL_EMAIL_URL, sep='|')"
    )
    result = klantpeil(
        "manage",
        "--data-dir",
        str(tmp_path),
        "shell",
        "-c",
        script,
        env={
            "KLANTPEIL_EMAIL_URL": "smtp://mailer%40example.org:s3cr%3At@mail.example.org:587?tls=1",
            "KLANTPEIL_EMAIL_FROM": "Klantpeil <noreply@example.org>",
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split("|") == [
        "django.core.mail.backends.smtp.EmailBackend",
        "mail.example.org",
        "587",
        "mailer@example.org",
        "s3cr:t",
        "True",
        "10",
        "Klantpeil <noreply@example.org>",
        "smtp://mailer%40example.org:***@mail.example.org:587?tls=1",
    ]
