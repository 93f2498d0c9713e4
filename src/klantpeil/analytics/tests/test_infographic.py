"""The study infographic: what it says, in both languages, and that it is a real picture."""

from __future__ import annotations

import io

import pytest
from matplotlib.image import imread

from klantpeil.analytics.infographic import headline, render
from klantpeil.analytics.reachability import Norms, ReachabilityCounts, reachability_kpis

# 40 calls, hand-counted: 38 connected (95%, norm 99%: missed), 30 of 38 within 15 s
# (78.9%, norm 85%: missed), 12 transferred of which 2 back at the operator and 3 in
# voicemail, 4 callbacks promised of which 3 in time, 34 helped (85%, norm 90%: missed).
COUNTS = ReachabilityCounts(
    calls=40,
    connected=38,
    within_norm=30,
    transferred=12,
    transferred_to_operator=2,
    transferred_to_voicemail=3,
    callbacks_promised=4,
    callbacks_in_time=3,
    helped=34,
    answers_given=30,
    answers_correct=21,
    empathy_shown=19,
)
KPIS = reachability_kpis(COUNTS, Norms())


def test_the_headline_names_the_largest_shortfall():
    # Gaps: reachable 99−95 = 4 points, within norm 85−78.9 = 6.1, helped 90−85 = 5.
    assert headline(KPIS, "nl") == "Grootste tekort: Snel opgenomen (binnen norm) 79%, norm 85%"
    assert headline(KPIS, "en") == "Largest shortfall: Answered within the norm 79%, norm 85%"
    good = reachability_kpis(ReachabilityCounts(calls=10, connected=10, within_norm=10, helped=10))
    assert headline(good, "en") == "All norms met"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "nl",
            ["Technisch bereikbaar", "Beller geholpen", "norm 90%: ✗ niet gehaald", "40 contacten"],
        ),
        ("en", ["Technically reachable", "Caller helped", "norm 90%: ✗ not met", "40 contacts"]),
    ],
)
def test_the_svg_carries_the_figures_as_text(lang, expected):
    svg = render(KPIS, title="Gemeente Test", subtitle="september", lang=lang).decode()
    assert svg.startswith("<?xml")
    for text in [*expected, "Gemeente Test", "95%", "85%", "n = 38", "n = 12", "25%", "75%"]:
        assert text in svg, text
    assert "#d55e00" in svg.lower()  # shortfalls in vermillion, with ✗ beside the colour


def test_the_svg_is_the_same_every_time():
    assert render(KPIS, title="x") == render(KPIS, title="x")


def test_a_measurement_point_without_calls_shows_a_dash_and_says_so():
    empty = reachability_kpis(ReachabilityCounts(calls=5, connected=5, within_norm=5, helped=5))
    svg = render(empty, title="x", lang="en").decode()
    assert "no data" in svg and "–" in svg


def test_the_png_is_an_a4_landscape_picture():
    png = render(KPIS, title="x", fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(io.BytesIO(png))
    assert pixels.shape[1] == int(11.69 * 150)  # A4 wide at 150 dpi
    assert pixels.shape[0] == int((2.2 + 0.62 * 8) * 150)  # a row per measurement point


def test_unknown_language_or_format_is_refused():
    with pytest.raises(ValueError, match="language"):
        render(KPIS, title="x", lang="de")
    with pytest.raises(ValueError, match="format"):
        render(KPIS, title="x", fmt="pdf")
