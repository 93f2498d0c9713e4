"""Reads of an organisation's own set-up."""

from __future__ import annotations

from datetime import date

from klantpeil.organisations.models import ChannelVolume


def channel_volumes(*, since: date | None = None, until: date | None = None) -> dict:
    """The current organisation's contact volumes as {(channel kind, first of month):
    contacts}, for the months that start between ``since`` and ``until`` (inclusive;
    a month is in when any of its days is). Months without an entry are absent: not
    entered is not the same as zero contacts."""
    rows = ChannelVolume.objects.all()
    if since is not None:
        rows = rows.filter(month__gte=since.replace(day=1))
    if until is not None:
        rows = rows.filter(month__lte=until)
    return {
        (kind, month): contacts
        for kind, month, contacts in rows.values_list("channel__kind", "month", "contacts")
    }
