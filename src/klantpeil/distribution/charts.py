"""Vega-Lite specification of the invitation funnel. Plain module (no Django).

One horizontal bar per step, in the funnel's order: the main path (made → completed)
in the dashboards' first colour, side outcomes in grey, so the eye follows the path and
the losses read as such. The table beside it carries the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from klantpeil.dashboards.charts import OKABE_ITO

SIDE_COLOUR = "#5f6b76"  # 5.6:1 on white


def funnel_chart(rows: Sequence[dict[str, Any]], *, titles: dict[str, str]) -> dict:
    """``rows``: ``{"step": label, "count": n, "share": 0..1 | None, "main": bool}``."""
    values = [
        {**r, "path": titles["main"] if r["main"] else titles["side"], "order": i}
        for i, r in enumerate(rows)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": {"step": 26},
        "data": {"values": values},
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "y": {
                "field": "step",
                "type": "nominal",
                "title": None,
                "sort": {"field": "order"},
                "axis": {"labelLimit": 320},
            },
            "x": {"field": "count", "type": "quantitative", "title": titles["count"]},
            "color": {
                "field": "path",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": [titles["main"], titles["side"]],
                    "range": [OKABE_ITO[0], SIDE_COLOUR],
                },
                "legend": {"orient": "bottom"},
            },
            "tooltip": [
                {"field": "step", "title": titles["step"]},
                {"field": "count", "title": titles["count"], "format": ","},
                {"field": "share", "title": titles["share"], "format": ".0%"},
            ],
        },
        "config": {"font": "system-ui, sans-serif"},
    }
