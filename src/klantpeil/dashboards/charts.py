"""Vega-Lite specifications of the dashboards' charts. Plain module (no Django).

The browser renders them with the vega packages that ship in the project's
static files; numbers and dates are formatted by the page's locale (charts.js).
Each channel has one colour and one point shape of its own, chosen by its key (not its
translated name), so phone is the same blue in Dutch and English and in every chart.
The colours start from Okabe–Ito and were picked to stay apart under protanopia,
deuteranopia and tritanopia (simulated; smallest CIELAB distance 17) while keeping at
least 3:1 contrast against white (WCAG 1.4.11); the shape is a second cue, and every
chart has a table with the same figures beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from klantpeil.metrics.stats import MIN_N

# Channel key → (colour, shape); the comment gives the colour's contrast on white.
CHANNEL_STYLE = {
    "phone": ("#0072B2", "circle"),  # 5.2:1
    "email": ("#D55E00", "square"),  # 3.9:1
    "chat": ("#009E73", "triangle-up"),  # 3.4:1
    "social": ("#9500FF", "diamond"),  # 5.6:1
    "counter": ("#1B1F24", "cross"),  # 16.6:1
    "letter": ("#703F1C", "triangle-down"),  # 8.7:1
    "messaging": ("#990066", "triangle-right"),  # 8.3:1
    "web": ("#5C2EB8", "triangle-left"),  # 8.3:1
}
OTHER_STYLE = ("#4A5560", "circle")  # a series without a known channel
# The colours in order, for charts whose series are not channels.
OKABE_ITO = [colour for colour, _ in CHANNEL_STYLE.values()]
SHAPES = [shape for _, shape in CHANNEL_STYLE.values()]


def channel_scales(title: str, points: Sequence[dict[str, Any]] = ()) -> tuple[dict, dict]:
    """Colour and shape for a series per channel: given both with the same title, Vega-Lite
    draws one legend with both cues, so a channel never depends on colour alone.

    ``points`` carry ``channel`` (the label shown) and ``channel_key``; each label gets its
    channel's own colour and shape, whatever the language and whichever channels the
    chart shows."""
    labels: dict[str, str] = {}
    for p in points:
        labels.setdefault(p["channel"], p.get("channel_key") or "")
    order = list(CHANNEL_STYLE)
    domain = sorted(
        labels,
        key=lambda lbl: (order.index(labels[lbl]) if labels[lbl] in order else len(order), lbl),
    )
    styles = [CHANNEL_STYLE.get(labels[lbl], OTHER_STYLE) for lbl in domain]
    colour_scale = (
        {"domain": domain, "range": [c for c, _ in styles]} if domain else {"range": OKABE_ITO}
    )
    shape_scale = (
        {"domain": domain, "range": [s for _, s in styles]} if domain else {"range": SHAPES}
    )
    colour = {"field": "channel", "type": "nominal", "title": title, "scale": colour_scale}
    shape = {"field": "channel", "type": "nominal", "title": title, "scale": shape_scale}
    return colour, shape


MONTHS = {
    "field": "month",
    "type": "temporal",
    "timeUnit": "yearmonth",
    "title": None,
    "axis": {"format": "%b %Y", "labelAngle": 0, "tickCount": 6, "labelOverlap": True},
}
MONTH_TOOLTIP = {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "format": "%B %Y"}
LINE_WITH_POINTS = {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 55}}


def month_status(
    month: date, n: int, *, today: date, first: date | None = None, last: date | None = None
) -> str:
    """How honest it is to join a month's point into a trend line.

    ``"running"``: the month is not over (``today`` falls in it) or the shown days
    cover only part of it (``first``/``last``, a range of days); ``"small"``: fewer
    than ``MIN_N`` answers; ``""``: a complete month with enough answers. Only the
    last kind is joined into the line; the others are drawn as hollow points."""
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    if month <= today < following:
        return "running"
    if (first and first > month) or (last and last < following - timedelta(days=1)):
        return "partial"
    if n < MIN_N:
        return "small"
    return ""


def trend_points(points: Sequence[dict[str, Any]], value: str) -> list[dict[str, Any]]:
    """``points`` with ``line`` (the value where the point is joined into the line, else
    None, which breaks the line) and ``joined`` (bool), from each point's ``status``."""
    return [
        {**p, "line": p[value] if not p.get("status") else None, "joined": not p.get("status")}
        for p in points
    ]


