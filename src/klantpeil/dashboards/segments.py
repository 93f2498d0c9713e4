"""The segment comparison page: one KPI per unit, channel, month or quarter side by side,
each tested against the rest of the organisation (Holm-corrected)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.analytics.segments import DIMENSIONS, segment_comparison
from klantpeil.dashboards.filters import own_channels, page_filters
from klantpeil.dashboards.segment_charts import segment_chart
from klantpeil.metrics import stats
from klantpeil.metrics.segments import KPI_QUESTIONS, SegmentComparison
from klantpeil.organisations.models import Unit

DIMENSION_LABELS = {
    "unit": gettext_lazy("Unit (team)"),
    "channel": gettext_lazy("Channel"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
}
KPI_LABELS = {
    "grade": gettext_lazy("Overall grade (1–10)"),
    "nps": gettext_lazy("NPS (−100 to 100)"),
    "ces": gettext_lazy("Ease (CES 1–7)"),
    "fcr": gettext_lazy("Solved in one contact (%)"),
}
# How each KPI is drawn: its scale and digits (a share is drawn in percent).
KPI_DRAWING = {
    "grade": (stats.GRADE_SCALE, 1, 1),
    "nps": (stats.NPS_SCALE, 0, 1),
    "ces": (stats.CES_SCALE, 1, 1),
    "fcr": ((0.0, 100.0), 0, 100),
}


def verdict_words() -> dict[str, str]:
    return {
        "higher": _("higher than the rest"),
        "lower": _("lower than the rest"),
        "no_difference": _("no proven difference"),
        "not_tested": _("not tested: fewer than 30 responses"),
        "too_few": _("too few responses"),
    }


def _choice(request: HttpRequest, name: str, allowed, default: str) -> tuple[str, str]:
    """The typed choice and its problem ("" when it is one of ``allowed``)."""
    value = (request.GET.get(name) or "").strip() or default
    return value, "" if value in allowed else value


def _choices(labels: dict) -> str:
    """The choices as a reader says them, each with the value a link or script types."""
    return "; ".join(f"{label} ({key})" for key, label in labels.items())


def chart_points(comparison: SegmentComparison, factor: float) -> list[dict]:
    """The segments the table shows a figure for (not below the minimum group and, for a
    mean or NPS, not with an interval too wide to read), in the chart's units."""
    words = verdict_words()
    share = factor != 1  # shares are shown as percentages with their bounds, never hidden
    return [
        {
            "segment": s.label,
            "value": s.estimate.value * factor,
            "low": s.estimate.ci_low * factor if s.estimate.ci_low is not None else None,
            "high": s.estimate.ci_high * factor if s.estimate.ci_high is not None else None,
            "n": s.n,
            "verdict": s.verdict,
            "verdict_label": words[s.verdict],
        }
        for s in comparison.segments
        if s.estimate is not None
        and s.estimate.value is not None
        and (share or not s.estimate.too_wide)
    ]


def segments_page(request: HttpRequest, org: str) -> HttpResponse:
    filters = page_filters(request, channels=True, units=True)
    dimension, bad_dimension = _choice(request, "dimension", DIMENSIONS, "unit")
    kpi, bad_kpi = _choice(request, "kpi", KPI_QUESTIONS, "grade")
    errors = {}
    if bad_dimension:
        errors["dimension"] = _("Compare by: %(value)s is not one of %(choices)s.") % {
            "value": bad_dimension,
            "choices": _choices(DIMENSION_LABELS),
        }
    if bad_kpi:
        errors["kpi"] = _("Figure: %(value)s is not one of %(choices)s.") % {
            "value": bad_kpi,
            "choices": _choices(KPI_LABELS),
        }
    context = {
        "filters": filters,
        "with_channel": True,
        "with_unit": True,
        "channel_choices": own_channels(),
        "unit_choices": Unit.objects.order_by("name"),
        "dimension": dimension,
        "kpi": kpi,
        "dimensions": list(DIMENSION_LABELS.items()),
        "kpis": list(KPI_LABELS.items()),
        "choice_errors": errors,
        "hidden_filters": [("dimension", dimension), ("kpi", kpi)],
        "kept_filters": [
            (k, v) for k, v in filters.typed.items() if v and k in ("period", "channel", "unit")
        ],
        "min_n": stats.MIN_N,
    }
    if filters.error or errors:
        return render(request, "dashboards/segments.html", {**context, "refused": True})
    comparison = segment_comparison(filters.current, dimension=dimension, kpi=kpi)
    scale, digits, factor = KPI_DRAWING[kpi]
    words = verdict_words()
    spec = segment_chart(
        chart_points(comparison, factor),
        overall=comparison.overall.value * factor if comparison.overall.value is not None else None,
        scale=scale,
        digits=digits,
        titles={
            "segment": str(DIMENSION_LABELS[dimension]),
            "value": str(KPI_LABELS[kpi]),
            "low": _("95% interval from"),
            "high": _("95% interval to"),
            "verdict": _("Against the rest"),
        },
        verdicts=words,
    )
    return render(
        request,
        "dashboards/segments.html",
        {
            **context,
            "comparison": comparison,
            "spec": spec,
            "digits": digits,
            "percent": kpi == "fcr",
            "verdicts": words,
            "min_group": comparison.min_group,
            "kpi_label": KPI_LABELS[kpi],
            "dimension_label": DIMENSION_LABELS[dimension],
            "api_query": urlencode(
                {"dimension": dimension, "kpi": kpi, **dict(context["kept_filters"])}
            ),
        },
    )
