"""The first pages of the app. Organisation scoping happens in TenantMiddleware."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from klantpeil.accounts.selectors import memberships_for
from klantpeil.analytics.driver_selectors import driver_report
from klantpeil.analytics.employee_link import employee_customer_link
from klantpeil.analytics.sector import sector_grade_benchmarks
from klantpeil.analytics.selectors import (
    MIN_RESPONSES,
    SURVEY,
    TARGET,
    channel_changes,
    channel_kpis,
    counts_per_channel_and_month,
    monthly_grades,
)
from klantpeil.analytics.weighted import EXPLANATION, weighted_overview
from klantpeil.collection import selectors as measurements
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.dashboards import figures, first_steps, selectors
from klantpeil.dashboards.drilldown import (
    described,
    drilldown_narrowing,
    drilldown_url,
    narrowed,
)
from klantpeil.dashboards.figures import disclosure_context
from klantpeil.dashboards.filters import PageFilters, own_channels, page_filters
from klantpeil.dataio.exports import write_csv
from klantpeil.dataio.selectors import conversions_in
from klantpeil.fieldwork.reachability_selectors import PHONE_PROTOCOL, reachability
from klantpeil.instruments.models import Driver
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.metrics.reachability import KPI_BASE
from klantpeil.metrics.stats import MIN_N
from klantpeil.organisations.selectors import unit_tree


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the only organisation, or a choice when there are several."""
    memberships = list(memberships_for(user=request.user).order_by("organisation__name"))
    if len(memberships) == 1:
        return redirect("app:overview", org=memberships[0].organisation.slug)
    if not memberships and request.user.is_staff:
        return render(request, "dashboards/operator.html", selectors.service_overview())
    # No organisation is current here: each row finds its own first day (portfolio).
    context = _filter_context(request, first_day=None)
    if context["filters"].error:
        return _refused(request, context, _("Your organisations"))
    sector = request.GET.get("sector") or ""
    sort = request.GET.get("sort") or "name"
    problems = []
    sectors = sorted({m.organisation.sector for m in memberships}, key=lambda s: (s.name_nl, s.key))
    if sector and sector not in {s.key for s in sectors}:
        problems.append(_("Sector: you serve no organisation in sector %(key)s.") % {"key": sector})
    if sort.removeprefix("-") not in selectors.PORTFOLIO_SORTS:
        problems.append(_("Sort: there is no column %(key)s.") % {"key": sort})
    rows = []
    if not problems:
        chosen = [m for m in memberships if not sector or m.organisation.sector.key == sector]
        rows = selectors.sort_portfolio(selectors.portfolio(chosen, context["filters"]), sort)
    if request.GET.get("format") == "csv" and not problems:
        header, body = selectors.portfolio_table(rows)
        response = HttpResponse(write_csv(header, iter(body)), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="organisations.csv"'
        return response
    kept = {k: v for k, v in (("period", context["filters"].period), ("sector", sector)) if v}
    return render(
        request,
        "dashboards/home.html",
        {
            **context,
            "choices": memberships,
            "rows": rows,
            "problems": problems,
            "sectors": sectors,
            "sector": sector,
            "sort": sort,
            "sort_query": urlencode(kept),
            "hidden_filters": [(k, v) for k, v in (("sector", sector), ("sort", sort)) if v],
            "csv_query": urlencode({**kept, "sort": sort, "format": "csv"}),
        },
    )


def _filter_context(
    request: HttpRequest, *, channel: bool = False, unit: bool = False, **options
) -> dict:
    """The shared filter bar's state and choices (templates/dashboards/_filters.html)."""
    filters = page_filters(request, channels=channel, units=unit, **options)
    return {
        "filters": filters,
        "with_channel": channel,
        "with_unit": unit,
        "channel_choices": own_channels() if channel else (),
        "unit_choices": unit_tree().nodes() if unit else (),
    }


def _refused(request: HttpRequest, context: dict, title: str) -> HttpResponse:
    """The page with its filter bar and the filters' errors, and no figures: never the
    unfiltered figures in place of what was asked for. A normal page (200), like any
    form shown again with its errors, so htmx swaps it in and browsers log no failure."""
    return render(request, "dashboards/filter_error.html", {**context, "title": title})


def _improve_first(filters: MeasurementFilter):
    """The driver to improve first, for the overview's headline (None with too few answers):
    the drivers page's first priority, from the same model, without the bootstrap of the
    shares that only the drivers page shows."""
    try:
        report = driver_report(filters, share_intervals=False)
    except ValueError:
        # The data cannot carry a driver analysis (a driver whose answers never vary);
        # the drivers page says why, the overview just goes without the headline.
        return None
    return report.priorities[0] if report and report.priorities else None


def overview(request: HttpRequest, org: str) -> HttpResponse:
    # A new organisation: what to do next above the (empty) page (issue 22).
    steps = None if first_steps.has_measurements() else first_steps.first_steps(request)
    context = _filter_context(request, channel=True, unit=True)
    filters: PageFilters = context["filters"]
    if filters.error:
        return _refused(request, context, request.organisation.name)
    current, window = filters.current, filters.window
    # Every figure on the page covers the same days: the window of the filters.
    first, last = window.start, min(window.last_day, filters.today)
    months, rows = counts_per_channel_and_month(
        since=first, until=last, channel=current.channel, unit=current.unit
    )
    trend = monthly_grades(since=first, until=last, channel=current.channel, unit=current.unit)
    comparison = filters.comparison
    kpis = channel_kpis(current)
    # Imported answers converted from another scale (1–5 → 1–10 …) in the figures' days.
    converted = conversions_in(
        MeasurementFilter(
            since=first, until=last, channel=current.channel, unit=current.unit, instrument=SURVEY
        )
    )
    return render(
        request,
        "dashboards/overview.html",
        {
            **context,
            "converted": converted,
            "steps": steps,
            "changes": channel_changes(comparison.current, comparison.previous),
            "previous": filters.compared_with,
            "trend": trend,
            "trend_rows": figures.trend_rows(trend, today=filters.today, first=first, last=last),
            "trend_spec": figures.grade_trend(trend, today=filters.today, first=first, last=last),
            "kpis": kpis,
            "weighting": weighted_overview(current) if kpis else None,
            "weighting_explanation": EXPLANATION,
            # Each row's n links to the customer-survey responses behind its grade.
            "kpi_links": {
                k.kind: drilldown_url(
                    org,
                    dataclasses.replace(current, channel=k.kind or current.channel),
                    instrument=SURVEY,
                    answered=TARGET,
                )
                for k in kpis
            },
            "min_n": MIN_N,
            "first": _improve_first(current),
            "driver_labels": dict(Driver.choices),
            "benchmark": _sector_callout(filters),
            "months": months,
            "rows": rows,
            "total": sum(row["total"] for row in rows),
            "column_totals": [sum(col) for col in zip(*(r["counts"] for r in rows), strict=True)]
            if rows
            else [],
        },
    )


def measurement_list(request: HttpRequest, org: str) -> HttpResponse:
    """The measurements behind a figure: the page's filters plus instrument and method.

    Every KPI on the overview, drivers and reachability pages links here with its own
    filters, so the n beside a figure is the count at the top of this list.
    """
    context = _filter_context(request, channel=True, unit=True)
    filters = context["filters"]
    narrow, problems = drilldown_narrowing(request)
    page = None
    if not filters.error and not problems:
        chosen = dataclasses.replace(
            filters.current, instrument=narrow["instrument"], method=narrow["method"]
        )
        base = measurements.filtered_measurements(
            chosen, base=measurements.individual_measurements()
        )
        queryset = (
            narrowed(base, narrow)
            .select_related("channel", "unit", "instrument_version__instrument")
            .order_by("-occurred_at", "-pk")
        )
        page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    kept = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "dashboards/measurement_list.html",
        {
            **context,
            "page": page,
            "problems": problems,
            "narrowing": described(narrow) if not problems else [],
            "hidden_filters": [(k, v) for k, v in narrow.items() if v],
            "unnarrowed": urlencode(
                {k: v for k in ("period", "channel", "unit") if (v := request.GET.get(k))}
            ),
            "query": urlencode(kept),
        },
    )


