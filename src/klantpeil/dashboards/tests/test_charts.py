"""Chart specifications: each channel keeps its colour and shape in every language."""

from klantpeil.dashboards import charts
from klantpeil.textanalysis.charts import mood_trend

TITLES = {"channel": "Channel", "grade": "Grade", "low": "from", "high": "to"}


def _point(key: str, label: str, month: str = "2026-09-01") -> dict:
    return {"month": month, "channel": label, "channel_key": key, "grade": 7.0, "low": 6.5,
            "high": 7.5, "n": 40, "status": "", "note": ""}  # fmt: skip


def _find(node, key: str):
    """The first value of ``key`` anywhere inside a spec's nested layers."""
    if isinstance(node, dict):
        if key in node and isinstance(node[key], dict) and "scale" in node[key]:
            return node[key]
        for value in node.values():
            found = _find(value, key)
            if found is not None:
                return found
    if isinstance(node, list):
        for value in node:
            found = _find(value, key)
            if found is not None:
                return found
    return None


def _scale(spec: dict, channel: str) -> dict:
    colour = _find(spec, "color")["scale"]
    shape = next(
        found for found in (_find(layer, "shape") for layer in spec["layer"]) if found is not None
    )
    styles = dict(zip(colour["domain"], colour["range"], strict=True))
    shapes = dict(zip(shape["scale"]["domain"], shape["scale"]["range"], strict=True))
    return {"colour": styles[channel], "shape": shapes[channel]}


def test_a_channel_has_the_same_colour_and_shape_in_dutch_and_english():
    dutch = charts.grade_trend(
        [_point("email", "E-mail"), _point("phone", "Telefoon")], titles=TITLES
    )
    english = charts.grade_trend(
        [_point("phone", "Phone"), _point("email", "E-mail")], titles=TITLES
    )
    assert _scale(dutch, "Telefoon") == _scale(english, "Phone")
    assert _scale(dutch, "Telefoon") == {"colour": "#0072B2", "shape": "circle"}
    # Alphabetical order would give e-mail the first colour; the key keeps it its own.
    assert _scale(english, "E-mail") == {"colour": "#D55E00", "shape": "square"}


def test_a_channel_alone_keeps_its_colour_and_the_mood_chart_uses_the_same():
    alone = charts.grade_trend([_point("counter", "Balie")], titles=TITLES)
    assert _scale(alone, "Balie") == {"colour": "#1B1F24", "shape": "cross"}
    mood = mood_trend(
        [{**_point("counter", "Counter"), "mood": 2.1, "negative": 3, "positive": 9}],
        titles={"channel": "Channel", "mood": "Mood", "negative": "-", "positive": "+"},
    )
    assert _scale(mood, "Counter") == {"colour": "#1B1F24", "shape": "cross"}


def test_every_channel_colour_reaches_three_to_one_on_white():
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for key, (colour, _shape) in charts.CHANNEL_STYLE.items():
        assert 1.05 / (luminance(colour) + 0.05) >= 3.0, key
    assert len({c for c, _ in charts.CHANNEL_STYLE.values()}) == len(charts.CHANNEL_STYLE)
