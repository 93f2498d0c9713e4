"""The filters every dashboard page shares: period, channel and unit from the URL, so
each filter state has its own address (bookmarkable, and what htmx pushes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.http import HttpRequest
from django.utils import timezone

from klantpeil.analytics.periods import parse_period
from klantpeil.collection.selectors import MeasurementFilter


@dataclass(frozen=True)
class PageFilters:
    current: MeasurementFilter
    previous: MeasurementFilter  # the same stretch of time just before ``current``
    error: str  # why the period in the URL was not understood ("" when it was)

    @property
    def period(self) -> str:
        return self.current.period or ""


def _code(value: str | None) -> str | None:
    """A channel or unit code from the URL; with a NUL in it (which PostgreSQL cannot
    even compare with) it names nothing."""
    return value if value and "\x00" not in value else None


def page_filters(request: HttpRequest) -> PageFilters:
    """The chosen period, channel and unit, and the same period before it.

    Without a (valid) period: the last 365 days against the 365 before them.
    """
    today = timezone.localdate()
    narrow = {
        "channel": _code(request.GET.get("channel")),
        "unit": _code(request.GET.get("unit")),
    }
    current = MeasurementFilter(since=today - timedelta(days=365), **narrow)
    previous = MeasurementFilter(
        since=today - timedelta(days=730), until=today - timedelta(days=366), **narrow
    )
    error = ""
    if period := request.GET.get("period"):
        try:
            chosen = parse_period(period)
        except ValueError as exc:
            error = str(exc)
        else:
            current = MeasurementFilter(period=chosen.label, **narrow)
            try:
                previous = MeasurementFilter(period=chosen.previous().label, **narrow)
            except ValueError:
                # The first supported period has none before it: an empty stretch, so
                # there is no change to show (rather than a server error).
                before = chosen.start - timedelta(days=1)
                previous = MeasurementFilter(since=chosen.start, until=before, **narrow)
    return PageFilters(current, previous, error)


def trend_window(period: str | None) -> tuple[date, date | None]:
    """Twelve calendar months of trend ending with ``period`` (or today): first day, and
    the last day included (None: up to today)."""
    if period:
        end = parse_period(period).end
        return date(end.year - 1, end.month, 1), end - timedelta(days=1)
    return (timezone.localdate() - timedelta(days=365)).replace(day=1), None
