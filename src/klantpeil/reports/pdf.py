"""The report as a multi-page PDF: HTML and CSS laid out by WeasyPrint, charts drawn
offline, so the file looks the same on every machine and needs no browser.

Charts go in as PNG at print resolution: WeasyPrint draws SVG images node by node,
which took most of a report's time (1.3 of 3.5 s); the tables beside them keep every
figure as text."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import translation

from klantpeil.analytics.selectors import MIN_RESPONSES
from klantpeil.dashboards import figures
from klantpeil.reports import charts
from klantpeil.reports.content import ReportData
from klantpeil.textanalysis.models import Sentiment

PRINT_SCALE = 2.5  # 620 px across 17 cm of paper: about 230 dpi


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _chart(spec: dict, lang: str) -> str:
    return _data_uri(charts.png(spec, lang=lang, scale=PRINT_SCALE))


def render(data: ReportData) -> bytes:
    """The PDF of ``data`` in ``data.lang``."""
    import weasyprint  # heavy (Pango, fonts): loaded only when a PDF is made

    with translation.override(data.lang):
        shown = figures.positioned(data.benchmarks.rows)
        context = {
            "data": data,
            "minimum": MIN_RESPONSES,
            "sector_rows": figures.sector_table(data.benchmarks.rows),
            **figures.disclosure_context(),
            "positions": {q: figures.position_label(q) for q in figures.QUADRANTS},
            "sentiments": dict(Sentiment.choices),
            "trend_chart": _chart(
                figures.grade_trend(data.trend, first=data.trend_since, last=data.trend_until),
                data.lang,
            )
            if data.trend
            else None,
            "matrix_chart": _chart(
                figures.priority_matrix(data.drivers, data.driver_labels), data.lang
            )
            if data.drivers
            else None,
            "benchmark_chart": _chart(figures.sector_position(shown), data.lang) if shown else None,
            "infographic": _data_uri(
                figures.reachability_infographic(
                    data.reachability,
                    organisation=data.organisation,
                    period=data.period.label,
                    lang=data.lang,
                    fmt="png",
                )
            )
            if data.reachability
            else None,
        }
        html = render_to_string("reports/document.html", context)
    return weasyprint.HTML(string=html).write_pdf()
