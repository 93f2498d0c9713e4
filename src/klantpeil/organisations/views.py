"""The organisation's own set-up pages: contact volumes per channel and month, the
unit tree, the channels' opening hours and the closing days."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.analytics.weighted import EXPLANATION
from klantpeil.metrics.business_hours import OFFICE_HOURS
from klantpeil.metrics.holidays import dutch_holidays
from klantpeil.metrics.periods import months_between
from klantpeil.organisations.models import Channel, ChannelKind, ClosingDay, Unit, Weekday
from klantpeil.organisations.selectors import (
    all_channel_hours,
    channel_hours,
    channel_volumes,
    unit_tree,
)
from klantpeil.organisations.services import (
    HoursError,
    Interval,
    UnitError,
    VolumeEntry,
    VolumeError,
    add_closing_day,
    check_intervals,
    remove_closing_day,
    save_unit,
    set_channel_volumes,
    set_opening_hours,
)

WINDOW_MONTHS = 13  # the twelve complete months the pages show, plus the running one
FIELD = re.compile(r"^c-(?P<kind>[a-z_]+)-(?P<month>\d{4}-\d{2})$")
# 12000, 12.000, 12,000 or 12 000 (Dutch and English thousands separators); nothing else.
WHOLE_NUMBER = re.compile(r"^-?(\d+|\d{1,3}([., \u00a0]\d{3})+)$")


def _shift(month: date, months: int) -> date:
    """The first of the month ``months`` calendar months after ``month`` (may be < 0)."""
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _window(end: date) -> list[date]:
    """The WINDOW_MONTHS months up to and including ``end``'s month."""
    last = end.replace(day=1)
    return months_between(_shift(last, 1 - WINDOW_MONTHS), _shift(last, 1))


def _parse(name: str, text: str) -> tuple[VolumeEntry | None, str | None]:
    """One field of the form as an entry, or the problem with it in words."""
    labels = dict(ChannelKind.choices)
    match = FIELD.match(name)
    kind, month_text = match["kind"], match["month"]
    try:
        month = datetime.strptime(month_text, "%Y-%m").date()
    except ValueError:
        return None, _("“%(month)s” is not a month.") % {"month": month_text}
    cell = f"{labels.get(kind, kind)}, {month:%Y-%m}"
    text = text.strip()
    if not text:
        return VolumeEntry(kind, month, None), None
    if not WHOLE_NUMBER.match(text):
        return None, _("%(cell)s: “%(value)s” is not a whole number of contacts.") % {
            "cell": cell,
            "value": text,
        }
    return VolumeEntry(kind, month, int(re.sub(r"[., \u00a0]", "", text))), None


@role_required(MANAGE_DATA)
def volumes_view(request: HttpRequest, org: str) -> HttpResponse:
    """A table of channels × months to enter the contacts each channel handled."""
    today = timezone.localdate()
    end = today
    if request.GET.get("end") or request.POST.get("end"):
        try:
            end = datetime.strptime(request.GET.get("end") or request.POST["end"], "%Y-%m").date()
        except ValueError:
            end = today
    months = _window(end)
    problems: list[tuple[str, str]] = []  # (field name, message)
    typed: dict[str, str] = {}
    if request.method == "POST":
        entries, names = [], []
        for name, value in request.POST.items():
            if not FIELD.match(name):
                continue
            typed[name] = value
            entry, problem = _parse(name, value)
            if problem:
                problems.append((name, problem))
            else:
                entries.append(entry)
                names.append(name)
        if not problems:
            try:
                stored = set_channel_volumes(entries=entries)
            except VolumeError as exc:
                problems = [(names[p.index], p.message) for p in exc.problems]
            else:
                messages.success(request, _("Contact volumes saved (%(n)s cells).") % {"n": stored})
                return redirect(f"{request.path}?end={end:%Y-%m}")
    stored_volumes = channel_volumes(since=months[0], until=months[-1])
    channels = list(Channel.objects.all())
    errors = dict(problems)
    rows = []
    for channel in channels:
        cells = []
        for month in months:
            name = f"c-{channel.kind}-{month:%Y-%m}"
            value = typed.get(name)
            if value is None:
                contacts = stored_volumes.get((channel.kind, month))
                value = "" if contacts is None else str(contacts)
            cells.append({"name": name, "month": month, "value": value, "error": errors.get(name)})
        rows.append({"channel": channel, "cells": cells})
    return render(
        request,
        "organisations/volumes.html",
        {
            "months": months,
            "rows": rows,
            "problems": [message for _name, message in problems],
            "explanation": EXPLANATION,
            "end": end,
            "earlier": f"{_shift(months[-1], -12):%Y-%m}",
            "later": (
                f"{min(_shift(months[-1], 12), today.replace(day=1)):%Y-%m}"
                if months[-1] < today.replace(day=1)
                else ""
            ),
        },
    )


