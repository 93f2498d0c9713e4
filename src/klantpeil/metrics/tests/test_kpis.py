"""The survey KPI catalogue computes each KPI from rollup sums through the stats estimators."""

import pytest

from klantpeil.metrics import kpis, stats


def row(counts: list[int]) -> dict:
    """A rollup row of sums for answers given as counts per value 0…10."""
    return {
        "n": sum(counts),
        "total": sum(v * c for v, c in enumerate(counts)),
        "squares": sum(v * v * c for v, c in enumerate(counts)),
        **{f"v{v}": c for v, c in enumerate(counts)},
    }


def test_nps_from_counts_is_the_hand_computed_figure():
    # 20 answers: one 0, one 5, two 6s (4 detractors), three 7s and four 8s (7 passives),
    # five 9s and four 10s (9 promoters). NPS = 100 · (9 − 4) / 20 = 25.
    # Adjusted Wald (Rocks 2016): n' = 23, p'P = 9.75/23, p'D = 4.75/23, centre 5/23;
    # SE' = √((p'P + p'D − centre²)/23) = 0.159234; interval 100·(centre ∓ 1.959964·SE')
    # = −9.4702 … 52.9484.
    sums = kpis.Sums.from_row(row([1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 4]))
    figure = kpis.BY_NAME["nps"].estimate(sums)
    assert figure.value == 25.0 and figure.n == 20
    assert figure.ci_low == pytest.approx(-9.470161896581722, abs=1e-9)
    assert figure.ci_high == pytest.approx(52.94842276614694, abs=1e-9)


def test_every_kpi_of_its_question_sums():
    grade = row([0, 0, 0, 0, 0, 0, 1, 2, 1, 0, 0])  # 6, 7, 7, 8: mean 7
    ces = row([0, 2, 0, 0, 0, 1, 0, 1, 0, 0, 0])  # 1, 1, 5, 7: mean 3.5
    fcr = row([1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # 3 of 4 solved
    by_question = {
        "overall_grade": kpis.Sums.from_row(grade),
        "ces": kpis.Sums.from_row(ces),
        "solved_first_contact": kpis.Sums.from_row(fcr),
    }
    figures = kpis.survey_kpis(by_question)
    assert list(figures) == ["grade", "nps", "ces", "fcr"]
    assert (figures["grade"].value, figures["grade"].n) == (7.0, 4)
    assert figures["grade"] == stats.mean(4, 28, 198, scale=stats.GRADE_SCALE)
    assert (figures["ces"].value, figures["ces"].n) == (3.5, 4)
    assert figures["ces"] == stats.mean(4, 14, 76, scale=stats.CES_SCALE)
    assert (figures["fcr"].value, figures["fcr"].successes, figures["fcr"].n) == (0.75, 3, 4)
    # No NPS answers: no figure, but still a figure of n 0, not an error.
    assert (figures["nps"].value, figures["nps"].n) == (None, 0)


def test_the_catalogue_names_the_standard_survey_questions():
    assert kpis.QUESTION_KEYS == ("overall_grade", "nps", "ces", "solved_first_contact")
    # A database sum over no rows is None: counted as nothing.
    empty = kpis.Sums.from_row(
        {
            "n": None,
            "total": None,
            "squares": None,
            **dict.fromkeys((f"v{i}" for i in range(11)), None),
        }
    )
    assert empty == kpis.Sums()
