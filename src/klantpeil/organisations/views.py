"""The organisation's own set-up pages: contact volumes per channel and month."""

from __future__ import annotations

import re
from datetime import date, datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.analytics.weighted import EXPLANATION
from klantpeil.metrics.periods import months_between
from klantpeil.organisations.models import Channel, ChannelKind
from klantpeil.organisations.selectors import channel_volumes
from klantpeil.organisations.services import VolumeEntry, VolumeError, set_channel_volumes

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