def trend_layers(
    y: dict, shape: dict, tooltip: list[dict], points: Sequence[dict[str, Any]]
) -> list[dict]:
    """The layers of a trend per channel: a line through the complete months with
    enough answers, filled points on it, and hollow points (not joined) for a running
    or partly shown month and for months below the minimum n, "so far" in the tooltip.

    ``points`` as :func:`trend_points` gives them: a layer without points is left out
    (Vega would draw an empty, unlabelled image group that screen readers announce)."""
    joined = any(p["joined"] for p in points)
    apart = any(not p["joined"] for p in points)
    line_y = {**y, "field": "line"}
    layers = []
    if joined:
        layers += [
            # The line only joins the points, which carry the figures (and the table
            # beside the chart): hidden from assistive technology.
            {"mark": {"type": "line", "strokeWidth": 2, "aria": False}, "encoding": {"y": line_y}},
            {
                "transform": [{"filter": {"field": "joined", "equal": True}}],
                "mark": {"type": "point", "filled": True, "size": 55, "opacity": 1},
                "encoding": {"y": y, "shape": shape, "tooltip": tooltip},
            },
        ]
    if apart:
        layers.append(
            {
                "transform": [{"filter": {"field": "joined", "equal": False}}],
                "mark": {"type": "point", "filled": False, "size": 70, "strokeWidth": 2},
                "encoding": {"y": y, "shape": shape, "tooltip": tooltip},
            }
        )
    return layers


def grade_trend(points: Sequence[dict[str, Any]], *, titles: dict[str, str]) -> dict:
    """The overall grade per month and channel, with each month's 95% interval.

    ``points``: ``{"month": "2026-09-01", "channel": .., "grade": .., "low": ..,
    "high": .., "n": .., "status": .., "note": ..}`` (``status`` from
    :func:`month_status`, ``note`` its words for the tooltip); ``titles``: the axis and
    legend words in the page's language.
    """
    channel, shape = channel_scales(titles["channel"], points)
    values = trend_points(points, "grade")
    x = MONTHS
    tooltip = [
        {"field": "channel", "title": titles["channel"]},
        # Titled, or screen readers hear "month (year-month)" for every point.
        {**MONTH_TOOLTIP, "title": titles.get("month", "Month")},
        {"field": "grade", "title": titles["grade"], "format": ".1f"},
        {"field": "low", "title": titles["low"], "format": ".1f"},
        {"field": "high", "title": titles["high"], "format": ".1f"},
        {"field": "n", "title": "n", "format": ",d"},
        {"field": "note", "title": titles.get("note", "")},
    ]
    y = {
        "field": "grade",
        "type": "quantitative",
        "title": titles["grade"],
        # Grades run from 1 to 10; a small month's interval is cut off there.
        "scale": {"domain": [1, 10], "clamp": True},
        "axis": {"format": ".1f"},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": 260,
        "data": {"values": values},
        # Colour at the top and shape on the point markers: Vega-Lite draws one
        # legend with both cues, so a channel never depends on colour alone.
        "encoding": {"x": x, "color": channel},
        "layer": [
            {
                "mark": {"type": "rule", "opacity": 0.45},
                "encoding": {
                    "y": {"field": "low", "type": "quantitative", "title": titles["grade"]},
                    "y2": {"field": "high"},
                },
            },
            *trend_layers(y, shape, tooltip, values),
        ],
        "config": {"font": "system-ui, sans-serif", "legend": {"orient": "bottom"}},
    }


LABEL_HEIGHT_PX = 15  # one line of 12 px text and a little air
LABEL_CHAR_PX = 7.2  # a generous average glyph width at 12 px
NARROWEST_PX = 460  # the narrowest the chart is drawn (a phone); overlaps are checked there


def _label_rows(points: Sequence[dict[str, Any]], x_domain, y_domain, height: float) -> list[float]:
    """A y (in data units) for each point's label so that no two labels overlap.

    Each label starts level with its point and, when its box would cover a label placed
    before it (in priority order), moves down a line at a time (up when it would leave
    the chart). Boxes are measured at the narrowest width the chart is drawn, so on
    wider screens the labels only stand further apart.
    """
    (x0, x1), (y0, y1) = x_domain, y_domain
    per_px_y = (y1 - y0) / height
    placed: list[tuple[float, float, float]] = []  # left, right, y in px from the bottom
    result = []
    for point in points:
        left = (point["performance"] - x0) / (x1 - x0) * NARROWEST_PX + 9
        right = left + LABEL_CHAR_PX * len(point["label"])
        y = (point["gain"] - y0) / per_px_y
        candidates = [
            y + k * step for k in range(0, 40) for step in (-LABEL_HEIGHT_PX, LABEL_HEIGHT_PX)
        ]
        for candidate in [y, *candidates]:
            inside = LABEL_HEIGHT_PX / 2 <= candidate <= height - LABEL_HEIGHT_PX / 2
            clear = all(
                right <= other_left
                or left >= other_right
                or abs(candidate - other_y) >= LABEL_HEIGHT_PX
                for other_left, other_right, other_y in placed
            )
            if inside and clear:
                y = candidate
                break
        placed.append((left, right, y))
        result.append(y0 + y * per_px_y)
    return result


