"""The filters every dashboard page shares: period, channel and unit from the URL, so
each filter state has its own address (bookmarkable, and what htmx pushes).

Filters never fail silently: a period that cannot be read, a reversed range, or a
channel or unit the organisation does not have is an error beside its field, and the
page shows no figures until it is corrected (never the unfiltered figures instead).

Without a period every figure covers the same window, "the last twelve months": the
twelve complete calendar months before the running one plus the running month so far
(``metrics.periods.last_twelve_months``). Changes compare like with like: the same
months and days one period earlier, and no change at all when the earlier period holds
data for only part of its span.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.core import dates
from klantpeil.metrics import periods
from klantpeil.metrics.periods import Period, PeriodError, parse_period
from klantpeil.organisations.models import ChannelKind


@dataclass(frozen=True)
class Comparison:
    """Which spans a change compares, or why no change is shown."""

    current: MeasurementFilter | None  # the covered part of the shown period
    previous: MeasurementFilter | None  # the same months and days one period earlier
    current_span: Period | None
    previous_span: Period | None
    reason: str = ""  # why there is no comparison ("" when there is one)


@dataclass(frozen=True)
class PageFilters:
    current: MeasurementFilter
    previous: MeasurementFilter | None  # what ``current`` is compared with (None: no change)
    error: str  # every problem with the filters in one sentence ("" when they were read)
    errors: dict[str, str] = field(default_factory=dict)  # field name -> its problem
    window: Period | None = None  # the days ``current`` covers (None with an error)
    today: date | None = None
    comparison: Comparison | None = None
    typed: dict[str, str] = field(default_factory=dict)  # the fields as typed, to show back

    @property
    def period(self) -> str:
        return self.current.period or ""

    @property
    def running(self) -> bool:
        """Whether the window includes today (its last month, quarter or year so far)."""
        return bool(self.window and self.today and self.window.is_running(self.today))

    @property
    def complete_until(self) -> date | None:
        """The last day of the window's complete months (before the running month)."""
        if not (self.window and self.today):
            return None
        complete = periods.complete_months(self.window, self.today)
        return complete.last_day if complete else None

    @property
    def compared_with(self) -> str:
        """The earlier span a change is measured against, as words ("" without one)."""
        c = self.comparison
        return period_words(c.previous_span) if c and c.previous is not None else ""

    @property
    def compared(self) -> str:
        c = self.comparison
        return period_words(c.current_span) if c and c.current is not None else ""

    @property
    def no_comparison(self) -> str:
        return self.comparison.reason if self.comparison else ""


def day_words(day: date) -> str:
    return dates.short_date(day)


def span_words(span: Period) -> str:
    """``1 Dec 2025 – 30 Nov 2026`` in the active language."""
    if span.start == span.last_day:
        return day_words(span.start)
    return f"{day_words(span.start)} – {day_words(span.last_day)}"


def period_words(span: Period) -> str:
    """A whole month, quarter or year by its label (``2026-Q2``), other spans by dates."""
    return span.label if span.kind != "range" else span_words(span)


def read_period(text: str, today: date | None = None) -> Period:
    """The period typed in a filter, or the last twelve months when it is empty.

    Raises ValueError (the parser's message) when it cannot be read."""
    today = today or timezone.localdate()
    return parse_period(text) if text.strip() else periods.last_twelve_months(today)


def page_filters(
    request: HttpRequest,
    *,
    channels: bool = True,
    units: bool = True,
    first_day: date | bool | None = False,
) -> PageFilters:
    """The chosen period, channel and unit, checked, and what a change compares.

    ``channels``/``units``: whether the page offers that filter (a value given for a
    filter the page does not offer is an error too, never silently ignored).
    ``first_day``: the first day the organisation has customer data (False: look it up).
    """
    get = request.GET
    typed = {key: (get.get(key) or "").strip() for key in ("period", "channel", "unit")}
    errors: dict[str, str] = {}
    today = timezone.localdate()
    window: Period | None = None
    try:
        window = read_period(typed["period"], today)
    except ValueError as exc:
        errors["period"] = _("Period: %(problem)s") % {"problem": period_problem(exc)}
    if typed["channel"]:
        if not channels:
            errors["channel"] = _("This page cannot be filtered by channel.")
        elif typed["channel"] not in ChannelKind.values:
            errors["channel"] = _("Channel: %(value)s is not a channel.") % {
                "value": typed["channel"]
            }
        elif not _has_channel(typed["channel"]):
            errors["channel"] = _("Channel: this organisation has no %(channel)s channel.") % {
                "channel": str(dict(ChannelKind.choices)[typed["channel"]]).lower()
            }
    if typed["unit"]:
        if not units:
            errors["unit"] = _("This page cannot be filtered by unit.")
        elif "\x00" in typed["unit"] or not _has_unit(typed["unit"]):
            # A NUL names no unit (and PostgreSQL cannot even compare with it).
            errors["unit"] = _("Unit: this organisation has no unit with the code %(code)s.") % {
                "code": typed["unit"]
            }
    narrow = {"channel": typed["channel"] or None, "unit": typed["unit"] or None}
    if errors or window is None:
        return PageFilters(
            current=MeasurementFilter(**narrow),
            previous=None,
            error=" ".join(errors.values()),
            errors=errors,
            today=today,
            typed=typed,
        )
    if typed["period"]:
        current = MeasurementFilter(period=window.label, **narrow)
    else:
        current = MeasurementFilter(since=window.start, until=window.last_day, **narrow)
    if first_day is False:
        first_day = _first_day(current)
    comparison = compare(window, today, first_day, narrow, default=not typed["period"])
    return PageFilters(
        current=current,
        previous=comparison.previous,
        error="",
        errors={},
        window=window,
        today=today,
        comparison=comparison,
        typed=typed,
    )


