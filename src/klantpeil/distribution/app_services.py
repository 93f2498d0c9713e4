"""Writes of the distribution pages in the app: an organisation's own wording, and its
settings page (sender, fatigue, window and reminder rules) saved as one whole.

The delivery back end's writes live in ``services.py``; these are the app's forms'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from klantpeil.core.tenancy import require_organisation
from klantpeil.distribution.models import DistributionSettings, MessageTemplate, ReminderRule


@dataclass(frozen=True)
class RuleEntry:
    instrument_id: int
    reminders: int
    days_after: int


def save_template(
    *, channel: str, kind: str, language: str, subject: str, text_body: str, html_body: str
) -> MessageTemplate:
    """Store the organisation's wording of one message (validated by the caller with the
    back end's ``rendering.validate_template``)."""
    template, _ = MessageTemplate.objects.update_or_create(
        organisation=require_organisation(),
        channel=channel,
        kind=kind,
        language=language,
        defaults={"subject": subject, "text_body": text_body, "html_body": html_body},
    )
    return template


def reset_template(*, channel: str, kind: str, language: str) -> bool:
    """Back to the shipped wording: the organisation's own is removed. True if it had one."""
    deleted, _ = MessageTemplate.objects.filter(
        channel=channel, kind=kind, language=language
    ).delete()
    return bool(deleted)


def save_distribution_page(
    values: Mapping[str, Any], rules: Sequence[RuleEntry]
) -> DistributionSettings:
    """The settings and every instrument's reminder rule in one transaction: a page is
    saved whole or not at all (the caller's form has checked each field; the database
    still refuses a window that does not start before it ends)."""
    organisation = require_organisation()
    with transaction.atomic():
        config = DistributionSettings.objects.select_for_update().first() or DistributionSettings(
            organisation=organisation
        )
        for name, value in values.items():
            setattr(config, name, value)
        config.full_clean(exclude=["organisation"], validate_unique=False)
        config.save()
        for rule in rules:
            ReminderRule.objects.update_or_create(
                organisation=organisation,
                instrument_id=rule.instrument_id,
                defaults={"reminders": rule.reminders, "days_after": rule.days_after},
            )
    return config