def measurement_detail(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    measurement = measurements.measurement_by_id(pk=pk)
    return render(
        request,
        "dashboards/measurement_detail.html",
        {"measurement": measurement, "answers": measurements.answers_of(measurement=measurement)},
    )


def _on_the_grid(filters: PageFilters) -> MeasurementFilter:
    """The page's filters as the benchmark reads them: without a typed period the
    benchmark's own default (the latest complete quarter), not the twelve-month window,
    which no grid cell covers."""
    if filters.typed.get("period"):
        return filters.current
    return dataclasses.replace(filters.current, since=None, until=None)


def _sector_callout(filters: PageFilters) -> dict:
    """The overview's sector sentence: the filters' grid cell (all channels or the one
    channel), its band and the reason when it is not shown."""
    comparison = sector_grade_benchmarks(_on_the_grid(filters), per_channel=False)
    row = figures.sector_table(comparison.rows)[0] if comparison.rows else None
    return {"comparison": comparison, "row": row, **disclosure_context()}


def benchmark_page(request: HttpRequest, org: str) -> HttpResponse:
    """The organisation's overall grade within its sector, per channel, on the fixed
    grid and under the disclosure rules of ``metrics.disclosure``."""
    context = _filter_context(request)
    if context["filters"].error:
        return _refused(request, context, _("Your place in the sector"))
    comparison = sector_grade_benchmarks(_on_the_grid(context["filters"]))
    shown = figures.positioned(comparison.rows)
    return render(
        request,
        "dashboards/benchmark.html",
        {
            **context,
            "comparison": comparison,
            "rows": figures.sector_table(comparison.rows),
            "shown": shown,
            "spec": figures.sector_position(shown),
            **disclosure_context(),
        },
    )


def employees(request: HttpRequest, org: str) -> HttpResponse:
    """Employee results beside customer results per unit, and how the two move together."""
    context = _filter_context(request)
    if context["filters"].error:
        return _refused(request, context, _("Employees and customers"))
    return render(
        request,
        "dashboards/employees.html",
        {
            **context,
            "link": employee_customer_link(context["filters"].current),
            "minimum": MIN_GROUP,
        },
    )


def drivers(request: HttpRequest, org: str) -> HttpResponse:
    """What to improve first: key drivers of the overall grade, ranked into actions."""
    context = _filter_context(request, channel=True, unit=True)
    if context["filters"].error:
        return _refused(request, context, _("What to improve first"))
    error = None
    report = None
    try:
        report = driver_report(context["filters"].current)
    except ValueError as exc:
        error = str(exc)
    labels = dict(Driver.choices)
    return render(
        request,
        "dashboards/drivers.html",
        {
            **context,
            "report": report,
            "error": error,
            "labels": labels,
            "matrix": figures.priority_matrix(report, labels) if report else None,
            "advice": {label: figures.position_label(label) for label in figures.QUADRANTS},
            "minimum": MIN_RESPONSES,
            "drilldown": drilldown_url(
                org, context["filters"].current, instrument=SURVEY, answered=TARGET
            ),
        },
    )


def reachability_infographic(request: HttpRequest, org: str, fmt: str) -> HttpResponse:
    """The reachability page's figures as the one-page infographic (SVG or PNG)."""
    from klantpeil.analytics import infographic

    lang = request.GET.get("lang") or translation.get_language()[:2]
    filters = page_filters(request, channels=False)
    if fmt not in infographic.FORMATS or lang not in ("nl", "en") or filters.error:
        raise Http404
    kpis, _norms = reachability(filters.current)
    body = figures.reachability_infographic(
        kpis, organisation=request.organisation.name, period=filters.period, lang=lang, fmt=fmt
    )
    response = HttpResponse(body, content_type=infographic.MEDIA_TYPES[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="reachability.{fmt}"'
    return response


def reachability_page(request: HttpRequest, org: str) -> HttpResponse:
    """Telephone reachability from mystery calls against the organisation's norms."""
    context = _filter_context(request, unit=True)
    if context["filters"].error:
        return _refused(request, context, _("Telephone reachability"))
    current = context["filters"].current
    kpis, norms = reachability(current)
    query = {k: v for k, v in (("period", current.period), ("unit", current.unit)) if v}
    return render(
        request,
        "dashboards/reachability.html",
        {
            **context,
            "kpis": kpis,
            "norms": norms,
            "query": urlencode(query),
            "calls": kpis["technically_reachable_rate"].n,
            "drilldowns": {
                key: drilldown_url(
                    org, current, instrument=PHONE_PROTOCOL, **({base[0]: base[1]} if base else {})
                )
                for key, base in KPI_BASE.items()
            },
        },
    )
