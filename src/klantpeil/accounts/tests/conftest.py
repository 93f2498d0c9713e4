"""Fixtures for the team tests: a real SMTP server (aiosmtpd) on loopback, and Django's
e-mail settings pointed at it through KLANTPEIL_EMAIL_URL's parser."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes
from email.message import Message

import pytest


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def parts(self, index: int = -1) -> dict[str, str]:
        """The message's text and HTML bodies: {"text/plain": …, "text/html": …}."""
        _to, message = self.messages[index]
        return {
            part.get_content_type(): part.get_payload(decode=True).decode(
                part.get_content_charset() or "utf-8"
            )
            for part in message.walk()
            if not part.is_multipart()
        }

    def link(self, index: int = -1) -> str:
        """The invitation link's path in the message's text."""
        text = self.parts(index)["text/plain"]
        return re.search(r"https?://[^/\s]+(/accounts/invitation/[^/\s]+/)", text).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    """A running SMTP server on loopback and the mail settings pointing at it."""
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (dev extras) runs the test's SMTP server")
    from aiosmtpd.controller import Controller

    from klantpeil.config.env import parse_email_url

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    email = parse_email_url(f"smtp://127.0.0.1:{controller.port}?timeout=5")
    for name, value in email.django_settings().items():
        setattr(settings, name, value)
    settings.KLANTPEIL_EMAIL_URL = email.url
    settings.DEFAULT_FROM_EMAIL = "Klantpeil <kp@test.example>"
    yield inbox
    controller.stop()


def totp_now(secret: str, at: float | None = None) -> str:
    """The six-digit TOTP code (RFC 6238: HMAC-SHA1, 30-second steps) for a base32
    secret, computed here and not by the library under test."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
