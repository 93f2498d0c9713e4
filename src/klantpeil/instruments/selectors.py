"""Reads of instruments; always through the tenant scope (standard content included)."""

from __future__ import annotations

from django.db.models import F, QuerySet

from klantpeil.instruments.models import Instrument, InstrumentVersion


def instruments() -> QuerySet[Instrument]:
    return Instrument.objects.all()


def latest_version(*, key: str) -> InstrumentVersion:
    """The newest version of the instrument with this key visible to the current organisation.

    An organisation's own instrument wins over a standard one with the same key.
    """
    instrument = (
        Instrument.objects.filter(key=key)
        .order_by(F("organisation_id").asc(nulls_last=True))
        .first()
    )
    if instrument is None:
        raise Instrument.DoesNotExist(f"No instrument with key {key!r}")
    return instrument.versions.order_by("-number").prefetch_related("questions").first()
