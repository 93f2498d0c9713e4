"""The segment comparison's chart: each segment's figure with its 95% interval, a
line at the overall figure, and the verdict of the Holm-corrected test as colour and
shape (never colour alone). Plain module (no Django), like :mod:`charts`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from klantpeil.dashboards.charts import CHANNEL_STYLE, OTHER_STYLE

# Verdict → (colour, shape): the Okabe–Ito colours of charts.CHANNEL_STYLE, each with at
# least 3:1 contrast on white; higher and lower also point up and down.
VERDICT_STYLE = {
    "higher": (CHANNEL_STYLE["chat"][0], "triangle-up"),
    "lower": (CHANNEL_STYLE["email"][0], "triangle-down"),
    "no_difference": (CHANNEL_STYLE["phone"][0], "circle"),
    "not_tested": (OTHER_STYLE[0], "square"),
}


def segment_chart(
    points: Sequence[dict[str, Any]],
    *,
    overall: float | None,
    scale: tuple[float, float],
    titles: dict[str, str],
    verdicts: dict[str, str],
    digits: int = 1,
) -> dict:
    """Vega-Lite spec of ``points`` (``{"segment", "value", "low", "high", "n",
    "verdict", "verdict_label", "p"}``, in the table's order; segments below the
    minimum group are not among them: they have no figure to draw).

    ``verdicts``: verdict key → its words in the page's language (the legend).
    """
    fmt = f".{digits}f"
    present = [v for v in VERDICT_STYLE if any(p["verdict"] == v for p in points)]
    domain = [verdicts[v] for v in present]
    colour = {
        "field": "verdict_label",
        "type": "nominal",
        "title": titles["verdict"],
        "scale": {"domain": domain, "range": [VERDICT_STYLE[v][0] for v in present]},
    }
    shape = {**colour, "scale": {"domain": domain, "range": [VERDICT_STYLE[v][1] for v in present]}}
    y = {"field": "segment", "type": "nominal", "title": None, "sort": None}
    x = {
        "field": "value",
        "type": "quantitative",
        "title": titles["value"],
        "scale": {"domain": list(scale), "clamp": True, "nice": False},
        "axis": {"format": fmt},
    }
    layers: list[dict] = []
    if overall is not None:
        layers.append(
            {
                "data": {"values": [{"value": overall}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#5f6b76", "aria": False},
                "encoding": {"x": x},
            }
        )
    layers += [
        {
            # The interval: its bounds are in the tooltip and the table, so the rule
            # itself is hidden from assistive technology.
            "mark": {"type": "rule", "strokeWidth": 2, "opacity": 0.6, "aria": False},
            "encoding": {
                "y": y,
                "x": {**x, "field": "low"},
                "x2": {"field": "high"},
                "color": colour,
            },
        },
        {
            "mark": {"type": "point", "filled": True, "size": 120, "opacity": 1},
            "encoding": {
                "y": y,
                "x": x,
                "color": colour,
                "shape": shape,
                "tooltip": [
                    {"field": "segment", "title": titles["segment"]},
                    {"field": "value", "title": titles["value"], "format": fmt},
                    {"field": "low", "title": titles["low"], "format": fmt},
                    {"field": "high", "title": titles["high"], "format": fmt},
                    {"field": "n", "title": "n", "format": ",d"},
                    {"field": "verdict_label", "title": titles["verdict"]},
                ],
            },
        },
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": {"step": 30},
        "data": {"values": list(points)},
        "layer": layers,
        "config": {
            "font": "system-ui, sans-serif",
            # Whole labels: "not tested: fewer than 30 responses" is the point.
            "legend": {"orient": "bottom", "labelLimit": 400},
        },
    }
