"""The disclosure rules of sector benchmarks, each on constructed cells."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantpeil.metrics.disclosure import (
    DOMINANCE,
    NO_SAFE_PERTURBATION,
    NOISE_MAX,
    NOISE_MIN,
    OWN_TOO_FEW_RESPONSES,
    TOO_FEW_ORGANISATIONS,
    Contribution,
    Edges,
    GridPeriod,
    OffGrid,
    band,
    contributors,
    dominated,
    grid_period,
    interpolated,
    perturbed_edges,
    protected_cell,
    rests_on,
    round_to_step,
    safe_from_peers,
    sensitivity,
)

SECRET = b"test-secret"


def five(ns=(40, 40, 40, 40, 40), means=(3.0, 4.75, 5.85, 6.5, 7.0)):
    return [Contribution(f"o{i}", n, m) for i, (n, m) in enumerate(zip(ns, means, strict=True))]


def test_an_organisation_counts_only_with_thirty_responses():
    cell = five(ns=(29, 30, 31, 6, 120))
    assert [c.organisation for c in contributors(cell)] == ["o1", "o2", "o4"]
    assert sensitivity(contributors(cell)) == TOO_FEW_ORGANISATIONS


def test_five_organisations_is_the_threshold():
    assert sensitivity(five()[:4]) == TOO_FEW_ORGANISATIONS
    assert sensitivity(five()) is None


def test_dominance_one_organisation_over_half_of_the_responses():
    # 161 of 320 responses is 50.3%: dominated; 160 of 320 is exactly half: not.
    assert dominated(five(ns=(161, 40, 40, 40, 39)))
    assert sensitivity(five(ns=(161, 40, 40, 40, 39))) == DOMINANCE
    assert not dominated(five(ns=(160, 40, 40, 40, 40)))


@pytest.mark.parametrize(
    ("values", "expected", "ranks"),
    [
        # k = 4: h = 0.75, 1.5, 2.25 -> 5 + 0.75 x 1, (6 + 7) / 2, 7 + 0.25 x 2
        ([9.0, 5.0, 7.0, 6.0], (5.75, 6.5, 7.5), ((0, 1), (1, 2), (2, 3))),
        # k = 5: h = 1, 2, 3: exactly the 2nd, 3rd and 4th organisation's figure
        ([3.0, 4.75, 5.85, 6.5, 7.0], (4.75, 5.85, 6.5), ((1,), (2,), (3,))),
        # k = 6: h = 1.25, 2.5, 3.75 -> 6.4 + 0.25 x 0.6, (7.0 + 7.2) / 2, 7.2 + 0.75 x 0.6
        ([6.0, 6.4, 7.0, 7.2, 7.8, 8.6], (6.55, 7.1, 7.65), ((1, 2), (2, 3), (3, 4))),
        # k = 8: h = 1.75, 3.5, 5.25 -> 5.9 + 0.75 x 0.4, (6.8 + 7.1) / 2, 7.5 + 0.25 x 0.5
        (
            [5.2, 5.9, 6.3, 6.8, 7.1, 7.5, 8.0, 8.4],
            (6.2, 6.95, 7.625),
            ((1, 2), (3, 4), (5, 6)),
        ),
    ],
)
def test_quartiles_interpolate_between_order_statistics(values, expected, ranks):
    got = tuple(interpolated(values, p) for p in (0.25, 0.5, 0.75))
    assert got == pytest.approx(expected, abs=1e-12)
    assert tuple(rests_on(len(values), p) for p in (0.25, 0.5, 0.75)) == ranks


def test_interpolated_matches_numpy_default():
    import numpy as np

    for k in range(1, 12):
        values = [5 + ((i * 37) % 23) / 7 for i in range(k)]
        for p in (0.25, 0.5, 0.75):
            assert interpolated(values, p) == pytest.approx(float(np.quantile(values, p)))


def test_rounding_is_half_up_to_a_tenth():
    assert [round_to_step(x) for x in (7.25, 7.249, 6.95, 9.999)] == [7.3, 7.2, 7.0, 10.0]


def test_every_edge_moves_at_least_a_tenth_and_at_most_the_stated_noise():
    # Many constructed cells: no edge lands within 0.10 of the value it rests on.
    for k in range(300):
        means = [5 + ((k * 7 + i * 13) % 37) / 10 for i in range(5 + k % 3)]
        cell = [Contribution(i, 40, m) for i, m in enumerate(means)]
        edges = perturbed_edges(cell, secret=SECRET, label=f"cell{k}")
        assert edges is not None
        exact = [interpolated(means, p) for p in (0.25, 0.5, 0.75)]
        published = [edges.q1, edges.median, edges.q3]
        assert published == sorted(published)
        for e, x in zip(published, exact, strict=True):
            assert NOISE_MIN - 0.05 - 1e-9 <= abs(e - x) <= NOISE_MAX + 0.05 + 1e-9


def test_the_same_cell_always_gets_the_same_noise_and_the_key_matters():
    a = perturbed_edges(five(), secret=SECRET, label="x")
    assert a == perturbed_edges(list(reversed(five())), secret=SECRET, label="x")
    others = {perturbed_edges(five(), secret=s, label="x") for s in (b"1", b"2", b"3", b"4")}
    assert len(others) > 1
    # A contributor's response count is part of the key: another set, another noise.
    changed = [perturbed_edges(five(ns=(40, 40, 40, 40, n)), secret=SECRET, label="x")
               for n in range(41, 49)]  # fmt: skip
    assert any(edges != a for edges in changed)


def test_the_wadderveen_cell_no_longer_shows_its_peers():
    # The letter's case: Q1 4.75, median 6.5... published exactly by the old code.
    cell = protected_cell(five(), "o0", secret=SECRET, label="letter")
    assert cell.suppressed_by is None and cell.organisations == 5
    for edge, peer in zip(
        (cell.edges.q1, cell.edges.median, cell.edges.q3), (4.75, 5.85, 6.5), strict=True
    ):
        assert abs(edge - peer) >= 0.1 - 1e-9
    assert cell.own == 3.0 and cell.band == "bottom"
    assert not hasattr(cell, "mean") and not hasattr(cell, "percentile_rank")


def test_the_own_band_against_the_published_edges():
    edges = Edges(6.5, 7.0, 7.5)
    assert [band(x, edges) for x in (6.4, 6.5, 6.99, 7.0, 7.49, 7.5, 9.0)] == [
        "bottom",
        "second",
        "second",
        "third",
        "third",
        "top",
        "top",
    ]


def test_a_small_own_sample_gets_no_place_but_sees_the_sector():
    contributions = [*five(), Contribution("small", 12, 8.0)]
    cell = protected_cell(contributions, "small", secret=SECRET, label="x")
    assert cell.organisations == 5 and cell.edges is not None
    assert (cell.own, cell.own_n, cell.band) == (8.0, 12, None)
    assert cell.own_suppressed_by == OWN_TOO_FEW_RESPONSES


def test_a_suppressed_cell_shows_no_sector_figure_and_says_why():
    cell = protected_cell(five()[:4], "o0", secret=SECRET, label="x")
    assert (cell.organisations, cell.edges, cell.band) == (None, None, None)
    assert cell.suppressed_by == TOO_FEW_ORGANISATIONS
    assert cell.own == 3.0  # the organisation's own figure is its own
    dominant = protected_cell(five(ns=(500, 40, 40, 40, 40)), "o1", secret=SECRET, label="x")
    assert (dominant.suppressed_by, dominant.edges) == (DOMINANCE, None)


def test_edges_that_would_leave_the_scale_are_moved_the_other_way_or_suppressed():
    top = [Contribution(i, 40, 10.0) for i in range(5)]
    edges = perturbed_edges(top, secret=SECRET, label="top")
    assert edges is not None and edges.q3 <= 10.0 and 10.0 - edges.q3 >= 0.1 - 1e-9
    # On a scale too narrow for any shift of at least 0.15 nothing can be published.
    narrow = [Contribution(i, 40, 7.05) for i in range(5)]
    assert perturbed_edges(narrow, secret=SECRET, label="n", scale=(7.0, 7.1)) is None
    cell = protected_cell(narrow, 0, secret=SECRET, label="n", scale=(7.0, 7.1))
    assert (cell.suppressed_by, cell.edges, cell.organisations) == (
        NO_SAFE_PERTURBATION,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("start", "end", "label", "mapped"),
    [
        (None, None, "2026-Q3", False),  # default: the latest quarter that is over
        (date(2026, 7, 1), date(2026, 10, 1), "2026-Q3", False),
        (date(2026, 9, 1), date(2026, 10, 1), "2026-Q3", True),  # a month: its quarter
        (date(2026, 4, 10), date(2026, 4, 20), "2026-Q2", True),
        (date(2025, 1, 1), date(2026, 1, 1), "2025", False),
        (date(2025, 2, 1), date(2025, 11, 1), "2025", True),  # across quarters: the year
    ],
)
def test_requests_map_to_their_grid_cell(start, end, label, mapped):
    cell, was_mapped = grid_period(start, end, today=date(2026, 12, 6))
    assert (cell.label, was_mapped) == (label, mapped)


def test_requests_off_the_grid_are_refused_with_the_reason():
    today = date(2026, 12, 6)
    with pytest.raises(OffGrid) as running:
        grid_period(date(2026, 10, 1), date(2027, 1, 1), today=today)
    assert running.value.code == "incomplete" and running.value.cell.label == "2026-Q4"
    assert running.value.latest == GridPeriod("2026-Q3", date(2026, 7, 1), date(2026, 10, 1))
    assert "published once it is over" in str(running.value)
    with pytest.raises(OffGrid) as year:
        grid_period(date(2026, 1, 1), date(2027, 1, 1), today=today)
    assert year.value.code == "incomplete"
    with pytest.raises(OffGrid) as wide:
        grid_period(date(2025, 11, 1), date(2026, 2, 1), today=today)
    assert wide.value.code == "range"
    # The last day of a quarter: it is over the day after.
    assert grid_period(date(2026, 7, 1), date(2026, 10, 1), today=date(2026, 10, 1))
    with pytest.raises(OffGrid):
        grid_period(date(2026, 7, 1), date(2026, 10, 1), today=date(2026, 9, 30))


def test_the_rules_import_nothing_from_django():
    import ast
    from pathlib import Path

    import klantpeil.metrics.disclosure as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "django" not in imported and "klantpeil" not in imported


def test_noise_never_collapses_a_spread_into_equal_edges():
    # Quartiles a tenth apart (7.1, 7.2, 7.3): noise of 0.15–0.40 each way would often
    # publish "7.4 / 7.4 / 7.4"; the published edges stay strictly apart (or the cell is
    # suppressed), while edges that are truly equal may stay equal.
    close = five(means=(7.0, 7.1, 7.2, 7.3, 7.4))
    apart = 0
    for cell in range(200):
        edges = perturbed_edges(close, secret=SECRET, label=f"cell-{cell}")
        if edges is not None:
            assert edges.q1 < edges.median < edges.q3, (cell, edges)
            apart += 1
    assert apart > 150  # suppression stays the exception
    tied = perturbed_edges(five(means=(7.0, 7.2, 7.2, 7.2, 7.4)), secret=SECRET, label="t")
    assert tied is not None


# ------------------------------------------------- few organisations: never a peer's figure


def _cell_of(means, ns=None):
    ns = ns or [40] * len(means)
    return [Contribution(f"o{i}", n, m) for i, (n, m) in enumerate(zip(ns, means, strict=True))]


def test_four_organisations_show_nothing_five_six_and_eight_show_noisy_interpolated_edges():
    four = protected_cell(_cell_of([5.0, 6.0, 7.0, 9.0]), "o0", secret=SECRET, label="k4")
    assert (four.suppressed_by, four.organisations, four.edges) == (
        TOO_FEW_ORGANISATIONS,
        None,
        None,
    )
    for means, exact in (
        ([3.0, 4.75, 5.85, 6.5, 7.0], (4.75, 5.85, 6.5)),
        ([6.0, 6.4, 7.0, 7.2, 7.8, 8.6], (6.55, 7.1, 7.65)),
        ([5.2, 5.9, 6.3, 6.8, 7.1, 7.5, 8.0, 8.4], (6.2, 6.95, 7.625)),
    ):
        cell = protected_cell(_cell_of(means), "o0", secret=SECRET, label=f"k{len(means)}")
        assert cell.organisations == len(means) and cell.suppressed_by is None
        published = (cell.edges.q1, cell.edges.median, cell.edges.q3)
        for edge, x in zip(published, exact, strict=True):
            # moved 0.15-0.40 from the interpolated quartile, then rounded to 0.1
            assert NOISE_MIN - 0.05 - 1e-9 <= abs(edge - x) <= NOISE_MAX + 0.05 + 1e-9
            assert round(edge, 1) == edge
            assert edge not in means


def test_an_edge_that_would_be_a_peers_figure_is_refused():
    ordered = [6.0, 6.4, 7.0, 7.2, 7.8, 8.6]
    assert safe_from_peers([6.2, 7.4, 7.9], ordered, ordered)
    # 7.8 is the fifth organisation's figure, exactly
    assert not safe_from_peers([6.2, 7.4, 7.8], ordered, ordered)
    # an organisation below 30 responses is not a contributor, but still not shown
    assert not safe_from_peers([6.2, 7.3, 7.9], ordered, [*ordered, 7.3])
    # q3 of six rests on 7.2 and 7.8; 7.8 shown for 7.81 is that organisation's figure
    near = [6.0, 6.4, 7.0, 7.2, 7.81, 8.6]
    assert not safe_from_peers([6.2, 7.4, 7.8], near, near)
    # ... but the same 7.8 for a quantile resting on others is noise, not a figure
    assert safe_from_peers([6.3, 7.8, 7.9], [6.0, 6.4, 7.0, 7.2, 7.6, 7.81], [])


def test_the_rule_matters_noise_alone_lands_on_peers():
    # Figures on a 0.1 grid (with n = 30 a third of all totals give one) are often hit
    # by noise alone: six peers at 6.5-7.0, and the first candidate of 179 of 200 cells
    # would publish a peer's figure exactly; the rule finds another in all but 12.
    from klantpeil.metrics.disclosure import _candidates, _draws

    hits = shown = 0
    for label in range(200):
        means = [6.5 + i / 10 for i in range(6)]
        counted = _cell_of(means)
        exact = [interpolated(means, p) for p in (0.25, 0.5, 0.75)]
        first = _candidates(_draws(SECRET, f"grid{label}", counted), 3)[0]
        hits += any(round_to_step(x + d) in [round(m, 10) for m in means]
                    for x, d in zip(exact, first, strict=True))  # fmt: skip
        edges = perturbed_edges(counted, secret=SECRET, label=f"grid{label}")
        shown += edges is not None
        assert edges is None or not {edges.q1, edges.median, edges.q3} & {
            round(m, 10) for m in means
        }
    assert (hits, shown) == (179, 188)


FIGURES = st.integers(min_value=30, max_value=300).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(min_value=n, max_value=10 * n))
)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(FIGURES, min_size=1, max_size=12),
    small=st.lists(
        st.tuples(st.integers(1, 29), st.integers(1, 10)).map(lambda t: (t[0], t[0] * t[1])),
        max_size=3,
    ),
    label=st.text(max_size=8),
)
def test_no_shown_figure_is_a_single_organisations_figure(cells, small, label):
    # Realistic figures: a mean of integer grades, n responses summing to ``total``.
    contributions = [Contribution(i, n, total / n) for i, (n, total) in enumerate([*cells, *small])]
    figures = [c.mean for c in contributions]
    cell = protected_cell(contributions, 0, secret=SECRET, label=label)
    counted = sorted(c.mean for c in contributions if c.n >= 30)
    if len(counted) < 5:
        assert cell.edges is None and cell.organisations is None
        return
    if cell.edges is None:
        return
    assert cell.organisations == len(counted)
    shown = (cell.edges.q1, cell.edges.median, cell.edges.q3)
    for edge, p in zip(shown, (0.25, 0.5, 0.75), strict=True):
        assert all(abs(edge - figure) >= 1e-9 for figure in figures)
        for rank in rests_on(len(counted), p):
            assert round_to_step(edge) != round_to_step(counted[rank])