# --- units ---------------------------------------------------------------------------


class UnitForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=60,
        help_text=gettext_lazy(
            "Stable: the API, imports and exports name the unit by it. Letters, digits, "
            "hyphens and underscores."
        ),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    # A code, offered as a choice; checked by the service (which names a cycle), not
    # by the form, so a stale page gets the same clear message as the command line.
    parent = forms.CharField(label=gettext_lazy("Part of"), required=False, widget=forms.Select)

    def __init__(self, *args, parents: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].widget.choices = [("", _("(top level)")), *parents]


def _parent_choices(tree, unit: Unit | None) -> list[tuple[str, str]]:
    """Every unit as an indented choice; a unit being edited cannot choose itself or
    its own sub-units (the service refuses those too, whatever is posted)."""
    below = tree.descendants([unit.pk]) if unit is not None else frozenset()
    return [(node.code, node.indented) for node in tree.nodes() if node.id not in below]


def _save_unit_form(request: HttpRequest, form: UnitForm, unit: Unit | None) -> Unit | None:
    if not form.is_valid():
        return None
    try:
        return save_unit(
            unit=unit,
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            parent=form.cleaned_data["parent"],
        )
    except UnitError as exc:
        for problem in exc.problems:
            form.add_error(problem.field, problem.message)
        return None


@role_required(MANAGE_DATA)
def units_view(request: HttpRequest, org: str) -> HttpResponse:
    """The organisation's units as a tree, with a form to add one."""
    tree = unit_tree()
    form = UnitForm(request.POST or None, parents=_parent_choices(tree, None))
    if request.method == "POST":
        unit = _save_unit_form(request, form, None)
        if unit is not None:
            messages.success(request, _("Unit %(name)s added.") % {"name": unit.name})
            return redirect("app:units", org=org)
    return render(request, "organisations/units.html", {"nodes": tree.nodes(), "form": form})


@role_required(MANAGE_DATA)
def unit_view(request: HttpRequest, org: str, code: str) -> HttpResponse:
    """Rename a unit, change its code or move it to another parent."""
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise Http404
    tree = unit_tree()
    initial = {
        "code": unit.code,
        "name": unit.name,
        "parent": tree.rows[unit.parent_id][1] if unit.parent_id in tree.rows else "",
    }
    form = UnitForm(request.POST or None, initial=initial, parents=_parent_choices(tree, unit))
    if request.method == "POST":
        saved = _save_unit_form(request, form, unit)
        if saved is not None:
            messages.success(request, _("Unit %(name)s saved.") % {"name": saved.name})
            return redirect("app:units", org=org)
        unit.refresh_from_db()  # the form shows what was typed; the page, what is stored
    node = next(n for n in tree.nodes() if n.id == unit.pk)
    return render(request, "organisations/unit.html", {"unit": unit, "node": node, "form": form})


# --- opening hours and closing days ---------------------------------------------------

INTERVAL = re.compile(r"^(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})$")


def _hours_text(intervals: tuple[tuple[time, time], ...]) -> str:
    return ", ".join(f"{o:%H:%M}–{c:%H:%M}" for o, c in intervals)


def _parse_day(weekday: int, text: str) -> tuple[list[Interval], str | None]:
    """``09:00-12:00, 13:00-17:00`` as intervals, or the problem in words."""
    intervals = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = INTERVAL.match(part)
        try:
            if match is None:
                raise ValueError
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            opens = time(h1, m1)
            closes = time(0, 0) if (h2, m2) == (24, 0) else time(h2, m2)
        except ValueError:
            return [], _("“%(value)s” is not an interval like 09:00–12:30.") % {"value": part}
        if closes == time(0, 0):
            closes = time(23, 59, 59)  # open until midnight
        intervals.append(Interval(weekday, opens, closes))
    return intervals, None


