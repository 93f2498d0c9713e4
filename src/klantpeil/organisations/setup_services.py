"""Writes of an organisation's own set-up (issue 22): creating a client organisation,
and its settings (norms, retention, anonymity minimum, branding, languages).

Every write is all or nothing and goes to the organisation's change log
(``privacy.audit.record``) in the same transaction."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantpeil.accounts.models import Membership, Role, User
from klantpeil.core.errors import FieldErrors
from klantpeil.metrics.colour import HEX_COLOUR, MIN_CONTRAST, WHITE, contrast_ratio
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.organisations.models import Organisation, OrganisationLogo, Sector
from klantpeil.privacy import audit

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Slugs that would shadow a page of the app (/app/organisations/new/ …).
RESERVED_SLUGS = frozenset({"organisations", "new", "admin", "api", "accounts", "static"})
LANGUAGE_CODES = ("nl", "en")
MAX_LOGO_BYTES = 512 * 1024
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_LOGO_PIXELS = 4000  # per side: a logo, not a poster (and no decompression bomb)


class SetupError(FieldErrors):
    """Input that cannot be saved: ``errors`` maps each field to its problem. Nothing
    was written."""


def may_create_organisations(user: User) -> bool:
    """The operator decides: staff, or a user the operator gave the permission."""
    return bool(user.is_authenticated and (user.is_superuser or user.can_create_organisations))


def check_languages(languages: list[str], default_language: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    unknown = [code for code in languages if code not in LANGUAGE_CODES]
    if unknown or not languages:
        errors["languages"] = _("Choose one or more of: %(codes)s.") % {
            "codes": ", ".join(LANGUAGE_CODES)
        }
    elif default_language not in languages:
        errors["default_language"] = _("The default language must be one of its languages.")
    return errors


@transaction.atomic
def create_organisation(
    *,
    creator: User | None,
    name: str,
    slug: str,
    sector_key: str,
    languages: list[str],
    default_language: str,
) -> Organisation:
    """A new client organisation with ``creator`` as its analyst. ``creator`` None: the
    command line (the operator). Raises :class:`SetupError` naming each bad field."""
    if creator is not None and not may_create_organisations(creator):
        raise PermissionDenied
    name, slug = name.strip(), slug.strip().lower()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the organisation a name.")
    elif len(name) > 200:
        errors["name"] = _("At most 200 characters.")
    if not SLUG.match(slug) or len(slug) > 50:
        errors["slug"] = _(
            "Use lower-case letters, digits and hyphens (at most 50), e.g. gemeente-utrecht."
        )
    elif slug in RESERVED_SLUGS:
        errors["slug"] = _("“%(slug)s” is reserved; choose another.") % {"slug": slug}
    elif Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = _("The slug “%(slug)s” is already taken.") % {"slug": slug}
    sector = Sector.objects.filter(key=sector_key).first()
    if sector is None:
        errors["sector"] = _("No sector “%(key)s”; choose one of %(keys)s.") % {
            "key": sector_key,
            "keys": ", ".join(Sector.objects.values_list("key", flat=True)),
        }
    errors |= check_languages(languages, default_language)
    if errors:
        raise SetupError(errors)
    try:
        with transaction.atomic():  # a concurrent twin with the same slug loses here
            organisation = Organisation.objects.create(
                name=name,
                slug=slug,
                sector=sector,
                languages=list(languages),
                default_language=default_language,
            )
    except IntegrityError as exc:
        raise SetupError(
            {"slug": _("The slug “%(slug)s” is already taken.") % {"slug": slug}}
        ) from exc
    if creator is not None:
        Membership.objects.create(user=creator, organisation=organisation, role=Role.ANALYST)
    audit.record(
        organisation=organisation,
        actor=creator,
        action="organisation.create",
        obj=organisation,
        after=organisation_snapshot(organisation),
    )
    return organisation


def organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    """What the settings pages change, as the change log stores it."""
    return {
        "name": organisation.name,
        "slug": organisation.slug,
        "sector": organisation.sector.key,
        "languages": organisation.languages,
        "default_language": organisation.default_language,
        "norms": organisation.norms,
        "anonymity_minimum": organisation.anonymity_minimum,
        "accent_colour": organisation.accent_colour,
        "logo_digest": organisation.logo_digest,
    }


@dataclass(frozen=True)
class Logo:
    content: bytes
    content_type: str
    width: int
    height: int


def check_logo(content: bytes) -> Logo:
    """A PNG or JPEG of at most 512 KB, opened and verified with Pillow, or SetupError
    on ``logo``. SVG is refused: it can carry scripts and links, and a PDF report or
    an e-mail client would need it converted anyway."""
    if len(content) > MAX_LOGO_BYTES:
        raise SetupError(
            {
                "logo": _("The logo is %(size)s KB; at most %(max)s KB.")
                % {"size": (len(content) + 1023) // 1024, "max": MAX_LOGO_BYTES // 1024}
            }
        )
    from PIL import Image, UnidentifiedImageError

    not_an_image = SetupError({"logo": _("The logo must be a PNG or JPEG image.")})
    try:
        with Image.open(io.BytesIO(content)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # verify() does not decode: a truncated file fails only here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    if kind not in LOGO_TYPES:
        raise not_an_image
    if max(width, height) > MAX_LOGO_PIXELS:
        raise SetupError(
            {
                "logo": _("The logo is %(w)s × %(h)s pixels; at most %(max)s on a side.")
                % {"w": width, "h": height, "max": MAX_LOGO_PIXELS}
            }
        )
    return Logo(content, LOGO_TYPES[kind], width, height)


def check_accent_colour(colour: str) -> str:
    """``#rrggbb`` (lower case) readable with white text on it (WCAG 2.1 AA, 4.5:1), or ''."""
    colour = colour.strip().lower()
    if not colour:
        return ""
    if not HEX_COLOUR.match(colour):
        raise SetupError({"accent_colour": _("Give a colour as #rrggbb, e.g. #1f5fa8.")})
    ratio = contrast_ratio(colour, WHITE)
    if ratio < MIN_CONTRAST:
        raise SetupError(
            {
                "accent_colour": _(
                    "White text on %(colour)s has a contrast of %(ratio)s:1; WCAG asks for at "
                    "least 4.5:1. Choose a darker colour."
                )
                % {"colour": colour, "ratio": f"{ratio:.2f}"}
            }
        )
    return colour


