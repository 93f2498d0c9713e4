"""Respondents' addresses: normalised, checked, hashed; the link sealed for the sender.

- An e-mail address is trimmed and lower-cased; a phone number becomes E.164
  (``+31612345678``): Dutch ``06 12 34 56 78`` and ``0031 6 …`` are accepted as such.
- Fatigue and opt-outs compare a keyed hash (HMAC-SHA256) of the normalised address,
  never the address: the key is ``KLANTPEIL_CONTACT_HASH_KEY`` (by default derived
  from ``SECRET_KEY``). It must stay the same for the life of the service: another key
  forgets every opt-out and every earlier send.
- The invitation keeps only its token's hash, so the link a delivery sends is kept
  sealed (Fernet, key derived from ``SECRET_KEY``) beside the delivery.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

E164 = re.compile(r"\+[1-9]\d{7,14}")
OPT_OUT_SALT = "klantpeil.distribution.opt-out"


class ContactError(ValueError):
    """An address that cannot be used; the message says why (in English, for the API)."""


def normalise_email(raw: str) -> str:
    value = (raw or "").strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ContactError(_("is not a valid e-mail address")) from None
    return value


def normalise_phone(raw: str) -> str:
    """E.164; Dutch numbers may be written nationally (06…, 0031…)."""
    value = re.sub(r"[\s\-().]", "", raw or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    elif value.startswith("0") and len(value) == 10 and value.isdigit():
        value = "+31" + value[1:]  # a Dutch national number: 06 12345678, 020 1234567
    if not E164.fullmatch(value):
        raise ContactError(
            _("is not a phone number: write it as +31612345678 (E.164) or 0612345678")
        )
    if value.startswith("+31") and len(value) != 12:
        raise ContactError(_("a Dutch number has 9 digits after +31 (0 and 9 digits nationally)"))
    return value


def _key(purpose: str) -> bytes:
    base = getattr(settings, "KLANTPEIL_CONTACT_HASH_KEY", "") or settings.SECRET_KEY
    if purpose != "contact":
        base = settings.SECRET_KEY
    return hashlib.sha256(f"klantpeil-{purpose}:{base}".encode()).digest()


def contact_hash(organisation_id: int, channel: str, normalised: str) -> str:
    """Keyed hash of a normalised address within one organisation (hex, 64 characters)."""
    message = f"{organisation_id}:{channel}:{normalised}".encode()
    return hmac.new(_key("contact"), message, hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return _fernet_for(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _fernet_for(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key("link-seal")))


def seal(link: str) -> str:
    return _fernet().encrypt(link.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The link, or None when it cannot be opened (SECRET_KEY changed since)."""
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def opt_out_token(delivery_id: int) -> str:
    """A short signed token naming the delivery (and so organisation and hashed contact);
    it does not expire: an opt-out link keeps working."""
    return signing.dumps(delivery_id, salt=OPT_OUT_SALT)


def delivery_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=OPT_OUT_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None
