"""What a report says: one organisation's figures for one period, gathered once and
shared by the PDF, the PNG and the XLSX (and by the app's report button).

Everything is read through the analytics selectors inside the current tenant, so
a report can only ever contain the organisation it is made for; the sector
figures are the anonymised distribution the benchmark page shows too.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from klantpeil.analytics import infographic
from klantpeil.analytics.driver_selectors import DriverReport, driver_report
from klantpeil.analytics.employee_link import EmployeeCustomerLink, employee_customer_link
from klantpeil.analytics.sector import SectorComparison, sector_grade_benchmarks
from klantpeil.analytics.selectors import (
    SURVEY,
    TARGET,
    ChannelKpis,
    MonthlyGrade,
    channel_changes,
    first_customer_day,
    monthly_grades,
    survey_summary,
)
from klantpeil.analytics.weighted import WeightedOverview, weighted_overview
from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import MeasurementFilter, filtered_measurements
from klantpeil.core.numbers import decimal, percent
from klantpeil.core.tenancy import require_organisation
from klantpeil.dashboards.filters import compare, span_words, trend_window
from klantpeil.distribution.funnel import STEP_LABELS, invitation_funnel
from klantpeil.fieldwork.reachability_selectors import reachability
from klantpeil.instruments.models import Driver
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.metrics.periods import Period
from klantpeil.metrics.reachability import Norms
from klantpeil.metrics.significance import Difference
from klantpeil.metrics.stats import Estimate
from klantpeil.organisations.models import ChannelKind
from klantpeil.textanalysis.models import CommentAnnotation
from klantpeil.textanalysis.selectors import comment_answers, social_figures
from klantpeil.textanalysis.social import SocialFigures

COMMENTS_LOW = 6  # comments of unhappy customers (grade 5 or lower) in the sample
COMMENTS_HIGH = 3  # and of happy ones (8 or higher), so the sample is not all complaint

# The steps a report goes through, for progress bars in the CLI and the app.
STEPS = ("channels", "drivers", "reachability", "benchmark", "comments", "render")


@dataclass(frozen=True)
class Comment:
    text: str
    grade: float | None
    channel: str
    day: date
    sentiment: str = ""  # negative, neutral or positive once the comment is annotated


@dataclass(frozen=True)
class ReportData:
    organisation: str
    sector: str
    period: Period
    previous: Period  # what changes are compared with: the same days one period earlier
    lang: str
    made_at: datetime
    overall: ChannelKpis
    channels: list[ChannelKpis]
    changes: dict[str, dict[str, Difference]]
    trend: list[MonthlyGrade]
    drivers: DriverReport | None
    driver_labels: dict[str, str]
    reachability: dict[str, Estimate]
    reachability_labels: dict[str, str]
    norms: Norms
    benchmarks: SectorComparison  # the grid cell of the period, disclosure-safe
    employees: EmployeeCustomerLink
    comments: list[Comment]
    social: SocialFigures | None = None  # None: no social posts in the period
    summary: list[str] = field(default_factory=list)
    no_comparison: str = ""  # why no change is shown ("" when changes are compared)
    previous_words: str = ""  # ``previous`` in words ("2025", "1 Jan 2025 – 6 Dec 2025")
    trend_since: date | None = None  # the days the trend covers (its first and last)
    trend_until: date | None = None
    # All channels weighted to the contact volumes (None: a report made without them).
    weighting: WeightedOverview | None = None
    # The invitation funnel of the period: (label, count, share of made, share of the
    # step before, on the main path); empty when no invitation was made in the period.
    invitations: list[tuple[str, int, float | None, float | None, bool]] = field(
        default_factory=list
    )

    @property
    def calls(self) -> int:
        kpi = self.reachability.get("technically_reachable_rate")
        return kpi.n if kpi else 0


def _comment_sample(filters: MeasurementFilter, seed: str) -> list[Comment]:
    """A reproducible sample of open answers: mostly from unhappy customers, whose words
    say what to fix, and a few from happy ones."""
    survey = filtered_measurements(dataclasses.replace(filters, instrument=SURVEY))
    texts = dict(
        Answer.objects.filter(comment_answers(), measurement__in=survey).values_list(
            "measurement_id", "text"
        )
    )
    grades = dict(
        Answer.objects.filter(
            measurement_id__in=list(texts), question__key=TARGET, number__isnull=False
        ).values_list("measurement_id", "number")
    )
    low = sorted(m for m in texts if grades.get(m, 10) <= 5)
    high = sorted(m for m in texts if grades.get(m, 0) >= 8)
    rng = random.Random(seed)
    chosen = rng.sample(low, min(COMMENTS_LOW, len(low)))
    chosen += rng.sample(high, min(COMMENTS_HIGH, len(high)))
    labels = dict(ChannelKind.choices)
    measurements = survey.filter(pk__in=chosen).values_list("pk", "channel__kind", "occurred_at")
    found = {pk: (kind, moment) for pk, kind, moment in measurements}
    moods = dict(
        CommentAnnotation.objects.filter(
            comment_answers("answer__"), measurement_id__in=chosen
        ).values_list("measurement_id", "label")
    )
    comments = [
        Comment(
            text=texts[pk],
            grade=grades.get(pk),
            channel=str(labels.get(found[pk][0], "")),
            day=timezone.localtime(found[pk][1]).date(),
            sentiment=moods.get(pk, ""),
        )
        for pk in chosen
    ]
    return sorted(comments, key=lambda c: (c.grade if c.grade is not None else 99, c.day))


def gather(
    period: Period, *, lang: str = "nl", progress: Callable[[str], None] | None = None
) -> ReportData:
    """Everything the report shows for the current organisation and ``period``."""
    step = progress or (lambda name: None)
    organisation = require_organisation()
    filters = MeasurementFilter(period=period.label)
    with translation.override(lang):
        step("channels")
        # Like for like: a running period is compared with the same days one period
        # earlier, and not at all when that earlier span is only partly covered by data.
        comparison = compare(period, timezone.localdate(), first_customer_day())
        previous = comparison.previous_span or period.previous()
        survey = survey_summary(filters, comparison.previous, compared=comparison.current)
        changes = channel_changes(comparison.current, comparison.previous)
        since, until = trend_window(period.label)
        trend = monthly_grades(since=since, until=until)
        step("drivers")
        drivers = driver_report(filters)
        step("reachability")
        kpis, norms = reachability(filters)
        step("benchmark")
        benchmarks = sector_grade_benchmarks(filters)
        employees = employee_customer_link(filters)
        weighting = weighted_overview(filters)
        step("comments")
        comments = _comment_sample(filters, seed=f"{organisation.pk}:{period.label}")
        social = social_figures(period.start, period.end)
        funnel = invitation_funnel(period)
        which = 0 if lang == "nl" else 1
        data = ReportData(
            organisation=organisation.name,
            sector=organisation.sector.name_nl if lang == "nl" else organisation.sector.name_en,
            period=period,
            previous=previous,
            lang=lang,
            made_at=timezone.localtime(),
            overall=survey.overall,
            channels=survey.channels,
            changes=changes,
            trend=trend,
            drivers=drivers,
            driver_labels={k: str(v) for k, v in Driver.choices},
            reachability=kpis if kpis["technically_reachable_rate"].n else {},
            reachability_labels={k: v[which] for k, v in infographic.LABELS.items()},
            norms=norms,
            benchmarks=benchmarks,
            employees=employees,
            comments=comments,
            social=social if social.volume else None,
            no_comparison=comparison.reason,
            previous_words=previous.label
            if previous == period.previous()
            else span_words(previous),
            trend_since=since,
            trend_until=until,
            weighting=weighting,
            invitations=[
                (str(STEP_LABELS[r.key]), r.count, r.of_made, r.of_previous, r.main)
                for r in funnel.rows
            ]
            if funnel.counts["made"]
            else [],
        )
        data.summary.extend(summary(data))
        data.summary.extend(weighting_summary(data))
    return data


def weighting_summary(data: ReportData) -> list[str]:
    """The overall grade weighted to the contact volumes, beside the unweighted one."""
    weighting = data.weighting
    if weighting is None or not weighting.weighted:
        return []
    grade = weighting.figures["grade"]
    if grade.weighted is None or grade.weighted.estimate.value is None:
        return []
    return [
        _(
            "Weighted to your contact volumes, so that each channel counts as its share of "
            "contacts, the overall grade is %(weighted)s (95%% interval %(low)s–%(high)s, "
            "effective n %(n_eff)s) against %(unweighted)s unweighted."
        )
        % {
            "weighted": decimal(grade.weighted.estimate.value),
            "low": decimal(grade.weighted.estimate.ci_low),
            "high": decimal(grade.weighted.estimate.ci_high),
            "n_eff": decimal(grade.weighted.effective_n, 0),
            "unweighted": decimal(grade.unweighted.value),
        }
    ]


def summary(data: ReportData) -> list[str]:
    """The report's first page in words: what a board member reads if nothing else."""
    lines: list[str] = []
    grade = data.overall.grade
    if grade.value is None:
        return [_("No customer-survey responses in %(period)s.") % {"period": data.period.label}]
    if grade.below_minimum_group:
        return [
            _(
                "Too few customer-survey responses in %(period)s to show a figure "
                "(fewer than %(n)s)."
            )
            % {"period": data.period.label, "n": MIN_GROUP}
        ]
    lines.append(
        _(
            "Customers gave an overall grade of %(grade)s in %(period)s "
            "(95%% interval %(low)s–%(high)s, %(n)s responses)."
        )
        % {
            "grade": decimal(grade.value),
            "period": data.period.label,
            "low": decimal(grade.ci_low),
            "high": decimal(grade.ci_high),
            "n": decimal(grade.n, 0),
        }
    )
    rated = [c for c in data.channels if c.grade.value is not None and not c.grade.small_sample]
    if len(rated) >= 2:
        best = max(rated, key=lambda c: c.grade.value)
        worst = min(rated, key=lambda c: c.grade.value)
        lines.append(
            _("%(best)s scores highest (%(best_grade)s), %(worst)s lowest (%(worst_grade)s).")
            % {
                "best": best.label,
                "best_grade": decimal(best.grade.value),
                "worst": worst.label.lower() if data.lang == "nl" else worst.label,
                "worst_grade": decimal(worst.grade.value),
            }
        )
    moved = [
        (c.label, data.changes[c.kind]["grade"])
        for c in data.channels
        if "grade" in data.changes.get(c.kind, {})
        and data.changes[c.kind]["grade"].significant
        and not data.changes[c.kind]["grade"].too_small
    ]
    for label, change in moved:
        template = (
            _("%(channel)s rose significantly against %(previous)s (%(change)s).")
            if change.difference > 0
            else _("%(channel)s fell significantly against %(previous)s (%(change)s).")
        )
        lines.append(
            template
            % {
                "channel": label,
                "previous": data.previous_words,
                "change": ("+" if change.difference > 0 else "") + decimal(change.difference),
            }
        )
    if not moved and data.changes:
        lines.append(
            _("No channel's grade changed significantly against %(previous)s.")
            % {"previous": data.previous_words}
        )
    if data.no_comparison:
        lines.append(data.no_comparison)
    if data.drivers and data.drivers.priorities:
        top = data.drivers.priorities[0]
        # The same headline as the overview and the drivers page (one priority model).
        lines.append(
            _(
                "Improve first: %(driver)s — +%(gain)s grade points (%(low)s to %(high)s) "
                "if it rises from %(current)s to %(target)s."
            )
            % {
                "driver": data.driver_labels[top.name].lower()
                if data.lang == "nl"
                else data.driver_labels[top.name],
                "gain": decimal(top.expected_gain, 2),
                "low": decimal(top.expected_gain_low, 2),
                "high": decimal(top.expected_gain_high, 2),
                "current": decimal(top.performance),
                "target": decimal(top.target),
            }
        )
        dissatisfiers = [
            data.driver_labels[name]
            for name, effect in data.drivers.asymmetry.items()
            if effect.kind == "dissatisfier"
        ]
        if len(dissatisfiers) == 1:
            lines.append(
                _("%(driver)s costs points mainly when it is bad (a dissatisfier).")
                % {"driver": dissatisfiers[0]}
            )
        elif dissatisfiers:
            lines.append(
                _("%(drivers)s and %(last)s cost points mainly when they are bad (dissatisfiers).")
                % {
                    "drivers": ", ".join(
                        [dissatisfiers[0]]
                        + [d.lower() if data.lang == "nl" else d for d in dissatisfiers[1:-1]]
                    ),
                    "last": dissatisfiers[-1].lower() if data.lang == "nl" else dissatisfiers[-1],
                }
            )
    if data.reachability:
        normed = [(k, v) for k, v in data.reachability.items() if v.norm is not None and v.n]
        missed = [(k, v) for k, v in normed if not v.meets_norm]
        if normed:
            text = _("%(met)s of %(total)s telephone norms met in %(calls)s mystery calls.") % {
                "met": len(normed) - len(missed),
                "total": len(normed),
                "calls": decimal(data.calls, 0),
            }
            if missed:
                key, kpi = max(missed, key=lambda item: item[1].norm - item[1].value)
                text += " " + _("Largest shortfall: %(point)s, %(value)s against %(norm)s.") % {
                    "point": data.reachability_labels[key].lower()
                    if data.lang == "nl"
                    else data.reachability_labels[key],
                    "value": percent(kpi.value),
                    "norm": percent(kpi.norm),
                }
            lines.append(text)
    if data.social and data.social.answered.value is not None:
        lines.append(
            _(
                "On social media %(volume)s customer posts: %(answered)s answered by the "
                "organisation, mood %(mood)s on the 1–3 scale."
            )
            % {
                "volume": decimal(data.social.volume, 0),
                "answered": percent(data.social.answered.value),
                "mood": decimal(data.social.mood.value),
            }
        )
    lines.extend(_sector_summary(data.benchmarks))
    return lines


def _sector_summary(comparison: SectorComparison) -> list[str]:
    """The sector sentence of the cover: the own band only (never a peer's figure)."""
    from klantpeil.dashboards.figures import band_label

    if comparison.refused:
        return [comparison.refused]
    cell = comparison.rows[0].cell if comparison.rows else None
    if cell is None or cell.edges is None or cell.band is None:
        return []
    return [
        _(
            "In %(period)s your overall grade lies in the %(band)s of the %(n)s "
            "organisations in your sector (sector figures shifted and rounded so that no "
            "organisation's own grade can be read from them)."
        )
        % {
            "period": comparison.period.label,
            "band": band_label(cell.band),
            "n": cell.organisations,
        }
    ]