@transaction.atomic
def update_settings(
    *,
    organisation: Organisation,
    actor: User | None,
    section: str,
    changes: dict[str, Any],
    retention_days: int | None = None,
    logo: Logo | None = None,
    remove_logo: bool = False,
) -> Organisation:
    """Save one settings page: ``changes`` are Organisation fields (already checked by
    the page's form); the invariants that protect respondents are checked again here,
    so no other caller can get round them. One change-log entry per save."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = organisation_snapshot(organisation)
    errors: dict[str, str] = {}
    if "anonymity_minimum" in changes and int(changes["anonymity_minimum"]) < MIN_GROUP:
        errors["anonymity_minimum"] = _(
            "At least %(n)s: groups smaller than that are never shown."
        ) % {"n": MIN_GROUP}
    if "accent_colour" in changes:
        try:
            changes["accent_colour"] = check_accent_colour(changes["accent_colour"])
        except SetupError as exc:
            errors |= exc.errors
    if "languages" in changes or "default_language" in changes:
        errors |= check_languages(
            changes.get("languages", organisation.languages),
            changes.get("default_language", organisation.default_language),
        )
    if retention_days is not None and not 1 <= retention_days <= 3650:
        errors["contact_days"] = _("Between 1 and 3650 days.")
    if errors:
        raise SetupError(errors)
    for field, value in changes.items():
        setattr(organisation, field, value)
    if logo is not None:
        digest = hashlib.sha256(logo.content).hexdigest()
        OrganisationLogo.objects.update_or_create(
            organisation=organisation,
            defaults={
                "content": logo.content,
                "content_type": logo.content_type,
                "digest": digest,
                "width": logo.width,
                "height": logo.height,
            },
        )
        organisation.logo_digest = digest
    elif remove_logo:
        OrganisationLogo.objects.filter(organisation=organisation).delete()
        organisation.logo_digest = ""
    organisation.save()
    after = organisation_snapshot(organisation)
    if retention_days is not None:
        from klantpeil.privacy.models import RetentionPolicy

        policy = RetentionPolicy.objects.filter(organisation=organisation).first()
        before["contact_days"] = (
            policy.contact_days if policy else settings.KLANTPEIL_CONTACT_RETENTION_DAYS
        )
        RetentionPolicy.objects.update_or_create(
            organisation=organisation, defaults={"contact_days": retention_days}
        )
        after["contact_days"] = retention_days
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    if changed:
        audit.record(
            organisation=organisation,
            actor=actor,
            action=f"settings.{section}",
            obj=organisation,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return organisation
