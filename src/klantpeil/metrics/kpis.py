"""The survey KPI catalogue: each KPI's question, scale and estimator, from sums.

Rollups keep per cell (organisation, unit, channel, day, question) the number of
answers n, their sum Σx, their sum of squares Σx² and the count of each answer
0…10 (every scale in the product is whole numbers within 0–10). Each KPI here
turns such :class:`Sums` into an :class:`~klantpeil.metrics.stats.Estimate`
through the estimators of :mod:`klantpeil.metrics.stats`, so the dashboards,
the report, the API and the CLI compute a KPI one way. Plain module, no Django.

- grade: overall_grade (1–10), mean with t interval kept on 1–10 (``stats.mean``)
- nps: nps (0–10), %9–10 − %0–6, adjusted Wald interval (``stats.nps_from_counts``)
- ces: ces (1–7), CES 2.0 mean with t interval kept on 1–7 (``stats.ces``)
- fcr: solved_first_contact (yes/no), share yes with Wilson interval (``stats.fcr``)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from klantpeil.metrics import stats
from klantpeil.metrics.stats import Estimate

VALUES = range(11)  # the answers a cell counts: 0…10


@dataclass(frozen=True)
class Sums:
    """Sufficient statistics of one question's answers in some cell or set of cells."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0
    counts: tuple[int, ...] = (0,) * len(VALUES)  # index = answer 0…10

    @classmethod
    def from_row(cls, row: Mapping) -> Sums:
        """From a row with ``n``, ``total``, ``squares`` and ``v0`` … ``v10`` (what the
        rollup tables and the raw aggregates give; a database sum of nothing is None)."""
        return cls(
            n=int(row["n"] or 0),
            total=float(row["total"] or 0),
            squares=float(row["squares"] or 0),
            counts=tuple(int(row[f"v{i}"] or 0) for i in VALUES),
        )

    def __add__(self, other: Sums) -> Sums:
        return Sums(
            self.n + other.n,
            self.total + other.total,
            self.squares + other.squares,
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
        )

    def __sub__(self, other: Sums) -> Sums:
        return Sums(
            self.n - other.n,
            self.total - other.total,
            self.squares - other.squares,
            tuple(a - b for a, b in zip(self.counts, other.counts, strict=True)),
        )

    def counts_by_value(self, low: int, high: int) -> dict[int, int]:
        """{answer: count} for the answers low…high (a scale's own range)."""
        return {v: self.counts[v] for v in range(low, high + 1)}


@dataclass(frozen=True)
class SurveyKpi:
    name: str  # how screens, the API and the report name it
    question_key: str  # the standard survey's question it is computed from
    scale: tuple[float, float]  # the range the figure can take
    estimator: Callable[[Sums], Estimate]

    def estimate(self, sums: Sums | None) -> Estimate:
        """The KPI with its n and interval; no answers gives value None, n 0."""
        return self.estimator(sums if sums is not None else Sums())


def grade(sums: Sums) -> Estimate:
    """Mean overall grade (1–10) with its t interval, limited to the scale."""
    return stats.mean(sums.n, sums.total, sums.squares, scale=stats.GRADE_SCALE)


def nps(sums: Sums) -> Estimate:
    """Net Promoter Score in points with the interval every screen shows (adjusted Wald)."""
    return stats.nps_from_counts(list(sums.counts), method=stats.NPS_INTERVAL)


def ces(sums: Sums) -> Estimate:
    """CES 2.0 as the mean on 1–7 (the answers are whole numbers, so counts carry it all)."""
    return stats.ces(sums.counts_by_value(1, 7)).mean


def fcr(sums: Sums) -> Estimate:
    """First-contact resolution: the share answering yes (stored as 1) of those answering."""
    return stats.fcr(sums.counts[1], sums.n)


SURVEY_KPIS: tuple[SurveyKpi, ...] = (
    SurveyKpi("grade", "overall_grade", stats.GRADE_SCALE, grade),
    SurveyKpi("nps", "nps", stats.NPS_SCALE, nps),
    SurveyKpi("ces", "ces", stats.CES_SCALE, ces),
    SurveyKpi("fcr", "solved_first_contact", stats.SHARE_SCALE, fcr),
)
BY_NAME: dict[str, SurveyKpi] = {kpi.name: kpi for kpi in SURVEY_KPIS}
QUESTION_KEYS: tuple[str, ...] = tuple(kpi.question_key for kpi in SURVEY_KPIS)


def survey_kpis(sums_by_question: Mapping[str, Sums]) -> dict[str, Estimate]:
    """Every survey KPI by name, from the sums of its question (missing: no answers)."""
    return {kpi.name: kpi.estimate(sums_by_question.get(kpi.question_key)) for kpi in SURVEY_KPIS}
