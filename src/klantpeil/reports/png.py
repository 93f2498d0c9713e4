"""The report as one picture (PNG) for a slide or an e-mail: the key charts stacked
under a title, drawn offline with the same specifications as the app."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from klantpeil.core.numbers import decimal
from klantpeil.dashboards import figures
from klantpeil.reports import charts
from klantpeil.reports.content import ReportData

WIDTH = 900


def _titled(spec: dict, title: str) -> dict:
    part = {k: v for k, v in spec.items() if k not in ("$schema", "config")}
    part["title"] = {"text": title, "anchor": "start", "fontSize": 14}
    part["width"] = WIDTH
    return part


def render(data: ReportData) -> bytes:
    """One PNG: the grade trend, the priority matrix and the sector position."""
    with translation.override(data.lang):
        parts = []
        if data.trend:
            parts.append(
                _titled(
                    figures.grade_trend(data.trend, first=data.trend_since, last=data.trend_until),
                    _("Overall grade per channel and month"),
                )
            )
        if data.drivers:
            parts.append(
                _titled(
                    figures.priority_matrix(data.drivers, data.driver_labels),
                    _("What to improve first"),
                )
            )
        shown = figures.positioned(data.benchmarks.rows)
        if shown:
            parts.append(_titled(figures.sector_position(shown), _("Your place in the sector")))
        grade = data.overall.grade
        heading = f"{data.organisation} · {data.period.label}"
        if grade.value is not None and not grade.below_minimum_group:
            heading += " · " + _("overall grade %(grade)s (n = %(n)s)") % {
                "grade": decimal(grade.value),
                "n": decimal(grade.n, 0),
            }
        spec = {
            "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "title": {"text": heading, "anchor": "start", "fontSize": 18},
            "vconcat": parts or [{"mark": "text", "data": {"values": [{}]}}],
            "spacing": 36,
            "resolve": {"scale": {"color": "independent", "shape": "independent"}},
            "config": {"legend": {"orient": "bottom"}},
        }
        return charts.png(spec, lang=data.lang, width=WIDTH)
