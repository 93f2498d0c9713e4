"""The first pages of the app. Organisation scoping happens in TenantMiddleware."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from klantpeil.accounts.selectors import memberships_for
from klantpeil.analytics.benchmarks import MIN_ORGANISATIONS
from klantpeil.analytics.periods import parse_period
from klantpeil.analytics.selectors import (
    MIN_RESPONSES,
    channel_changes,
    channel_kpis,
    counts_per_channel_and_month,
    driver_report,
    employee_customer_link,
    monthly_grades,
    reachability,
    sector_grade_benchmark,
)
from klantpeil.collection import selectors as measurements
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.dashboards import charts
from klantpeil.instruments.models import Driver
from klantpeil.organisations.models import Channel, ChannelKind, Unit


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the only organisation, or a choice when there are several."""
    memberships = list(memberships_for(user=request.user))
    if len(memberships) == 1:
        return redirect("app:overview", org=memberships[0].organisation.slug)
    return render(request, "dashboards/home.html", {"choices": memberships})


def _overview_filters(request: HttpRequest) -> tuple[MeasurementFilter, MeasurementFilter, str]:
    """The chosen period, channel and unit, the same period before it, and an error if any.

    Without a (valid) period: the last 365 days against the 365 before them.
    """
    today = timezone.localdate()
    narrow = {
        "channel": request.GET.get("channel") or None,
        "unit": request.GET.get("unit") or None,
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
            previous = MeasurementFilter(period=chosen.previous().label, **narrow)
    return current, previous, error


def overview(request: HttpRequest, org: str) -> HttpResponse:
    since = (timezone.localdate() - timedelta(days=365)).replace(day=1)
    months, rows = counts_per_channel_and_month(since=since)
    year, before, error = _overview_filters(request)
    trend = monthly_grades(since=since)
    return render(
        request,
        "dashboards/overview.html",
        {
            "filters": year,
            "error": error,
            "changes": channel_changes(year, before),
            "previous": before.period or "",
            "channels": ChannelKind.choices,
            "units": Unit.objects.order_by("name"),
            "trend": trend,
            "trend_spec": charts.grade_trend(
                [
                    {
                        "month": point.month.isoformat(),
                        "channel": point.label,
                        "grade": point.grade.value,
                        "low": point.grade.ci_low,
                        "high": point.grade.ci_high,
                        "n": point.grade.n,
                    }
                    for point in trend
                ],
                titles={
                    "channel": _("Channel"),
                    "grade": _("Grade"),
                    "low": _("95% interval from"),
                    "high": _("95% interval to"),
                },
            ),
            "kpis": channel_kpis(year),
            "benchmark": sector_grade_benchmark(year),
            "months": months,
            "rows": rows,
            "total": sum(row["total"] for row in rows),
            "column_totals": [sum(col) for col in zip(*(r["counts"] for r in rows), strict=True)]
            if rows
            else [],
        },
    )


def measurement_list(request: HttpRequest, org: str) -> HttpResponse:
    queryset = measurements.individual_measurements().select_related(
        "channel", "unit", "instrument_version__instrument"
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    return render(request, "dashboards/measurement_list.html", {"page": page})


def measurement_detail(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    measurement = measurements.measurement_by_id(pk=pk)
    return render(
        request,
        "dashboards/measurement_detail.html",
        {"measurement": measurement, "answers": measurements.answers_of(measurement=measurement)},
    )


def benchmark_page(request: HttpRequest, org: str) -> HttpResponse:
    """The organisation's overall grade within its sector's distribution, per channel."""
    year = MeasurementFilter(since=timezone.localdate() - timedelta(days=365))
    kinds = Channel.objects.values_list("kind", flat=True)
    labels = dict(ChannelKind.choices)
    rows = [(str(_("All channels")), sector_grade_benchmark(year))]
    rows += [
        (str(labels[kind]), sector_grade_benchmark(dataclasses.replace(year, channel=kind)))
        for kind in ChannelKind.values
        if kind in kinds
    ]
    shown = [(label, b) for label, b in rows if b is not None and b.own is not None]
    spec = charts.sector_position(
        [
            {"row": label, "q1": b.q1, "median": b.median, "q3": b.q3, "own": b.own}
            for label, b in shown
        ],
        titles={
            "grade": _("Overall grade"),
            "row": _("Channel"),
            "own": _("Your grade"),
            "median": _("Sector median"),
            "q1": _("Lower quartile"),
            "q3": _("Upper quartile"),
        },
    )
    return render(
        request,
        "dashboards/benchmark.html",
        {"rows": rows, "shown": shown, "spec": spec, "minimum": MIN_ORGANISATIONS},
    )


def employees(request: HttpRequest, org: str) -> HttpResponse:
    """Employee results beside customer results per unit, and how the two move together."""
    since = timezone.localdate() - timedelta(days=365)
    return render(
        request,
        "dashboards/employees.html",
        {"link": employee_customer_link(MeasurementFilter(since=since)), "minimum": 5},
    )


def drivers(request: HttpRequest, org: str) -> HttpResponse:
    """What to improve first: key drivers of the overall grade, ranked into actions."""
    period = request.GET.get("period") or None
    channel = request.GET.get("channel") or None
    since = None if period else timezone.localdate() - timedelta(days=365)
    error = None
    report = None
    try:
        report = driver_report(MeasurementFilter(period=period, since=since, channel=channel))
    except ValueError as exc:
        error = str(exc)
    labels = dict(Driver.choices)
    positions = {
        "concentrate_here": _("Concentrate here"),
        "keep_up": _("Keep up the good work"),
        "low_priority": _("Low priority"),
        "possible_overkill": _("Possibly more than needed"),
    }
    matrix = (
        charts.priority_matrix(
            [
                {
                    "driver": str(labels[p.name]),
                    "share": p.share,
                    "performance": p.performance,
                    "position": str(positions[p.quadrant]),
                }
                for p in report.priorities
            ],
            titles={
                "driver": _("Driver"),
                "share": _("Weight in the grade"),
                "performance": _("Score"),
                "position": _("Position"),
            },
        )
        if report
        else None
    )
    return render(
        request,
        "dashboards/drivers.html",
        {
            "report": report,
            "error": error,
            "period": period or "",
            "channel": channel or "",
            "channels": ChannelKind.choices,
            "labels": labels,
            "matrix": matrix,
            "minimum": MIN_RESPONSES,
        },
    )


def reachability_infographic(request: HttpRequest, org: str, fmt: str) -> HttpResponse:
    """The reachability page's figures as the one-page infographic (SVG or PNG)."""
    from klantpeil.analytics import infographic

    lang = request.GET.get("lang") or translation.get_language()[:2]
    if fmt not in infographic.FORMATS or lang not in ("nl", "en"):
        raise Http404
    period = request.GET.get("period") or None
    since = None if period else timezone.localdate() - timedelta(days=365)
    try:
        kpis, _norms = reachability(MeasurementFilter(period=period, since=since))
    except ValueError:
        raise Http404 from None
    words = {"nl": "Telefonische bereikbaarheid", "en": "Telephone reachability"}
    body = infographic.render(
        kpis,
        title=f"{request.organisation.name}: {words[lang]}",
        subtitle=period or {"nl": "afgelopen twaalf maanden", "en": "last twelve months"}[lang],
        lang=lang,
        fmt=fmt,
        calls=kpis["technically_reachable_rate"].n,
    )
    response = HttpResponse(body, content_type=infographic.MEDIA_TYPES[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="reachability.{fmt}"'
    return response


def reachability_page(request: HttpRequest, org: str) -> HttpResponse:
    """Telephone reachability from mystery calls against the organisation's norms."""
    period = request.GET.get("period") or None
    since = None if period else timezone.localdate() - timedelta(days=365)
    error = None
    kpis, norms = {}, None
    try:
        kpis, norms = reachability(MeasurementFilter(period=period, since=since))
    except ValueError as exc:
        error = str(exc)
    return render(
        request,
        "dashboards/reachability.html",
        {
            "kpis": kpis,
            "norms": norms,
            "error": error,
            "period": period or "",
            "calls": kpis["technically_reachable_rate"].n if kpis else 0,
        },
    )
