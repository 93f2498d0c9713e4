"""Writes of an organisation's own set-up: the contact volumes per channel and month,
the unit tree, the channels' opening hours and the closing days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klantpeil.core.tenancy import require_organisation
from klantpeil.organisations.models import (
    Channel,
    ChannelKind,
    ChannelVolume,
    ClosingDay,
    OpeningHours,
    Organisation,
    Unit,
    Weekday,
)

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


# --- the unit tree -------------------------------------------------------------------

UNIT_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
CODE_MAX = Unit._meta.get_field("code").max_length
NAME_MAX = Unit._meta.get_field("name").max_length


@dataclass(frozen=True)
class UnitProblem:
    field: str  # code, name or parent (the column of an import)
    message: str
    row: int | None = None  # the line of an imported file; None in a form


class UnitError(ValueError):
    """Units that cannot be saved; nothing was written."""

    def __init__(self, problems: list[UnitProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _code_problem(code: str) -> str | None:
    if not code:
        return _("A unit needs a code.")
    if len(code) > CODE_MAX:
        return _("A unit code has at most %(max)s characters.") % {"max": CODE_MAX}
    if not UNIT_CODE.match(code):
        return _("The code “%(code)s” may hold only letters, digits, hyphens and underscores.") % {
            "code": code
        }
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return _("A unit needs a name.")
    if len(name) > NAME_MAX:
        return _("A unit name has at most %(max)s characters.") % {"max": NAME_MAX}
    return None


def _cycle(code: str, parents: dict[str, str | None]) -> list[str] | None:
    """The loop ``code`` would be in with these parents (codes), or None."""
    chain = [code]
    parent = parents.get(code)
    while parent is not None:
        chain.append(parent)
        if parent == code:
            return chain
        if len(chain) > len(parents) + 1:
            return None  # a loop above ``code`` that does not pass through it
        parent = parents.get(parent)
    return None


def _lock_tree() -> None:
    """Serialise writes to the current organisation's unit tree: two moves at once
    (A under B, B under A) must not both pass the cycle check. The organisation's
    row is the lock (PostgreSQL; SQLite writes one at a time anyway)."""
    Organisation.objects.select_for_update().filter(pk=require_organisation().pk).first()


@transaction.atomic
def save_unit(*, unit: Unit | None, code: str, name: str, parent: str = "") -> Unit:
    """Add a unit (``unit`` None) or rename, recode or move one: ``parent`` is the
    code of the unit it becomes part of ("" for top level). All problems at once in
    :class:`UnitError` (each naming its field); nothing half-saved. Measurements point
    at the unit's id, so its history moves along with it."""
    code, name, parent = code.strip(), name.strip(), (parent or "").strip()
    _lock_tree()
    problems: list[UnitProblem] = []
    for field, problem in (("code", _code_problem(code)), ("name", _name_problem(name))):
        if problem:
            problems.append(UnitProblem(field, problem))
    units = {u.code: u for u in Unit.objects.all()}
    if code in units and (unit is None or units[code].pk != unit.pk):
        problems.append(
            UnitProblem(
                "code",
                _("The code “%(code)s” is already used by the unit %(name)s.")
                % {"code": code, "name": units[code].name},
            )
        )
    parent_unit = None
    if parent:
        parent_unit = units.get(parent)
        if parent_unit is None:
            problems.append(
                UnitProblem(
                    "parent", _("There is no unit with the code “%(code)s”.") % {"code": parent}
                )
            )
        elif unit is not None:
            by_id = {u.pk: u for u in units.values()}
            parents = {
                u.code: by_id[u.parent_id].code if u.parent_id else None for u in by_id.values()
            }
            parents[unit.code] = parent_unit.code
            loop = _cycle(unit.code, parents)
            if loop:
                problems.append(
                    UnitProblem(
                        "parent",
                        _(
                            "%(unit)s cannot be part of %(parent)s: a unit cannot be part "
                            "of itself or of its own sub-unit (%(loop)s)."
                        )
                        % {
                            "unit": unit.name,
                            "parent": parent_unit.name,
                            "loop": " › ".join(reversed(loop)),
                        },
                    )
                )
    if problems:
        raise UnitError(problems)
    if unit is None:
        unit = Unit(organisation=require_organisation())
    unit.code, unit.name, unit.parent = code, name, parent_unit
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:  # a unit with this code was added meanwhile
        raise UnitError(
            [UnitProblem("code", _("The code “%(code)s” is already used.") % {"code": code})]
        ) from None
    return unit


