"""Vega-Lite specification of the comments' sentiment trend. Plain module (no Django).

Drawn by the same vega packages and ``charts.js`` as the dashboards' charts,
with their Okabe–Ito colours and a shape per channel, in one legend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from klantpeil.dashboards.charts import (
    MONTH_TOOLTIP,
    MONTHS,
    channel_scales,
    trend_layers,
    trend_points,
)


def mood_trend(points: Sequence[dict[str, Any]], *, titles: dict[str, str]) -> dict:
    """Mean mood (1 negative … 3 positive) of the comments per month and channel.

    ``points``: ``{"month": "2026-09-01", "channel": .., "mood": .., "n": ..,
    "negative": .., "positive": .., "status": .., "note": ..}``; ``titles``: axis and
    legend words. As in the grade trend, the running month, a month partly in the
    period and a month below the minimum n are hollow points, not joined into the line.
    """
    channel, shape = channel_scales(titles["channel"], points)
    values = trend_points(points, "mood")
    y = {
        "field": "mood",
        "type": "quantitative",
        "title": titles["mood"],
        "scale": {"domain": [1, 3]},
        "axis": {"format": ".1f", "values": [1, 1.5, 2, 2.5, 3]},
    }
    tooltip = [
        {"field": "channel", "title": titles["channel"]},
        # Titled, or screen readers hear "month (year-month)" for every point.
        {**MONTH_TOOLTIP, "title": titles.get("month", "Month")},
        {"field": "mood", "title": titles["mood"], "format": ".2f"},
        {"field": "negative", "title": titles["negative"], "format": ",d"},
        {"field": "positive", "title": titles["positive"], "format": ",d"},
        {"field": "n", "title": "n", "format": ",d"},
        {"field": "note", "title": titles.get("note", "")},
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 240,
        "data": {"values": values},
        "encoding": {"x": MONTHS, "color": channel},
        "layer": trend_layers(y, shape, tooltip, values),
    }
