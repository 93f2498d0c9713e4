"""An organisation's team (issue 22): inviting people by e-mail, accepting, changing
roles and unit limits, removing members.

The rules every path (pages and ``klantpeil users invite``) shares:

- nobody grants a role above their own (``ROLE_NAMES`` is ordered, highest first),
  nor changes or removes a member whose role is above their own;
- an invitation is a single-use, expiring link; only a SHA-256 hash of its secret is
  stored; resending makes a new secret (the old link stops working);
- the last manager cannot be removed or demoted (by anyone, themself included), and
  neither can the last member who may manage the team;
- removing a member ends their sessions and revokes the API tokens they made, at once;
- every change goes to the organisation's change log, in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from klantpeil.accounts.models import ApiToken, Invitation, Membership, Role, User
from klantpeil.accounts.roles import ROLE_NAMES
from klantpeil.core.errors import FieldErrors
from klantpeil.core.tenancy import tenant
from klantpeil.organisations.models import Organisation, Unit
from klantpeil.privacy import audit

INVITATION_DAYS = 7
# Who may manage the team: whole-organisation members with one of these roles.
TEAM_ADMINS = frozenset({Role.OPERATOR, Role.ANALYST, Role.MANAGER})
# Roles an invitation can carry: operators run the service and are made by the operator.
INVITABLE = tuple(r for r in ROLE_NAMES if r != Role.OPERATOR)


class TeamError(FieldErrors):
    """Input that cannot be saved: ``errors`` maps each field to its problem; nothing
    was written."""


def rank(role: str) -> int:
    """0 for the highest role (operator); larger is lower."""
    return ROLE_NAMES.index(role)


def grantable_roles(own_role: str) -> list[str]:
    """The roles a member with ``own_role`` may give: their own and those below it."""
    return [r for r in INVITABLE if rank(r) >= rank(own_role)]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    secret: str  # in the e-mail only; never stored
    link: str


def _unit_ids(organisation: Organisation, unit_codes: Sequence[str]) -> dict[str, int]:
    codes = sorted({c.strip() for c in unit_codes if c and c.strip()})
    with tenant(organisation):
        known = dict(Unit.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise TeamError(
            {
                "units": _("No unit %(codes)s in this organisation.")
                % {"codes": ", ".join(f"“{c}”" for c in unknown)}
            }
        )
    return known


def _check_grant(own_role: str, role: str) -> dict[str, str]:
    if role not in INVITABLE:
        return {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(INVITABLE)}}
    if rank(role) < rank(own_role):
        return {
            "role": _("You cannot grant the role “%(role)s”: it is above your own (%(own)s).")
            % {"role": role, "own": own_role}
        }
    return {}


def _link(base_url: str, secret: str) -> str:
    return base_url.rstrip("/") + reverse("team-accept", kwargs={"token": secret})


def _send(invitation: Invitation, link: str, base_url: str) -> None:
    organisation = invitation.organisation
    inviter = invitation.invited_by
    context = {
        "organisation": organisation,
        "invitation": invitation,
        "link": link,
        "inviter": inviter.email if inviter else "",
        "role": Role(invitation.role).label,
        "days": INVITATION_DAYS,
        "accent": organisation.accent_colour or "#1f5fa8",
        "logo_url": (
            base_url.rstrip("/")
            + reverse("brand-logo", kwargs={"digest": organisation.logo_digest})
            if organisation.logo_digest
            else ""
        ),
    }
    with translation.override(invitation.language):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        text = render_to_string("accounts/email/invitation.txt", context)
        html = render_to_string("accounts/email/invitation.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()


def _snapshot(invitation: Invitation, unit_codes: Sequence[str]) -> dict[str, Any]:
    return {
        "email": invitation.email,
        "role": invitation.role,
        "units": sorted(unit_codes),
        "language": invitation.language,
        "expires_at": invitation.expires_at,
    }


def invite(
    *,
    organisation: Organisation,
    inviter: User | None,
    inviter_role: str,
    email: str,
    role: str,
    unit_codes: Sequence[str] = (),
    language: str | None = None,
    base_url: str,
) -> SentInvitation:
    """Invite ``email`` to ``organisation`` as ``role`` (limited to ``unit_codes``) and
    send the e-mail, in ``language`` (default: the organisation's). ``inviter_role``:
    the inviter's role ("operator" from the command line). Raises :class:`TeamError`
    naming the field; if the mail cannot be sent the invitation is not kept either."""
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("“%(email)s” is not a valid e-mail address.") % {"email": email}
    errors |= _check_grant(inviter_role, role)
    language = language or organisation.default_language
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose Dutch (nl) or English (en).")
    if "email" not in errors:
        if Membership.objects.filter(organisation=organisation, user__email=email).exists():
            errors["email"] = _("%(email)s is already a member.") % {"email": email}
        elif _pending_in(organisation).filter(email=email).exists():
            errors["email"] = _("%(email)s has already been invited; resend that invitation.") % {
                "email": email
            }
    if errors:
        raise TeamError(errors)
    if unit_codes and role == Role.OPERATOR:
        raise TeamError({"units": _("Operators run the whole service; they have no units.")})
    units = _unit_ids(organisation, unit_codes)
    secret = secrets.token_urlsafe(32)
    with tenant(organisation), transaction.atomic():
        invitation = Invitation(
            organisation=organisation,
            email=email,
            role=role,
            language=language,
            token_hash=_hash(secret),
            invited_by=inviter,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
            sent_at=timezone.now(),
            send_count=1,
        )
        invitation.save()
        links = Invitation.units.through
        links.objects.bulk_create(
            [links(invitation_id=invitation.pk, unit_id=u) for u in units.values()]
        )
        audit.record(
            organisation=organisation,
            actor=inviter,
            action="team.invite",
            obj=invitation,
            after=_snapshot(invitation, list(units)),
        )
        link = _link(base_url, secret)
        # Sent inside the transaction: a mail server that refuses leaves no invitation.
        _send(invitation, link, base_url)
    return SentInvitation(invitation, secret, link)


def _pending_in(organisation: Organisation):
    with tenant(organisation):
        return pending_invitations().filter(organisation=organisation)


def pending_invitations():
    """The current organisation's invitations that can still be used."""
    return Invitation.objects.filter(
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def _unit_codes_of(invitation: Invitation) -> list[str]:
    links = Invitation.units.through.objects.filter(invitation_id=invitation.pk)
    with tenant(invitation.organisation):
        return sorted(
            Unit.objects.filter(pk__in=links.values("unit_id")).values_list("code", flat=True)
        )


def _check_open(invitation: Invitation, actor_role: str) -> None:
    if invitation.accepted_at or invitation.revoked_at:
        raise TeamError({"invitation": _("This invitation has already been used or revoked.")})
    if rank(invitation.role) < rank(actor_role):
        raise PermissionDenied


def resend(
    *, invitation: Invitation, actor: User | None, actor_role: str, base_url: str
) -> SentInvitation:
    """A new link (the old one stops working) and a new expiry, mailed again."""
    _check_open(invitation, actor_role)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        before = {"expires_at": invitation.expires_at, "send_count": invitation.send_count}
        invitation.token_hash = _hash(secret)
        invitation.expires_at = timezone.now() + timedelta(days=INVITATION_DAYS)
        invitation.sent_at = timezone.now()
        invitation.send_count += 1
        invitation.save()
        audit.record(
            organisation=invitation.organisation,
            actor=actor,
            action="team.invitation_resend",
            obj=invitation,
            before=before,
            after={"expires_at": invitation.expires_at, "send_count": invitation.send_count},
        )
        link = _link(base_url, secret)
        _send(invitation, link, base_url)
    return SentInvitation(invitation, secret, link)


@transaction.atomic
def revoke(*, invitation: Invitation, actor: User | None, actor_role: str) -> None:
    _check_open(invitation, actor_role)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        organisation=invitation.organisation,
        actor=actor,
        action="team.invitation_revoke",
        obj=invitation,
        before={"state": "pending"},
        after={"state": "revoked"},
    )


def invitation_for_secret(secret: str) -> Invitation | None:
    """The invitation a link's secret opens, whatever its state; None if none."""
    return (
        Invitation.unscoped_all_tenants.select_related("organisation", "invited_by")
        .filter(token_hash=_hash(secret))
        .first()
    )


def invitation_problem(invitation: Invitation | None) -> str | None:
    """Why this link cannot be used (in words), or None when it can."""
    if invitation is None:
        return _("This invitation link is not valid. Ask for a new invitation.")
    if invitation.accepted_at:
        return _("This invitation has already been used. Sign in instead.")
    if invitation.revoked_at:
        return _("This invitation was withdrawn. Ask for a new invitation.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired. Ask for a new invitation.")
    return None


def accept(*, secret: str, password: str | None, user: User | None = None) -> Membership:
    """Use the invitation: a new user sets ``password`` (checked by the password
    validators); an existing user (signed in as the invited address) just joins.
    Single use even under concurrent requests: the row is locked and re-checked."""
    with transaction.atomic():
        found = invitation_for_secret(secret)
        invitation = None
        if found:
            with tenant(found.organisation):
                invitation = Invitation.objects.select_for_update().filter(pk=found.pk).first()
        problem = invitation_problem(invitation)
        if problem:
            raise TeamError({"invitation": problem})
        existing = User.objects.filter(email=invitation.email).first()
        if user is not None and user.email != invitation.email:
            raise TeamError(
                {"invitation": _("This invitation is for %(email)s.") % {"email": invitation.email}}
            )
        if existing is None:
            existing = User(email=invitation.email)
            try:
                validate_password(password or "", existing)
            except ValidationError as exc:
                raise TeamError({"password1": " ".join(exc.messages)}) from exc
            existing.set_password(password)
            existing.two_factor_required = True
            existing.save()
        elif user is None:
            raise TeamError(
                {"invitation": _("Sign in as %(email)s first.") % {"email": existing.email}}
            )
        if Membership.objects.filter(user=existing, organisation=invitation.organisation).exists():
            raise TeamError({"invitation": _("You are already a member of this organisation.")})
        membership = Membership.objects.create(
            user=existing, organisation=invitation.organisation, role=invitation.role
        )
        unit_ids = list(
            Invitation.units.through.objects.filter(invitation_id=invitation.pk).values_list(
                "unit_id", flat=True
            )
        )
        membership.units.through.objects.bulk_create(
            [Membership.units.through(membership_id=membership.pk, unit_id=u) for u in unit_ids]
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = existing
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            organisation=invitation.organisation,
            actor=existing,
            action="team.join",
            obj=membership,
            object_label=existing.email,
            after={
                "email": existing.email,
                "role": membership.role,
                "units": _unit_codes_of(invitation),
            },
        )
    return membership


def _member_snapshot(membership: Membership) -> dict[str, Any]:
    scope = membership.unit_scope() or ()
    with tenant(membership.organisation):
        codes = sorted(Unit.objects.filter(pk__in=scope).values_list("code", flat=True))
    return {"email": membership.user.email, "role": membership.role, "units": codes}


def _whole_org(organisation: Organisation, roles: frozenset[str]):
    limited = Membership.units.through.objects.values("membership_id")
    return Membership.objects.filter(organisation=organisation, role__in=roles).exclude(
        pk__in=limited
    )


def _check_last(membership: Membership, new_role: str | None, limited: bool = False) -> None:
    """Refuse to leave the organisation without a manager, or without anyone who may
    manage its team. ``new_role`` None: the member is removed."""
    organisation = membership.organisation
    was_limited = membership.unit_scope() is not None
    still_manager = new_role == Role.MANAGER and not limited
    if (
        membership.role == Role.MANAGER
        and not was_limited
        and not still_manager
        and _whole_org(organisation, frozenset({Role.MANAGER})).count() <= 1
    ):
        raise TeamError(
            {
                "role" if new_role else "member": _(
                    "%(email)s is the organisation's last manager: make someone else manager first."
                )
                % {"email": membership.user.email}
            }
        )
    still_admin = new_role in TEAM_ADMINS and not limited
    if (
        membership.role in TEAM_ADMINS
        and not was_limited
        and not still_admin
        and _whole_org(organisation, TEAM_ADMINS).count() <= 1
    ):
        raise TeamError(
            {
                "role" if new_role else "member": _(
                    "%(email)s is the last member who may manage the team."
                )
                % {"email": membership.user.email}
            }
        )


def change_member(
    *,
    membership: Membership,
    actor: User,
    actor_role: str,
    role: str,
    unit_codes: Sequence[str],
) -> Membership:
    """Give a member another role or unit limit, within the actor's own rank."""
    if rank(membership.role) < rank(actor_role):
        raise PermissionDenied
    errors = _check_grant(actor_role, role)
    if errors:
        raise TeamError(errors)
    units = _unit_ids(membership.organisation, unit_codes)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _check_last(membership, role, limited=bool(units))
        before = _member_snapshot(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        links = Membership.units.through
        links.objects.filter(membership_id=membership.pk).delete()
        links.objects.bulk_create(
            [links(membership_id=membership.pk, unit_id=u) for u in units.values()]
        )
        after = _member_snapshot(membership)
        if before != after:
            audit.record(
                organisation=membership.organisation,
                actor=actor,
                action="team.change",
                obj=membership,
                object_label=membership.user.email,
                before=before,
                after=after,
            )
    return membership


def end_sessions(user: User) -> int:
    """Delete every session of ``user`` (database sessions): they are signed out at once."""
    ended = [
        s.pk
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)


def remove_member(*, membership: Membership, actor: User | None, actor_role: str) -> None:
    """Take ``membership`` away: its sessions end and the API tokens the member made for
    this organisation are revoked, at once."""
    if rank(membership.role) < rank(actor_role):
        raise PermissionDenied
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        )
        _check_last(membership, None)
        before = _member_snapshot(membership)
        user, organisation = membership.user, membership.organisation
        with tenant(organisation):
            tokens = ApiToken.objects.filter(created_by=user, revoked_at__isnull=True)
            revoked = tokens.update(revoked_at=timezone.now())
        membership.delete()
        sessions = end_sessions(user)
        audit.record(
            organisation=organisation,
            actor=actor,
            action="team.remove",
            object_type="membership",
            object_id=before["email"],
            object_label=before["email"],
            before=before,
            after={"tokens_revoked": revoked, "sessions_ended": sessions},
        )
