"""Real peers on loopback for the distribution tests: an SMTP server (aiosmtpd) whose
answers a test can choose per recipient, and an HTTP server standing in for the SMS
provider."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from klantpeil.accounts.services import issue_api_token
from klantpeil.config.env import parse_email_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received; ``answers`` maps a recipient to the reply to its
    RCPT (e.g. "550 5.1.1 no such user"), ``data_answers`` to the reply to DATA; a
    list is used up one reply per attempt, then the server accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.answers: dict[str, str | list[str]] = {}
        self.data_answers: dict[str, str | list[str]] = {}
        self.lock = threading.Lock()

    def _answer(self, table: dict, address: str) -> str | None:
        answer = table.get(address)
        if isinstance(answer, list):
            return answer.pop(0) if answer else None
        return answer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self._answer(self.answers, address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self._answer(self.data_answers, envelope.rcpt_tos[0])
        if answer:
            return answer
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp(settings):
    """A real SMTP server; Django's e-mail settings point at it (KLANTPEIL_EMAIL_URL)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    email = parse_email_url(f"smtp://127.0.0.1:{controller.port}?timeout=5")
    for name, value in email.django_settings().items():
        setattr(settings, name, value)
    settings.KLANTPEIL_EMAIL_URL = email.url
    inbox.port = controller.port
    yield inbox
    controller.stop()


class SmsProvider:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.replies: list[tuple[int, dict]] = []  # used up first, then 200 {"id": …}


@pytest.fixture
def sms_provider(settings):
    provider = SmsProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            provider.headers.append(dict(self.headers))
            if provider.replies:
                status, answer = provider.replies.pop(0)
            else:
                provider.received.append(body)
                status, answer = 200, {"id": f"sms-{len(provider.received)}"}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KLANTPEIL_SMS_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.KLANTPEIL_SMS_KEY = "test-key"
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def api(make_org, client):
    org = make_org("alpha")
    secret = issue_api_token(organisation=org, name="CRM").secret

    def call(method, path, body=None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        fn = getattr(client, method)
        if body is None:
            return fn(f"/api/v1{path}", **headers)
        return fn(f"/api/v1{path}", body, content_type="application/json", **headers)

    call.org = org
    call.client = client
    return call
