"""The dashboards' charts filled with the analytics' results and worded in the active
language: one place shared by the pages (drawn in the browser) and the reports (drawn
offline), so a chart reads the same on screen and on paper."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _

from klantpeil.analytics.benchmarks import Benchmark
from klantpeil.analytics.selectors import DriverReport, MonthlyGrade
from klantpeil.dashboards import charts
from klantpeil.metrics.priority import LABELS

# The advice of the one priority model (klantpeil.metrics.priority.LABELS).
QUADRANTS = LABELS


def position_label(label: str) -> str:
    """The words for a priority label (the same in the app, the PDF and the XLSX)."""
    return {
        "focus_here": _("Concentrate here"),
        "worth_improving": _("Worth improving too"),
        "keep_up": _("Keep up the good work"),
        "low_priority": _("Low priority"),
    }[label]


def grade_trend(trend: Sequence[MonthlyGrade]) -> dict:
    return charts.grade_trend(
        [
            {
                "month": point.month.isoformat(),
                "channel": point.label,
                "grade": point.grade.value,
                "low": point.grade.ci_low,
                "high": point.grade.ci_high,
                "n": point.grade.n,
            }
            for point in trend
        ],
        titles={
            "channel": _("Channel"),
            "grade": _("Grade"),
            "low": _("95% interval from"),
            "high": _("95% interval to"),
        },
    )


def priority_matrix(report: DriverReport, labels: dict[str, str]) -> dict:
    """Expected gain against score, one numbered point per driver in priority order."""
    return charts.priority_matrix(
        [
            {
                "label": f"{p.rank} {labels[p.name]}",
                "driver": str(labels[p.name]),
                "performance": p.performance,
                "target": p.target,
                "gain": p.expected_gain,
                "low": p.expected_gain_low,
                "high": p.expected_gain_high,
                "advice": position_label(p.label),
            }
            for p in report.priorities
        ],
        titles={
            "driver": _("Driver"),
            "gain": _("Expected gain in the grade"),
            "low": _("95% interval from"),
            "high": _("95% interval to"),
            "performance": _("Score now"),
            "target": _("Target"),
            "advice": _("Advice"),
        },
    )


def positioned(rows: Sequence[tuple[str, Benchmark | None]]) -> list[tuple[str, Benchmark]]:
    """The rows of a sector comparison that can be drawn: shown, with the own figure."""
    return [(label, b) for label, b in rows if b is not None and b.own is not None]


def sector_position(rows: Sequence[tuple[str, Benchmark]]) -> dict:
    return charts.sector_position(
        [
            {"row": label, "q1": b.q1, "median": b.median, "q3": b.q3, "own": b.own}
            for label, b in rows
        ],
        titles={
            "grade": _("Overall grade"),
            "row": _("Channel"),
            "own": _("Your grade"),
            "median": _("Sector median"),
            "q1": _("Lower quartile"),
            "q3": _("Upper quartile"),
        },
    )


def reachability_infographic(
    kpis: dict, *, organisation: str, period: str, lang: str, fmt: str
) -> bytes:
    """The organisation's mystery-call infographic; ``period`` "" is the last twelve months."""
    from klantpeil.analytics import infographic  # matplotlib: loaded only when drawn

    words = {"nl": "Telefonische bereikbaarheid", "en": "Telephone reachability"}
    return infographic.render(
        kpis,
        title=f"{organisation}: {words[lang]}",
        subtitle=period or {"nl": "afgelopen twaalf maanden", "en": "last twelve months"}[lang],
        lang=lang,
        fmt=fmt,
        calls=kpis["technically_reachable_rate"].n,
    )
