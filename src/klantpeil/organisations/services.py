"""Writes of an organisation's own set-up: the contact volumes per channel and month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from klantpeil.organisations.models import Channel, ChannelKind, ChannelVolume

# A contact centre of a large utility handles a few million contacts a month in all
# channels together; a figure far beyond that is a typing error (an extra zero or two).
MAX_CONTACTS = 100_000_000


@dataclass(frozen=True)
class VolumeEntry:
    """One cell of the volume table: ``contacts`` None clears the cell."""

    channel: str  # the channel kind: phone, email, …
    month: date  # the first day of the month
    contacts: int | None


@dataclass(frozen=True)
class VolumeProblem:
    index: int  # the entry's position in what was sent
    field: str  # channel, month or contacts
    message: str
    value: object = None


class VolumeError(ValueError):
    """Entries that cannot be stored; nothing was written."""

    def __init__(self, problems: list[VolumeProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing was written")
        self.problems = problems


def check_volume_entries(entries: list[VolumeEntry]) -> list[VolumeProblem]:
    """Everything wrong with ``entries`` for the current organisation, in order."""
    labels = dict(ChannelKind.choices)
    own = set(Channel.objects.values_list("kind", flat=True))
    problems: list[VolumeProblem] = []
    seen: set[tuple[str, date]] = set()
    for index, entry in enumerate(entries):
        if entry.channel not in own:
            problems.append(
                VolumeProblem(
                    index,
                    "channel",
                    _("Your organisation has no channel “%(channel)s”; it has %(own)s.")
                    % {
                        "channel": entry.channel,
                        "own": ", ".join(sorted(own)) or _("no channels yet"),
                    },
                    entry.channel,
                )
            )
            continue
        if entry.month.day != 1:
            problems.append(
                VolumeProblem(
                    index,
                    "month",
                    _("A volume is per calendar month: give the month as YYYY-MM."),
                    entry.month.isoformat(),
                )
            )
            continue
        name = f"{labels[entry.channel]}, {entry.month:%Y-%m}"
        if entry.contacts is not None and entry.contacts < 0:
            problems.append(
                VolumeProblem(
                    index,
                    "contacts",
                    _("%(cell)s: the number of contacts cannot be negative.") % {"cell": name},
                    entry.contacts,
                )
            )
        elif entry.contacts is not None and entry.contacts > MAX_CONTACTS:
            problems.append(
                VolumeProblem(
                    index,
                    "contacts",
                    _("%(cell)s: more than %(max)s contacts in a month is not plausible.")
                    % {"cell": name, "max": f"{MAX_CONTACTS:,}"},
                    entry.contacts,
                )
            )
        if (entry.channel, entry.month) in seen:
            problems.append(
                VolumeProblem(
                    index,
                    "month",
                    _("%(cell)s is given twice.") % {"cell": name},
                    entry.month.isoformat(),
                )
            )
        seen.add((entry.channel, entry.month))
    return problems


@transaction.atomic
def set_channel_volumes(*, entries: list[VolumeEntry]) -> int:
    """Store the current organisation's contact volumes: each entry sets (or, with
    ``contacts`` None, clears) one channel's month. All or nothing: with any problem
    :class:`VolumeError` lists them all and nothing is written. Returns the entries
    stored or cleared."""
    problems = check_volume_entries(entries)
    if problems:
        raise VolumeError(problems)
    channels = {c.kind: c for c in Channel.objects.all()}
    for entry in entries:
        channel = channels[entry.channel]
        if entry.contacts is None:
            ChannelVolume.objects.filter(channel=channel, month=entry.month).delete()
        else:
            ChannelVolume.objects.update_or_create(
                channel=channel, month=entry.month, defaults={"contacts": entry.contacts}
            )
    return len(entries)