@dataclass(frozen=True)
class UnitRow:
    """One line of a unit import: ``code;name;parent``."""

    row: int  # the line in the file (1 is the first line)
    code: str
    name: str
    parent: str = ""


@dataclass(frozen=True)
class UnitImport:
    created: int
    updated: int
    unchanged: int


@transaction.atomic
def import_units(rows: list[UnitRow]) -> UnitImport:
    """Create or update the current organisation's units by code: names and parents
    are set as the rows say; units the rows do not name stay as they are. A parent
    may come after its children, or be a unit that already exists. All or nothing:
    :class:`UnitError` lists every problem with its row and column."""
    _lock_tree()
    problems: list[UnitProblem] = []
    existing = {u.code: u for u in Unit.objects.all()}
    by_id = {u.pk: u for u in existing.values()}
    first_row: dict[str, int] = {}
    cleaned: list[tuple[UnitRow, bool]] = []
    for r in rows:
        code, name, parent = r.code.strip(), r.name.strip(), r.parent.strip()
        row_ok = True
        for field, problem in (("code", _code_problem(code)), ("name", _name_problem(name))):
            if problem:
                problems.append(UnitProblem(field, problem, r.row))
                row_ok = False
        if code and code in first_row:
            problems.append(
                UnitProblem(
                    "code",
                    _("The code “%(code)s” is already on row %(first)s.")
                    % {"code": code, "first": first_row[code]},
                    r.row,
                )
            )
            row_ok = False
        elif code:
            first_row[code] = r.row
        cleaned.append((UnitRow(r.row, code, name, parent), row_ok))
    known = set(existing) | set(first_row)
    parents: dict[str, str | None] = {
        u.code: by_id[u.parent_id].code if u.parent_id in by_id else None for u in existing.values()
    }
    good: list[UnitRow] = []
    for r, row_ok in cleaned:
        if r.parent and r.parent not in known:
            problems.append(
                UnitProblem(
                    "parent",
                    _("There is no unit with the code “%(code)s” in the file or the organisation.")
                    % {"code": r.parent},
                    r.row,
                )
            )
        elif row_ok:
            parents[r.code] = r.parent or None
            good.append(r)
    for r in good:
        loop = _cycle(r.code, parents)
        if loop:
            problems.append(
                UnitProblem(
                    "parent",
                    _("A unit cannot be part of itself or of its own sub-unit: %(loop)s.")
                    % {"loop": " › ".join(reversed(loop))},
                    r.row,
                )
            )
    if problems:
        raise UnitError(sorted(problems, key=lambda p: (p.row or 0, p.field)))
    organisation = require_organisation()
    created = updated = unchanged = 0
    units = dict(existing)
    for r in good:  # first every unit exists, then parents (a parent may come later)
        if r.code not in units:
            units[r.code] = Unit.objects.create(organisation=organisation, code=r.code, name=r.name)
            created += 1
    for r in good:
        unit = units[r.code]
        parent_id = units[r.parent].pk if r.parent else None
        if r.code in existing:
            if unit.name == r.name and unit.parent_id == parent_id:
                unchanged += 1
                continue
            updated += 1
        if unit.name != r.name or unit.parent_id != parent_id:
            unit.name, unit.parent_id = r.name, parent_id
            unit.save(update_fields=["name", "parent"])
    return UnitImport(created, updated, unchanged)