@role_required(MANAGE_DATA)
def hours_view(request: HttpRequest, org: str) -> HttpResponse:
    """Every channel's opening hours at a glance, and the organisation's closing days."""
    errors: dict[str, str] = {}
    typed = {"day": "", "name": ""}
    if request.method == "POST" and request.POST.get("remove"):
        if remove_closing_day(
            pk=int(request.POST["remove"]) if request.POST["remove"].isdigit() else 0
        ):
            messages.success(request, _("Closing day removed."))
        return redirect("app:hours", org=org)
    if request.method == "POST":
        typed = {"day": request.POST.get("day", "").strip(), "name": request.POST.get("name", "")}
        try:
            day = date.fromisoformat(typed["day"])
        except ValueError:
            errors["day"] = _("Give the date as YYYY-MM-DD.")
            day = None
        if day is not None:
            try:
                add_closing_day(day=day, name=typed["name"])
            except HoursError as exc:
                errors.update({p.field: p.message for p in exc.problems})
        elif not typed["name"].strip():
            errors["name"] = _("Give the closing day a name.")
        if not errors:
            messages.success(request, _("Closing day added."))
            return redirect("app:hours", org=org)
    channels = []
    entered = all_channel_hours()
    for channel in Channel.objects.all():
        own = entered.get(channel.kind)
        days = own or OFFICE_HOURS
        channels.append(
            {
                "channel": channel,
                "own": own is not None,
                "days": [
                    (label, _hours_text(days.get(value, ()))) for value, label in Weekday.choices
                ],
            }
        )
    today = timezone.localdate()
    holidays = [
        h for y in (today.year, today.year + 1) for h in dutch_holidays(y) if h.day >= today
    ][:12]
    return render(
        request,
        "organisations/hours.html",
        {
            "channels": channels,
            "closing_days": ClosingDay.objects.filter(day__gte=today),
            "holidays": holidays,
            "errors": errors,
            "typed": typed,
        },
    )


@role_required(MANAGE_DATA)
def channel_hours_view(request: HttpRequest, org: str, kind: str) -> HttpResponse:
    """One channel's weekly opening hours: a line per weekday, several intervals a day."""
    channel = Channel.objects.filter(kind=kind).first()
    if channel is None:
        raise Http404
    own = channel_hours(kind)
    values = {
        f"day-{value}": _hours_text((own or OFFICE_HOURS).get(value, ()))
        for value, _l in Weekday.choices
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("standard"):
            set_opening_hours(channel=channel, intervals=None)
            messages.success(
                request, _("%(channel)s keeps the standard office hours.") % {"channel": channel}
            )
            return redirect("app:hours", org=org)
        intervals: list[Interval] = []
        owner: list[str] = []  # the field of each interval, for the service's problems
        for value, _label in Weekday.choices:
            name = f"day-{value}"
            values[name] = request.POST.get(name, "")
            parsed, problem = _parse_day(value, values[name])
            if problem:
                errors[name] = problem
            intervals += parsed
            owner += [name] * len(parsed)
        for p in check_intervals(intervals):  # every problem at once, parsed or not
            errors.setdefault(owner[p.index], p.message)
        if not errors and not intervals:
            errors["day-0"] = _(
                "Give at least one opening interval, or choose the standard office hours."
            )
        if not errors:
            try:
                set_opening_hours(channel=channel, intervals=intervals)
            except HoursError as exc:
                for p in exc.problems:
                    errors.setdefault(owner[p.index], p.message)
            else:
                messages.success(
                    request, _("Opening hours of %(channel)s saved.") % {"channel": channel}
                )
                return redirect("app:hours", org=org)
    days = [
        {
            "name": f"day-{value}",
            "label": label,
            "value": values[f"day-{value}"],
            "error": errors.get(f"day-{value}"),
        }
        for value, label in Weekday.choices
    ]
    return render(
        request,
        "organisations/channel_hours.html",
        {"channel": channel, "own": own is not None, "days": days, "errors": errors},
    )
