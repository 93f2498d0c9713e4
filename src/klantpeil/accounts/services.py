"""Creating users and memberships."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from klantpeil.accounts.models import ApiToken, Membership, Role, TokenScope, User
from klantpeil.organisations.models import Organisation


@transaction.atomic
def add_member(
    *,
    email: str,
    organisation: Organisation | None,
    role: str,
    password: str | None = None,
    check_password: bool = True,
    units: Sequence[str] | None = None,
) -> tuple[User, Membership | None]:
    """Create the user if needed and give them ``role`` in ``organisation``.

    Operators run the whole service: they become staff (the back office) and need
    no organisation. Every other role needs one. An existing user keeps their
    password unless a new one is given. ``units``: the codes of the units the member
    is limited to (empty: the whole organisation; None: leave as it was).
    """
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose from {', '.join(Role.values)}")
    if role != Role.OPERATOR and organisation is None:
        raise ValueError(f"The role {role!r} needs an organisation")
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email)
        if password is None:
            raise ValueError("A new user needs a password")
    if password is not None:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    if role == Role.OPERATOR:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    membership = None
    if organisation is not None:
        membership, _ = Membership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
        if units is not None:
            set_member_units(membership=membership, unit_codes=units)
    elif units:
        raise ValueError("Operators run the whole service; they cannot be limited to units")
    return user, membership


@transaction.atomic
def set_member_units(*, membership: Membership, unit_codes: Iterable[str]) -> list[str]:
    """Limit ``membership`` to the units with ``unit_codes`` in its own organisation
    (none: the whole organisation again); returns the codes, sorted.

    An unknown code raises ValueError naming it and the organisation's codes, and
    nothing changes. The operator is never limited (they run the service)."""
    from klantpeil.organisations.models import Unit

    codes = sorted({code.strip() for code in unit_codes if code.strip()})
    if codes and membership.role == Role.OPERATOR:
        raise ValueError("Operators run the whole service; they cannot be limited to units")
    # The membership names its organisation: read its units there, not the current one.
    known = dict(
        Unit.unscoped_all_tenants.filter(organisation_id=membership.organisation_id).values_list(
            "code", "pk"
        )
    )
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValueError(
            f"No unit {', '.join(map(repr, unknown))} in {membership.organisation.slug}; "
            f"its units: {', '.join(sorted(known)) or '(none)'}"
        )
    links = Membership.units.through
    links.objects.filter(membership_id=membership.pk).delete()
    links.objects.bulk_create(
        [links(membership_id=membership.pk, unit_id=known[code]) for code in codes]
    )
    return codes


TOKEN_PREFIX = "kp"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def issue_api_token(
    *,
    organisation: Organisation,
    name: str,
    days: int = 365,
    created_by: User | None = None,
    scope: str = TokenScope.WRITE,
) -> IssuedToken:
    """Make a token for ``organisation``; the returned secret is the only copy."""
    if days < 1 or days > 3660:
        raise ValueError("A token lives between 1 and 3,660 days")
    if scope not in TokenScope.values:
        raise ValueError(f"Unknown scope {scope!r}; choose from {', '.join(TokenScope.values)}")
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.unscoped_all_tenants.create(
        organisation=organisation,
        name=name,
        prefix=prefix,
        key_hash=_hash(secret),
        scope=scope,
        created_by=created_by,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return IssuedToken(token, secret)


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token this secret belongs to, across organisations (the secret names it)."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        ApiToken.unscoped_all_tenants.select_related("organisation").filter(prefix=parts[1]).first()
    )
    if token is None or not hmac.compare_digest(token.key_hash, _hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    # Recording every use would turn each API read into a write; once a minute is enough.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.unscoped_all_tenants.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke_api_token(*, token: ApiToken) -> None:
    ApiToken.unscoped_all_tenants.filter(pk=token.pk, revoked_at=None).update(
        revoked_at=timezone.now()
    )
