"""Talking to the outside: the mail server (Django's e-mail framework) and the SMS provider.

Each transport sends one message at a time over a connection kept open for a whole
batch, and answers with an :class:`Outcome`: accepted (with the id to record),
refused for good (a bounce: the recipient does not exist or is refused; or a
permanent failure), or failed for now (try again later).

SMS provider contract (one HTTP adapter; ``KLANTPEIL_SMS_URL``, ``KLANTPEIL_SMS_KEY``):

    POST <KLANTPEIL_SMS_URL>
    Authorization: Bearer <KLANTPEIL_SMS_KEY>
    Content-Type: application/json
    {"to": "+31612345678", "text": "…", "reference": "<idempotency key>",
     "sender": "<organisation's sender name, at most 11 characters>"}

    2xx {"id": "<provider message id>"}   accepted
    400, 404, 410, 422                    the number is refused: bounced
    other 4xx (401, 403 …)                permanent failure (our configuration)
    408, 429, 5xx, no answer              temporary: tried again with backoff

``reference`` is the same on every attempt of one send, so a provider that
deduplicates on it never delivers a resent message twice.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

ACCEPTED = "accepted"
BOUNCED = "bounced"
PERMANENT = "permanent"
TEMPORARY = "temporary"


@dataclass(frozen=True)
class Outcome:
    result: str  # ACCEPTED, BOUNCED, PERMANENT or TEMPORARY
    provider_id: str = ""
    error: str = ""


@dataclass(frozen=True)
class Sms:
    to: str
    text: str
    reference: str
    sender: str


@dataclass(frozen=True)
class Email:
    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    unsubscribe_url: str


def _smtp_code_outcome(code: int, detail: str) -> Outcome:
    if 400 <= code < 500:
        return Outcome(TEMPORARY, error=f"{code} {detail}")
    return Outcome(PERMANENT, error=f"{code} {detail}")


def _text(value: Any) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class EmailTransport:
    """One connection (``KLANTPEIL_EMAIL_URL``) for a batch; reopened after it drops."""

    def __init__(self) -> None:
        self.connection = get_connection(fail_silently=False)
        self._open = False

    def __enter__(self) -> EmailTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._open:
            # Closing a broken connection must not fail the batch.
            with contextlib.suppress(Exception):
                self.connection.close()
            self._open = False

    def send(self, email: Email) -> Outcome:
        try:
            if not self._open:
                self.connection.open()
                self._open = True
            smtp = getattr(self.connection, "connection", None)
            if isinstance(smtp, smtplib.SMTP):
                # The SMTP backend: hand its open connection the message as bytes (built
                # here, several times faster than the general e-mail classes).
                smtp.sendmail(parseaddr(email.sender)[1], [email.to], mime_bytes(email))
                sent = 1
            else:  # console, file or memory backend (development, demos)
                sent = self.connection.send_messages([django_message(email, self.connection)])
        except smtplib.SMTPRecipientsRefused as exc:
            code, detail = next(iter(exc.recipients.values()))
            outcome = _smtp_code_outcome(code, _text(detail))
            return Outcome(BOUNCED, error=outcome.error) if code >= 500 else outcome
        except smtplib.SMTPSenderRefused as exc:
            return _smtp_code_outcome(exc.smtp_code, _text(exc.smtp_error))
        except smtplib.SMTPDataError as exc:
            return _smtp_code_outcome(exc.smtp_code, _text(exc.smtp_error))
        except smtplib.SMTPResponseException as exc:
            self.close()
            return _smtp_code_outcome(exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnected, refused connection, timeout: the next message reconnects.
            self.close()
            self.connection = get_connection(fail_silently=False)
            return Outcome(TEMPORARY, error=f"{type(exc).__name__}: {exc}"[:500])
        if not sent:
            return Outcome(TEMPORARY, error="the mail backend sent nothing")
        return Outcome(ACCEPTED, provider_id=email.message_id)


def _headers(email: Email) -> list[tuple[str, str]]:
    return [
        ("Message-ID", email.message_id),
        # RFC 2369 and RFC 8058: the mail program offers "unsubscribe", one click.
        ("List-Unsubscribe", f"<{email.unsubscribe_url}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ("Auto-Submitted", "auto-generated"),
    ]


def _header_text(value: str) -> str:
    """ASCII as it is; anything else as an RFC 2047 encoded word (folded)."""
    if value.isascii() and len(value) < 900:
        return value
    return Header(value, "utf-8").encode()


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8")


def _part(content_type: str, text: str) -> bytes:
    body = base64.encodebytes(text.encode()).replace(b"\n", b"\r\n")
    return (
        f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + body


def mime_bytes(email: Email) -> bytes:
    """A multipart/alternative message (plain text and HTML, UTF-8, base64) as the SMTP
    server receives it, with CRLF line ends."""
    boundary = f"=_kp_{secrets.token_hex(12)}"
    headers = [
        ("From", _address(email.sender)),
        ("To", email.to),
        ("Subject", _header_text(email.subject)),
        ("Date", formatdate(localtime=False)),
        *_headers(email),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
    ]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers).encode()
    marker = f"--{boundary}\r\n".encode()
    return b"".join(
        [
            head,
            b"\r\n",
            marker,
            _part("text/plain", email.text),
            marker,
            _part("text/html", email.html),
            f"--{boundary}--\r\n".encode(),
        ]
    )


def django_message(email: Email, connection: Any) -> EmailMultiAlternatives:
    """The same message through Django's classes, for the non-SMTP backends."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=email.sender,
        to=[email.to],
        headers=dict(_headers(email)),
        connection=connection,
    )
    message.attach_alternative(email.html, "text/html")
    return message


class SmsTransport:
    """The one HTTP SMS adapter (contract in the module's docstring)."""

    def __init__(self) -> None:
        self.url = getattr(settings, "KLANTPEIL_SMS_URL", "")
        self.key = getattr(settings, "KLANTPEIL_SMS_KEY", "")
        self.timeout = getattr(settings, "EMAIL_TIMEOUT", 10)

    def __enter__(self) -> SmsTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, sms: Sms) -> Outcome:
        to, text, reference, sender = sms.to, sms.text, sms.reference, sms.sender
        if not self.url:
            return Outcome(PERMANENT, error="no SMS provider configured (KLANTPEIL_SMS_URL)")
        body = json.dumps(
            {"to": to, "text": text, "reference": reference, "sender": sender[:11]}
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.key}",
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read(65_536)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode(errors="replace")
            error = f"HTTP {exc.code} {detail}".strip()[:500]
            if exc.code in (408, 429) or exc.code >= 500:
                return Outcome(TEMPORARY, error=error)
            if exc.code in (400, 404, 410, 422):
                return Outcome(BOUNCED, error=error)
            return Outcome(PERMANENT, error=error)
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            return Outcome(TEMPORARY, error=f"{type(exc).__name__}: {exc}"[:500])
        try:
            provider_id = str(json.loads(answer or b"{}").get("id", ""))[:200]
        except (ValueError, AttributeError):
            provider_id = ""
        return Outcome(ACCEPTED, provider_id=provider_id)
