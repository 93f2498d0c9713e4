"""Publishing instrument versions and keeping the standard content in the database."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any

from django.db import transaction

from klantpeil.instruments.models import Instrument, InstrumentVersion, Question

STANDARD_PACKAGE = "klantpeil.instruments.standard"


def standard_definitions() -> list[dict[str, Any]]:
    """The standard instruments shipped as JSON inside the package, by key."""
    folder = resources.files(STANDARD_PACKAGE)
    definitions = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
    return sorted(definitions, key=lambda d: d["key"])


def content_hash(definition: dict[str, Any]) -> str:
    canonical = json.dumps(
        {k: definition.get(k) for k in ("channels", "description", "questions")},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@transaction.atomic
def publish_version(*, instrument: Instrument, definition: dict[str, Any]) -> InstrumentVersion:
    """Publish ``definition`` as the next version of ``instrument``, or return the
    latest version when its content is identical (publishing is idempotent)."""
    digest = content_hash(definition)
    latest = instrument.versions.order_by("-number").first()
    if latest is not None and latest.content_hash == digest:
        return latest
    description = definition.get("description", {})
    version = InstrumentVersion.objects.create(
        instrument=instrument,
        number=(latest.number + 1) if latest else 1,
        channels=definition.get("channels", []),
        description_nl=description.get("nl", ""),
        description_en=description.get("en", ""),
        content_hash=digest,
    )
    Question.objects.bulk_create(
        [
            Question(
                version=version,
                position=position,
                key=q["key"],
                type=q["type"],
                label_nl=q["label"]["nl"],
                label_en=q["label"]["en"],
                help_nl=q.get("help", {}).get("nl", ""),
                help_en=q.get("help", {}).get("en", ""),
                required=q.get("required", True),
                driver=q.get("driver") or "",
                indicator=q.get("indicator") or "",
                choices=q.get("choices", []),
                minimum=q.get("min"),
                maximum=q.get("max"),
                channels=q.get("channels", []),
                show_if=q.get("show_if"),
            )
            for position, q in enumerate(definition["questions"], start=1)
        ]
    )
    return version


@transaction.atomic
def sync_standard_instruments() -> list[InstrumentVersion]:
    """Make sure every shipped standard instrument exists with its current content.

    Runs after every ``migrate``; changed content becomes a new version, older
    versions stay because results point at them.
    """
    versions = []
    for definition in standard_definitions():
        instrument, _ = Instrument.unscoped_all_tenants.update_or_create(
            organisation=None,
            key=definition["key"],
            defaults={
                "method": definition["method"],
                "name_nl": definition["name"]["nl"],
                "name_en": definition["name"]["en"],
            },
        )
        versions.append(publish_version(instrument=instrument, definition=definition))
    return versions