def priority_matrix(points: Sequence[dict[str, Any]], *, titles: dict[str, str]) -> dict:
    """The one priority model drawn: each driver's expected gain in the overall grade
    (with its 95% interval) against its score now, coloured and shaped by its advice.

    ``points``: ``{"label": "1 Reliability", "driver": .., "performance": .., "gain": ..,
    "low": .., "high": .., "advice": .., "target": ..}`` in priority order; the label
    carries the priority number, so the chart reads with the table beside it. Labels
    are placed so that they never overlap (:func:`_label_rows`), also when two drivers
    score and gain alike.
    """
    height = 320
    scores = [p["performance"] for p in points] or [5.0]
    lows = [p["low"] for p in points] or [0.0]
    highs = [p["high"] for p in points] or [1.0]
    x_domain = [
        round(max(1.0, min(scores) - 0.3), 1),
        # Room on the right for the names of the drivers that score highest.
        round(min(10.0, max(scores) + 0.3) + 0.25 * (max(scores) - min(scores) + 0.6), 1),
    ]
    top = max(highs)
    y_domain = [min(0.0, min(lows)), top + 0.1 * max(top, 0.1)]
    rows = _label_rows(points, x_domain, y_domain, height)
    values = [{**p, "label_y": y} for p, y in zip(points, rows, strict=True)]
    x = {
        "field": "performance",
        "type": "quantitative",
        "title": titles["performance"],
        "scale": {"domain": x_domain, "nice": False, "zero": False},
        "axis": {"format": ".1f", "tickCount": 5, "tickMinStep": 0.1},
    }
    y = {
        "field": "gain",
        "type": "quantitative",
        "title": titles["gain"],
        "scale": {"domain": y_domain, "nice": False, "zero": False},
        "axis": {"format": ".2f"},
    }
    advice = {
        "field": "advice",
        "type": "nominal",
        "title": titles["advice"],
        "scale": {"range": OKABE_ITO},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": height,
        "data": {"values": values},
        "layer": [
            {
                "data": {"values": [{"gain": 0}]},
                "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#5f6b76"},
                "encoding": {"y": {"field": "gain", "type": "quantitative"}},
            },
            {
                "mark": {"type": "rule", "opacity": 0.55},
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "low"},
                    "y2": {"field": "high"},
                    "color": advice,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "size": 110},
                "encoding": {
                    "x": x,
                    "y": y,
                    "color": advice,
                    "shape": {**advice, "scale": {"range": SHAPES}},
                    "tooltip": [
                        {"field": "driver", "title": titles["driver"]},
                        {"field": "gain", "title": titles["gain"], "format": ".2f"},
                        {"field": "low", "title": titles["low"], "format": ".2f"},
                        {"field": "high", "title": titles["high"], "format": ".2f"},
                        {"field": "performance", "title": titles["performance"], "format": ".1f"},
                        {"field": "target", "title": titles["target"], "format": ".1f"},
                        {"field": "advice", "title": titles["advice"]},
                    ],
                },
            },
            {
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "middle",
                    "dx": 9,
                    "fontSize": 12,
                    # Placed where it collides with no other label, not at the gain: the
                    # point carries the figures for screen readers.
                    "aria": False,
                },
                "encoding": {
                    "x": x,
                    "y": {**y, "field": "label_y"},
                    "text": {"field": "label"},
                },
            },
        ],
        "config": {"font": "system-ui, sans-serif", "legend": {"orient": "bottom"}},
    }


def sector_position(rows: Sequence[dict[str, Any]], *, titles: dict[str, str]) -> dict:
    """Per row (a channel), the sector's middle half (quartiles) as a bar, its median as
    a tick and the organisation's own figure as a point: never a peer's own figure.

    ``rows``: ``{"row": .., "q1": .., "median": .., "q3": .., "own": ..}``.
    """
    y = {"field": "row", "type": "nominal", "title": None, "sort": None}
    x = {
        "type": "quantitative",
        "title": titles["grade"],
        "scale": {"zero": False, "nice": True},
        "axis": {"format": ".1f"},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container",
        "height": {"step": 34},
        "data": {"values": list(rows)},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "height": 14, "color": "#cfd8e3"},
                "encoding": {"x": {**x, "field": "q1"}, "x2": {"field": "q3"}},
            },
            {
                "mark": {"type": "tick", "thickness": 3, "size": 20, "color": "#5f6b76"},
                "encoding": {"x": {**x, "field": "median"}},
            },
            {
                "mark": {"type": "point", "filled": True, "size": 140, "shape": "diamond"},
                "encoding": {
                    "x": {**x, "field": "own"},
                    "color": {"value": "#0072B2"},
                    "tooltip": [
                        {"field": "row", "title": titles["row"]},
                        {"field": "own", "title": titles["own"], "format": ".1f"},
                        {"field": "median", "title": titles["median"], "format": ".1f"},
                        {"field": "q1", "title": titles["q1"], "format": ".1f"},
                        {"field": "q3", "title": titles["q3"], "format": ".1f"},
                    ],
                },
            },
        ],
        "config": {"font": "system-ui, sans-serif"},
    }