def period_problem(exc: ValueError) -> str:
    """What is wrong with a typed period and which forms are read, in the page's language."""
    forms = _(
        "use a month (2026-09, sep 2026, september 2026), a quarter (2026-Q3, Q3 2026), "
        "a year (2026) or a range of days (2026-01-15..2026-03-31, 15-01-2026 t/m 31-03-2026)"
    )
    if not isinstance(exc, PeriodError):
        return f"{str(exc).split('; use ', 1)[0]}; {forms}"
    detail = {k: (day_words(v) if isinstance(v, date) else v) for k, v in exc.detail.items()}
    problems = {
        "month": _("month %(value)s does not exist (1 to 12)"),
        "quarter": _("quarter %(value)s does not exist (Q1 to Q4)"),
        "date": _("%(value)s is not a date that exists (day-month-year)"),
        "reversed": _("the range ends (%(last)s) before it starts (%(first)s)"),
        "year": _("year %(value)s is outside the supported years %(min)s–%(max)s"),
    }
    head = _("“%(text)s” is not a period") % {"text": exc.text}
    if exc.problem in problems:
        detail.update({"min": periods.MIN_YEAR, "max": periods.MAX_YEAR})
        head += ": " + problems[exc.problem] % detail
    return f"{head}; {forms}"


def compare(
    window: Period,
    today: date,
    first_day: date | None,
    narrow: dict | None = None,
    *,
    default: bool = False,
) -> Comparison:
    """Like-for-like spans for a change over ``window``, or the reason there are none.

    ``default``: the window is the last twelve months, whose change compares its twelve
    complete months with the twelve before (the running month has no equal yet).
    """
    narrow = narrow or {}
    try:
        if default:
            spans: tuple[Period, Period] | None = periods.default_comparison(today)
        else:
            spans = periods.like_for_like(window, today)
    except ValueError:
        # The first supported period (2000) has none before it to compare with.
        reason = _("No comparison: there is no period before %(period)s.") % {
            "period": period_words(window)
        }
        return Comparison(None, None, None, None, reason)
    if spans is None:
        return Comparison(None, None, None, None, _("No comparison: this period has not begun."))
    now, before = spans
    if first_day is None or first_day >= now.end:
        reason = _("No comparison: there are no measurements in this period yet.")
        return Comparison(None, None, now, before, reason)
    if first_day > before.start:
        if first_day >= before.end:
            reason = _("No comparison: there are no measurements before %(day)s.") % {
                "day": day_words(first_day)
            }
        else:
            reason = _(
                "No comparison: %(previous)s holds data for %(covered)s only, not for the "
                "whole period."
            ) % {
                "previous": period_words(before),
                "covered": span_words(periods.day_range(first_day, before.last_day)),
            }
        return Comparison(None, None, now, before, reason)
    return Comparison(
        MeasurementFilter(since=now.start, until=now.last_day, **narrow),
        MeasurementFilter(since=before.start, until=before.last_day, **narrow),
        now,
        before,
    )


def own_channels() -> list[tuple[str, str]]:
    """The channel kinds the current organisation has, in the usual order: the only
    ones a channel filter offers (any other is an error, see :func:`page_filters`)."""
    from klantpeil.organisations.models import Channel

    kinds = set(Channel.objects.values_list("kind", flat=True))
    return [(value, label) for value, label in ChannelKind.choices if value in kinds]


def _has_channel(kind: str) -> bool:
    from klantpeil.organisations.models import Channel

    return Channel.objects.filter(kind=kind).exists()


def _has_unit(code: str) -> bool:
    from klantpeil.organisations.models import Unit

    return Unit.objects.filter(code=code).exists()


def _first_day(filters: MeasurementFilter) -> date | None:
    from klantpeil.analytics.selectors import first_customer_day

    return first_customer_day(channel=filters.channel, unit=filters.unit)


def trend_window(period: str | None) -> tuple[date, date | None]:
    """The months a trend shows for ``period`` (or the last twelve months): first day,
    and the last day included (None: up to today).

    A month or quarter shows the twelve months up to its end, so it is seen in its
    context (the report's trend); a year or a range of days shows its own days."""
    today = timezone.localdate()
    if not period:
        return periods.last_twelve_months(today).start, None
    chosen = parse_period(period)
    if chosen.kind in ("month", "quarter"):
        end = chosen.end
        return date(end.year - 1, end.month, 1), min(chosen.last_day, today)
    # A year or a range: exactly its own days (a range's first and last month may be
    # partly shown; the trend marks them).
    return chosen.start, min(chosen.last_day, today)
