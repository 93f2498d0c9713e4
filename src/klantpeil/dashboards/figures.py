"""The dashboards' charts filled with the analytics' results and worded in the active
language: one place shared by the pages (drawn in the browser) and the reports (drawn
offline), so a chart reads the same on screen and on paper."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.analytics.benchmarks import Benchmark
from klantpeil.analytics.selectors import DriverReport, MonthlyGrade
from klantpeil.analytics.stats import MIN_N
from klantpeil.dashboards import charts

QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")


def position_label(quadrant: str) -> str:
    return {
        "concentrate_here": _("Concentrate here"),
        "keep_up": _("Keep up the good work"),
        "low_priority": _("Low priority"),
        "possible_overkill": _("Possibly more than needed"),
    }[quadrant]


def month_notes() -> dict[str, str]:
    """The tooltip's words for a month that is not joined into a trend line."""
    return {
        "running": _("so far: the month is not over"),
        "partial": _("only part of the month is in the period"),
        "small": _("fewer than %(n)s responses: not joined into the line") % {"n": MIN_N},
        "": "",
    }


def grade_trend(
    trend: Sequence[MonthlyGrade],
    *,
    today: date | None = None,
    first: date | None = None,
    last: date | None = None,
) -> dict:
    """The grade trend; the running month (``today``'s), a month only partly inside
    ``first``…``last`` and a month below the minimum n are drawn apart from the line."""
    today = today or timezone.localdate()
    notes = month_notes()
    points = []
    for point in trend:
        status = charts.month_status(
            point.month, point.grade.n, today=today, first=first, last=last
        )
        points.append(
            {
                "month": point.month.isoformat(),
                "channel": point.label,
                "grade": point.grade.value,
                "low": point.grade.ci_low,
                "high": point.grade.ci_high,
                "n": point.grade.n,
                "status": status,
                "note": notes[status],
            }
        )
    return charts.grade_trend(
        points,
        titles={
            "channel": _("Channel"),
            "grade": _("Grade"),
            "low": _("95% interval from"),
            "high": _("95% interval to"),
            "note": _("Note"),
        },
    )


def trend_rows(
    trend: Sequence[MonthlyGrade],
    *,
    today: date | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[tuple[MonthlyGrade, str]]:
    """The trend's points with their status (see ``charts.month_status``), for tables."""
    today = today or timezone.localdate()
    return [
        (p, charts.month_status(p.month, p.grade.n, today=today, first=first, last=last))
        for p in trend
    ]


def priority_matrix(report: DriverReport, labels: dict[str, str]) -> dict:
    return charts.priority_matrix(
        [
            {
                "driver": str(labels[p.name]),
                "share": p.share,
                "performance": p.performance,
                "position": position_label(p.quadrant),
            }
            for p in report.priorities
        ],
        titles={
            "driver": _("Driver"),
            "share": _("Weight in the grade"),
            "performance": _("Score"),
            "position": _("Position"),
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