# --- opening hours and closing days ------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """One opening interval as entered: ``weekday`` 0 = Monday."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class HoursProblem:
    index: int  # the interval's position in what was sent
    field: str  # weekday, opens or closes
    message: str


class HoursError(ValueError):
    """Opening hours or a closing day that cannot be stored; nothing was written."""

    def __init__(self, problems: list[HoursProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def check_intervals(intervals: list[Interval]) -> list[HoursProblem]:
    """Everything wrong with one channel's week of intervals, in order: a weekday out
    of range, a closing time not after the opening time, two intervals of one day
    that overlap (touching, 12:00–12:00, is fine)."""
    days = dict(Weekday.choices)
    problems: list[HoursProblem] = []
    kept: dict[int, list[tuple[int, Interval]]] = {}
    for index, interval in enumerate(intervals):
        if interval.weekday not in days:
            problems.append(
                HoursProblem(index, "weekday", _("A weekday is a number from 0 (Monday) to 6."))
            )
            continue
        day = days[interval.weekday]
        if interval.closes <= interval.opens:
            problems.append(
                HoursProblem(
                    index,
                    "closes",
                    _("%(day)s: closing time %(closes)s is not after opening time %(opens)s.")
                    % {
                        "day": day,
                        "opens": f"{interval.opens:%H:%M}",
                        "closes": f"{interval.closes:%H:%M}",
                    },
                )
            )
            continue
        for _other_index, other in kept.get(interval.weekday, []):
            if interval.opens < other.closes and other.opens < interval.closes:
                problems.append(
                    HoursProblem(
                        index,
                        "opens",
                        _("%(day)s: %(this)s overlaps %(other)s.")
                        % {
                            "day": day,
                            "this": f"{interval.opens:%H:%M}–{interval.closes:%H:%M}",
                            "other": f"{other.opens:%H:%M}–{other.closes:%H:%M}",
                        },
                    )
                )
                break
        else:
            kept.setdefault(interval.weekday, []).append((index, interval))
    return problems


@transaction.atomic
def set_opening_hours(*, channel: Channel, intervals: list[Interval] | None) -> int:
    """Replace ``channel``'s weekly opening hours with ``intervals``; None (or an
    empty list) goes back to the standard office hours. All or nothing
    (:class:`HoursError`). Returns the intervals stored."""
    problems = check_intervals(intervals or [])
    if problems:
        raise HoursError(problems)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)  # one editor at a time
    OpeningHours.objects.filter(channel=channel).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(
            organisation=require_organisation(),
            channel=channel,
            weekday=i.weekday,
            opens=i.opens,
            closes=i.closes,
        )
        for i in sorted(intervals or [], key=lambda i: (i.weekday, i.opens))
    )
    return len(intervals or [])


def add_closing_day(*, day: date, name: str) -> ClosingDay:
    """Close the whole organisation on ``day`` (besides the public holidays)."""
    name = name.strip()
    problems = []
    if not name:
        problems.append(HoursProblem(0, "name", _("Give the closing day a name.")))
    elif len(name) > 120:
        problems.append(HoursProblem(0, "name", _("A name has at most 120 characters.")))
    if ClosingDay.objects.filter(day=day).exists():
        problems.append(
            HoursProblem(
                0, "day", _("%(day)s is already a closing day.") % {"day": f"{day:%Y-%m-%d}"}
            )
        )
    if problems:
        raise HoursError(problems)
    try:
        with transaction.atomic():
            return ClosingDay.objects.create(day=day, name=name)
    except IntegrityError:
        raise HoursError(
            [
                HoursProblem(
                    0, "day", _("%(day)s is already a closing day.") % {"day": f"{day:%Y-%m-%d}"}
                )
            ]
        ) from None


def remove_closing_day(*, pk: int) -> bool:
    """Open again on a closing day; False when the organisation has no such day."""
    return ClosingDay.objects.filter(pk=pk).delete()[0] > 0
