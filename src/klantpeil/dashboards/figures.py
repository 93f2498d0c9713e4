"""The dashboards' charts filled with the analytics' results and worded in the active
language: one place shared by the pages (drawn in the browser) and the reports (drawn
offline), so a chart reads the same on screen and on paper."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from klantpeil.analytics.driver_selectors import DriverReport
from klantpeil.analytics.sector import SectorRow
from klantpeil.analytics.selectors import MonthlyGrade
from klantpeil.dashboards import charts
from klantpeil.metrics.disclosure import below_minimum_group
from klantpeil.metrics.priority import LABELS
from klantpeil.metrics.stats import MIN_N

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
        if below_minimum_group(point.grade.n):
            continue  # no figure for a group below the minimum (metrics.disclosure)
        status = charts.month_status(
            point.month, point.grade.n, today=today, first=first, last=last
        )
        points.append(
            {
                "month": point.month.isoformat(),
                "channel": point.label,
                "channel_key": point.kind,
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
            "month": _("Month"),
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


def disclosure_context() -> dict:
    """The disclosure rules' parameters, for the sentences that explain them."""
    from klantpeil.metrics import disclosure

    return {
        "minimum": disclosure.MIN_ORGANISATIONS,
        "min_responses": disclosure.MIN_RESPONSES,
        "dominance": round(100 * disclosure.DOMINANCE_SHARE),
        "noise_min": disclosure.NOISE_MIN,
        "noise_max": disclosure.NOISE_MAX,
        "step": disclosure.STEP,
    }


def band_label(band: str | None) -> str:
    return {
        "bottom": _("bottom quarter"),
        "second": _("second quarter"),
        "third": _("third quarter"),
        "top": _("top quarter"),
    }.get(band or "", "")


def suppression_reason(rule: str | None) -> str:
    """Why a cell (or the own place in it) is not shown, in words."""
    from klantpeil.metrics import disclosure

    return {
        disclosure.TOO_FEW_ORGANISATIONS: _(
            "Not shown: fewer than %(minimum)s organisations have %(responses)s or more "
            "responses here."
        ),
        disclosure.DOMINANCE: _(
            "Not shown: one organisation gives more than %(share)s%% of the responses here."
        ),
        disclosure.NO_SAFE_PERTURBATION: _(
            "Not shown: no shifted figure keeps the quartiles in order on the scale and "
            "apart from every organisation's own grade."
        ),
        disclosure.OWN_TOO_FEW_RESPONSES: _(
            "Your place is not shown: fewer than %(responses)s of your own responses."
        ),
    }.get(rule or "", "") % {
        "minimum": disclosure.MIN_ORGANISATIONS,
        "responses": disclosure.MIN_RESPONSES,
        "share": round(100 * disclosure.DOMINANCE_SHARE),
    }


def sector_table(rows: Sequence[SectorRow]) -> list[dict]:
    """The rows of a sector comparison with their band and suppression reason in words
    (the page's and the report's table)."""
    return [
        {
            "label": r.label,
            "channel": r.channel,
            "cell": r.cell,
            "band": band_label(r.cell.band),
            "reason": suppression_reason(r.cell.suppressed_by or r.cell.own_suppressed_by),
        }
        for r in rows
    ]


def positioned(rows: Sequence[SectorRow]) -> list[SectorRow]:
    """The rows of a sector comparison that can be drawn: shown, with the own figure."""
    return [r for r in rows if r.cell.edges is not None and r.cell.own is not None]


def sector_position(rows: Sequence[SectorRow]) -> dict:
    """The sector's published (perturbed, rounded) edges and the own grade per row."""
    return charts.sector_position(
        [
            {
                "row": r.label,
                "q1": r.cell.edges.q1,
                "median": r.cell.edges.median,
                "q3": r.cell.edges.q3,
                "own": r.cell.own,
            }
            for r in rows
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
