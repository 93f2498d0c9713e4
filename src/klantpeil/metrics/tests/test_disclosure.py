"""The disclosure rules of sector benchmarks, each on constructed cells."""

from datetime import date

import pytest

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
    nearest_rank,
    perturbed_edges,
    protected_cell,
    round_to_step,
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


def test_nearest_rank_rests_on_one_value():
    values = [3.0, 4.75, 5.85, 6.5, 7.0]
    assert [nearest_rank(values, p) for p in (0.25, 0.5, 0.75)] == [
        (1, 4.75),
        (2, 5.85),
        (3, 6.5),
    ]
    six = [1, 2, 3, 4, 5, 6]
    assert [nearest_rank(six, p)[0] for p in (0.25, 0.5, 0.75)] == [1, 2, 4]
    seven = [1, 2, 3, 4, 5, 6, 7]
    assert [nearest_rank(seven, p)[0] for p in (0.25, 0.5, 0.75)] == [1, 3, 5]


def test_rounding_is_half_up_to_a_tenth():
    assert [round_to_step(x) for x in (7.25, 7.249, 6.95, 9.999)] == [7.3, 7.2, 7.0, 10.0]


def test_every_edge_moves_at_least_a_tenth_and_at_most_the_stated_noise():
    # Many constructed cells: no edge lands within 0.10 of the value it rests on.
    for k in range(300):
        means = [5 + ((k * 7 + i * 13) % 37) / 10 for i in range(5 + k % 3)]
        cell = [Contribution(i, 40, m) for i, m in enumerate(means)]
        edges = perturbed_edges(cell, secret=SECRET, label=f"cell{k}")
        assert edges is not None
        exact = [nearest_rank(means, p)[1] for p in (0.25, 0.5, 0.75)]
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
