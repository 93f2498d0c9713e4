"""The report as a multi-page PDF: HTML and CSS laid out by WeasyPrint, charts drawn
offline as SVG, so the file looks the same on every machine and needs no browser."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import translation

from klantpeil.analytics.benchmarks import MIN_ORGANISATIONS
from klantpeil.analytics.selectors import MIN_RESPONSES
from klantpeil.dashboards import figures
from klantpeil.reports import charts
from klantpeil.reports.content import ReportData


def _data_uri(svg: str | bytes) -> str:
    raw = svg.encode() if isinstance(svg, str) else svg
    return "data:image/svg+xml;base64," + base64.b64encode(raw).decode()


def render(data: ReportData) -> bytes:
    """The PDF of ``data`` in ``data.lang``."""
    import weasyprint  # heavy (Pango, fonts): loaded only when a PDF is made

    with translation.override(data.lang):
        shown = [(label, b) for label, b in data.benchmarks if b is not None and b.own is not None]
        context = {
            "data": data,
            "minimum": MIN_RESPONSES,
            "organisations": MIN_ORGANISATIONS,
            "positions": {q: figures.position_label(q) for q in figures.QUADRANTS},
            "trend_svg": _data_uri(charts.svg(figures.grade_trend(data.trend), lang=data.lang))
            if data.trend
            else None,
            "matrix_svg": _data_uri(
                charts.svg(
                    figures.priority_matrix(data.drivers, data.driver_labels), lang=data.lang
                )
            )
            if data.drivers
            else None,
            "benchmark_svg": _data_uri(charts.svg(figures.sector_position(shown), lang=data.lang))
            if shown
            else None,
            "infographic_svg": _data_uri(
                figures.reachability_infographic(
                    data.reachability,
                    organisation=data.organisation,
                    period=data.period.label,
                    lang=data.lang,
                    fmt="svg",
                )
            )
            if data.reachability
            else None,
        }
        html = render_to_string("reports/document.html", context)
    return weasyprint.HTML(string=html).write_pdf()
