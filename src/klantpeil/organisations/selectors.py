"""Reads of an organisation's own set-up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from klantpeil.metrics.business_hours import OFFICE_HOURS, Calendar
from klantpeil.organisations.models import ChannelVolume, ClosingDay, OpeningHours, Unit


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


# --- the unit tree -------------------------------------------------------------------


@dataclass(frozen=True)
class UnitNode:
    """One unit in the tree as the pages show it: its depth and its path of names."""

    id: int
    code: str
    name: str
    parent_id: int | None
    depth: int  # 0 for a top-level unit
    path: tuple[str, ...]  # names from the top down to this unit

    @property
    def breadcrumb(self) -> str:
        return " › ".join(self.path)

    @property
    def indented(self) -> str:
        """The name indented by depth with no-break spaces: a select's option shows the
        tree (an <option> cannot hold markup)."""
        return "\u00a0\u00a0\u00a0" * self.depth + self.name


class UnitTree:
    """An organisation's units as a tree, from one read of the (small) unit table.

    Built from (id, parent id, code, name) rows; a parent the reader cannot see (a
    member limited to a sub-tree) makes the unit a root of what they see."""

    def __init__(self, rows: Iterable[tuple[int, int | None, str, str]]) -> None:
        self.rows = {pk: (parent, code, name) for pk, parent, code, name in rows}
        self.by_code = {code: pk for pk, (_p, code, _n) in self.rows.items()}
        self.children: dict[int | None, list[int]] = {}
        for pk, (parent, _code, _name) in sorted(self.rows.items(), key=lambda r: r[1][2].lower()):
            self.children.setdefault(parent if parent in self.rows else None, []).append(pk)

    def descendants(self, roots: Iterable[int]) -> frozenset[int]:
        """``roots`` and every unit below them (the roots the tree does not hold are left out)."""
        found: set[int] = set()
        stack = [pk for pk in roots if pk in self.rows]
        while stack:
            pk = stack.pop()
            if pk not in found:  # a cycle in bad data must not loop forever
                found.add(pk)
                stack.extend(self.children.get(pk, ()))
        return frozenset(found)

    def ancestors(self, pk: int) -> list[int]:
        """The units above ``pk``, nearest first."""
        chain: list[int] = []
        parent = self.rows[pk][0] if pk in self.rows else None
        while parent in self.rows and parent not in chain and parent != pk:
            chain.append(parent)
            parent = self.rows[parent][0]
        return chain

    def nodes(self) -> list[UnitNode]:
        """Every unit, depth first, siblings by name: the order of an indented list."""
        out: list[UnitNode] = []

        def walk(pk: int, depth: int, path: tuple[str, ...]) -> None:
            parent, code, name = self.rows[pk]
            here = (*path, name)
            out.append(UnitNode(pk, code, name, parent, depth, here))
            for child in self.children.get(pk, ()):
                if len(here) <= len(self.rows):  # bad data with a cycle stops here
                    walk(child, depth + 1, here)

        for root in self.children.get(None, ()):
            walk(root, 0, ())
        return out


def unit_tree() -> UnitTree:
    """The current organisation's units (those the reader may see), in one query."""
    return UnitTree(Unit.objects.values_list("id", "parent_id", "code", "name"))


def descendant_ids(unit: Unit | str | int) -> frozenset[int]:
    """The ids of ``unit`` (a Unit, its code or its id) and all its sub-units: what
    "figures of unit X" count everywhere (dashboards, segments, reports, exports,
    API filters). One query; empty when the reader has no such unit."""
    rows = list(Unit.objects.values_list("id", "parent_id", "code", "name"))
    tree = UnitTree(rows)
    if isinstance(unit, Unit):
        root = unit.pk
    elif isinstance(unit, str):
        root = tree.by_code.get(unit)
    else:
        root = unit
    return tree.descendants([root]) if root is not None else frozenset()


def subtree_ids(organisation_id: int, roots: Iterable[int]) -> frozenset[int]:
    """``roots`` and all their sub-units in ``organisation_id``, read without a tenant:
    core.tenancy widens a member's unit scope with it before any tenant is active.
    Filtered by the organisation explicitly, so no other organisation's unit is read."""
    roots = list(roots)
    if not roots:
        return frozenset()
    rows = Unit.unscoped_all_tenants.filter(organisation_id=organisation_id).values_list(
        "id", "parent_id", "code", "name"
    )
    return UnitTree(rows).descendants(roots)


# --- business hours ------------------------------------------------------------------


Week = dict[int, tuple[tuple[time, time], ...]]  # {weekday: ((opens, closes), …)}


def all_channel_hours() -> dict[str, Week]:
    """The weekly opening hours entered per channel kind, in one query; a channel
    without entered hours is absent (it keeps the standard office hours)."""
    hours: dict[str, dict[int, list[tuple[time, time]]]] = {}
    for kind, weekday, opens, closes in OpeningHours.objects.values_list(
        "channel__kind", "weekday", "opens", "closes"
    ):
        hours.setdefault(kind, {}).setdefault(weekday, []).append((opens, closes))
    return {
        kind: {day: tuple(sorted(intervals)) for day, intervals in week.items()}
        for kind, week in hours.items()
    }


def channel_hours(kind: str) -> Week | None:
    """The weekly opening hours the organisation entered for its channel ``kind``, or
    None when it entered none."""
    hours: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(channel__kind=kind).values_list(
        "weekday", "opens", "closes"
    ):
        hours.setdefault(weekday, []).append((opens, closes))
    if not hours:
        return None
    return {day: tuple(sorted(intervals)) for day, intervals in hours.items()}


def channel_calendar(kind: str, years: Iterable[int]) -> Calendar:
    """The calendar every business-hours KPI of channel ``kind`` counts on: the
    channel's own opening hours (the standard office hours, Monday–Friday
    08:30–17:00, when none are entered, so figures of organisations without hours do
    not change), closed on the Dutch public holidays of ``years`` and on the
    organisation's own closing days. Two queries."""
    years = sorted(set(years))
    closed = set(
        ClosingDay.objects.filter(day__year__in=years).values_list("day", flat=True)
        if years
        else ()
    )
    return Calendar.dutch(years, hours=channel_hours(kind) or OFFICE_HOURS, closed=closed)
