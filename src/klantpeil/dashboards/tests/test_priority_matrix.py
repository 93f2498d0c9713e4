"""The priority matrix's labels never overlap, in the browser's geometry and on paper."""

import re

import pytest

from klantpeil.dashboards import charts

TITLES = dict.fromkeys(("driver", "gain", "low", "high", "performance", "target", "advice"), "t")


def point(rank: int, name: str, score: float, gain: float) -> dict:
    return {
        "label": f"{rank} {name}",
        "driver": name,
        "performance": score,
        "target": score + 1,
        "gain": gain,
        "low": gain - 0.03,
        "high": gain + 0.03,
        "advice": "Concentrate here",
    }


# Customer focus and customer knowledge scoring and gaining alike, as at De Linde.
ALIKE = [
    point(1, "Reliability", 7.76, 0.33),
    point(2, "Empathy", 7.74, 0.24),
    point(3, "Customer focus", 7.76, 0.15),
    point(4, "Customer knowledge", 7.75, 0.15),
    point(5, "Waiting time", 7.32, 0.07),
    point(6, "Accessibility", 7.77, 0.06),
    point(7, "IVR menu", 7.76, 0.06),
]


def boxes(values, x_domain, y_domain, height, width):
    (x0, x1), (y0, y1) = x_domain, y_domain
    for v in values:
        left = (v["performance"] - x0) / (x1 - x0) * width + 9
        y = (v["label_y"] - y0) / (y1 - y0) * height
        yield left, left + charts.LABEL_CHAR_PX * len(v["label"]), y


def overlapping(found) -> list[tuple]:
    found = list(found)
    return [
        (a, b)
        for i, a in enumerate(found)
        for b in found[i + 1 :]
        if not (a[1] <= b[0] or b[1] <= a[0]) and abs(a[2] - b[2]) < charts.LABEL_HEIGHT_PX
    ]


@pytest.mark.parametrize("width", [charts.NARROWEST_PX, 620, 900])
def test_labels_of_drivers_that_score_alike_stand_apart(width):
    spec = charts.priority_matrix(ALIKE, titles=TITLES)
    values = spec["data"]["values"]
    layer = spec["layer"][2]["encoding"]
    x_domain, y_domain = layer["x"]["scale"]["domain"], layer["y"]["scale"]["domain"]
    assert overlapping(boxes(values, x_domain, y_domain, spec["height"], width)) == []
    # A label that needed no room stays level with its point.
    assert values[0]["label_y"] == values[0]["gain"]
    # Every label stays inside the chart.
    assert all(y_domain[0] <= v["label_y"] <= y_domain[1] for v in values)


def test_on_paper_the_drawn_labels_do_not_overlap():
    """Drawn by vl-convert as for the PDF: the text marks' positions in the SVG."""
    from klantpeil.reports import charts as paper

    svg = paper.svg(charts.priority_matrix(ALIKE, titles=TITLES), lang="en")
    marks = re.findall(
        r'<text[^>]*transform="translate\(([\d.]+),([\d.]+)\)"[^>]*>(\d [^<]+)</text>', svg
    )
    assert len(marks) == len(ALIKE)
    drawn = [
        (float(x), float(x) + 6.5 * len(text), float(y))  # DejaVu Sans 12 px: under 6.5 px
        for x, y, text in marks
    ]
    assert overlapping(drawn) == []
