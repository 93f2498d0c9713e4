"""Reads of the text analysis: comments with their annotation, trends, social figures."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Manager, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from klantpeil.collection.models import Answer
from klantpeil.collection.selectors import (
    ANONYMOUS_METHODS,
    MeasurementFilter,
    filtered_measurements,
    individual_measurements,
)
from klantpeil.instruments import answers
from klantpeil.metrics.business_hours import Calendar
from klantpeil.organisations.models import ChannelKind
from klantpeil.organisations.selectors import channel_calendar
from klantpeil.textanalysis import social
from klantpeil.textanalysis.models import CommentAnnotation, SocialPost

COMMENT_INDICATOR = answers.COMMENT_INDICATOR
COMMENT_TYPE = answers.COMMENT_TYPE
SCORE_KEYS = ("overall_grade", "nps")


def comment_answers(via: str = "") -> Q:
    """The condition on answers (``via``: the lookup path to the answer, such as
    ``"answer__"`` from an annotation) that selects the comments."""
    return Q(
        **{
            f"{via}question__type": COMMENT_TYPE,
            f"{via}question__indicator": COMMENT_INDICATOR,
            f"{via}text__gt": "",  # neither empty nor missing
        }
    )


def pending_comments(manager: Manager) -> QuerySet:
    """Open comments without an annotation yet."""
    return manager.filter(
        comment_answers(),
        measurement__superseded_at__isnull=True,
        annotation__isnull=True,
    )


@dataclass(frozen=True)
class CommentFilter:
    measurements: MeasurementFilter = field(default_factory=MeasurementFilter)
    search: str = ""
    sentiment: str = ""
    driver: str = ""
    language: str = ""


def comments(filters: CommentFilter) -> QuerySet[CommentAnnotation]:
    """The current organisation's annotated comments matching ``filters``, newest first.

    Comments of anonymous respondents (the employee survey) are never among them, in any
    group size: a comment is one person's words, and a search, unit or period filter
    could single out one employee. The mood trend and the counts read through here too.
    """
    shown = filtered_measurements(filters.measurements, base=individual_measurements())
    queryset = CommentAnnotation.objects.filter(measurement_id__in=shown.values("id"))
    if filters.search:
        queryset = queryset.filter(answer__text__icontains=filters.search)
    if filters.sentiment:
        queryset = queryset.filter(label=filters.sentiment)
    if filters.driver:
        queryset = queryset.filter(drivers__contains=f" {filters.driver} ")
    if filters.language:
        queryset = queryset.filter(language=filters.language)
    return queryset.select_related("answer", "measurement__channel", "measurement__unit").order_by(
        "-measurement__occurred_at", "-id"
    )


def label_counts(queryset: QuerySet[CommentAnnotation]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("label").annotate(n=Count("id")))
    return {label: counts.get(label, 0) for label in ("negative", "neutral", "positive")}


def languages_present() -> list[str]:
    return list(
        CommentAnnotation.objects.exclude(measurement__method__in=ANONYMOUS_METHODS)
        .order_by("language")
        .values_list("language", flat=True)
        .distinct()
    )


def scores_of(measurement_ids: list[int]) -> dict[int, dict[str, float]]:
    """Overall grade and NPS answer of each measurement (where given)."""
    found: dict[int, dict[str, float]] = defaultdict(dict)
    rows = Answer.objects.filter(
        measurement_id__in=measurement_ids, question__key__in=SCORE_KEYS, number__isnull=False
    ).values_list("measurement_id", "question__key", "number")
    for measurement_id, key, number in rows:
        found[measurement_id][key] = number
    return found


@dataclass(frozen=True)
class TrendPoint:
    month: date
    channel: str
    label: str
    n: int
    negative: int
    neutral: int
    positive: int

    @property
    def mood(self) -> float:
        """Mean on the 1–3 scale (negative 1, neutral 2, positive 3)."""
        return (self.negative + 2 * self.neutral + 3 * self.positive) / self.n


def sentiment_trend(filters: CommentFilter) -> list[TrendPoint]:
    """Per month and channel: comments per sentiment and the mean mood on the 1–3 scale."""
    rows = (
        comments(filters)
        .select_related(None)
        .annotate(month=TruncMonth("measurement__occurred_at"))
        .values_list("month", "measurement__channel__kind", "label")
        .annotate(n=Count("id"))
        .order_by()
    )
    cells: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for month, kind, label, n in rows:
        cells[(month.date() if hasattr(month, "date") else month, kind or "")][label] += n
    labels = dict(ChannelKind.choices)
    return [
        TrendPoint(
            month,
            kind,
            str(labels.get(kind, kind)),
            sum(c.values()),
            c["negative"],
            c["neutral"],
            c["positive"],
        )
        for (month, kind), c in sorted(cells.items())
    ]


def _posts(since: date | None, until: date | None) -> QuerySet[SocialPost]:
    """Threads started in [since, until) with all their replies (replies may come later)."""
    started = SocialPost.objects.filter(in_reply_to__isnull=True)
    if since:
        started = started.filter(posted_at__date__gte=since)
    if until:
        started = started.filter(posted_at__date__lt=until)
    return SocialPost.objects.filter(
        Q(id__in=started.values("id")) | Q(in_reply_to_id__in=started.values("id"))
    )


def _as_posts(queryset: QuerySet[SocialPost]) -> list[social.Post]:
    return [
        social.Post(*row)
        for row in queryset.order_by().values_list(
            "id", "in_reply_to_id", "from_organisation", "posted_at", "label"
        )
    ]


def _calendar(posts: list[social.Post]) -> Calendar:
    """The social channel's business hours for these posts' years (and the next, for
    an answer after New Year): its opening hours, public holidays, closing days."""
    years = {p.posted_at.year for p in posts} or {timezone.localdate().year}
    return channel_calendar("social", range(min(years), max(years) + 2))


def social_figures(since: date | None, until: date | None) -> social.SocialFigures:
    posts = _as_posts(_posts(since, until))
    return social.social_figures(posts, _calendar(posts))


def social_months(since: date, until: date) -> list[tuple[date, social.SocialFigures]]:
    """The figures of each calendar month in [since, until), by the month a thread started."""
    posts = _as_posts(_posts(since, until))
    start_month = {
        p.id: timezone.localtime(p.posted_at).date().replace(day=1)
        for p in posts
        if p.parent_id is None
    }
    by_month: dict[date, list[social.Post]] = defaultdict(list)
    for p in posts:
        month = start_month.get(p.id if p.parent_id is None else p.parent_id)
        if month is not None:
            by_month[month].append(p)
    calendar = _calendar(posts)
    return [
        (month, social.social_figures(group, calendar)) for month, group in sorted(by_month.items())
    ]


def recent_threads(since: date | None, until: date | None, limit: int = 20) -> list[SocialPost]:
    started = SocialPost.objects.filter(in_reply_to__isnull=True, from_organisation=False)
    if since:
        started = started.filter(posted_at__date__gte=since)
    if until:
        started = started.filter(posted_at__date__lt=until)
    return list(started.prefetch_related("replies").order_by("-posted_at")[:limit])
