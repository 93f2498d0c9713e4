"""The comments page and the social-media page. Organisation scoping happens in TenantMiddleware."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, role_required
from klantpeil.core.tenancy import unit_limited
from klantpeil.dashboards.charts import month_status
from klantpeil.dashboards.figures import month_notes
from klantpeil.dashboards.filters import PageFilters, own_channels, page_filters
from klantpeil.dataio.views import UPLOAD_HINT
from klantpeil.organisations.models import ChannelKind
from klantpeil.organisations.selectors import unit_tree
from klantpeil.textanalysis import charts, selectors, services
from klantpeil.textanalysis.highlight import segments
from klantpeil.textanalysis.models import COMMENT_DRIVERS, Sentiment
from klantpeil.textanalysis.social_import import SocialImportError, check_social_size

PAGE_SIZE = 25
LANGUAGE_NAMES = {
    "nl": gettext_lazy("Dutch"),
    "en": gettext_lazy("English"),
    "de": gettext_lazy("German"),
    "fr": gettext_lazy("French"),
    "und": gettext_lazy("Undetermined"),
}
FILTER_KEYS = ("q", "period", "channel", "unit", "sentiment", "driver", "language")


def _period_range(request: HttpRequest) -> tuple[date, date, str, PageFilters]:
    """The chosen period as [start, end) and an error message, read by the dashboards'
    shared filters (the same forms, errors and default window: the last twelve months)."""
    filters = page_filters(request, channels=False, units=False, first_day=None)
    if filters.error:
        today = timezone.localdate()
        return today, today, filters.errors.get("period") or filters.error, filters
    return filters.window.start, filters.window.end, "", filters


@dataclass
class CommentRow:
    annotation: object
    pieces: list[tuple[str, str]]
    grade: float | None
    nps: float | None


def _choice(value: str | None, allowed: set[str]) -> str:
    return value if value in allowed else ""


@role_required(READ_DATA)
def comments_page(request: HttpRequest, org: str) -> HttpResponse:
    """Open comments, searchable and filterable, with what drove their sentiment marked."""
    get = request.GET
    # A NUL means nothing in a filter or a search, and PostgreSQL cannot compare with it.
    values = {key: (get.get(key) or "").replace("\x00", "").strip() for key in FILTER_KEYS}
    values["sentiment"] = _choice(values["sentiment"], set(Sentiment.values))
    values["driver"] = _choice(values["driver"], {value for value, _label in COMMENT_DRIVERS})
    values["channel"] = _choice(values["channel"], set(ChannelKind.values))
    # The shared filters read period, channel and unit (errors beside the field, and no
    # comments at all rather than all comments when one cannot be read).
    shared = page_filters(request, first_day=None)
    error = shared.error
    measurements = shared.current
    filters = selectors.CommentFilter(
        measurements=measurements,
        search=values["q"],
        sentiment=values["sentiment"],
        driver=values["driver"],
        language=values["language"],
    )
    found = selectors.comments(filters)
    if error:
        found = found.none()
    page = Paginator(found, PAGE_SIZE).get_page(get.get("page"))
    scores = selectors.scores_of([a.measurement_id for a in page])
    rows = [
        CommentRow(
            a,
            segments(a.answer.text or "", a.spans),
            scores.get(a.measurement_id, {}).get("overall_grade"),
            scores.get(a.measurement_id, {}).get("nps"),
        )
        for a in page
    ]
    # The trend shows the mix of sentiments, so it ignores the sentiment filter.
    trend = [] if error else selectors.sentiment_trend(dataclasses.replace(filters, sentiment=""))
    today = timezone.localdate()
    window = shared.window
    notes = month_notes()
    statuses = [
        month_status(
            p.month,
            p.n,
            today=today,
            first=window.start if window else None,
            last=window.last_day if window else None,
        )
        for p in trend
    ]
    labels = dict(Sentiment.choices)
    spec = charts.mood_trend(
        [
            {
                "month": p.month.isoformat(),
                "channel": p.label,
                "channel_key": p.channel,
                "mood": round(p.mood, 3),
                "n": p.n,
                "negative": p.negative,
                "positive": p.positive,
                "status": status,
                "note": notes[status],
            }
            for p, status in zip(trend, statuses, strict=True)
        ],
        titles={
            "channel": _("Channel"),
            "month": _("Month"),
            "mood": _("Mood (1 negative – 3 positive)"),
            "negative": str(labels["negative"]),
            "positive": str(labels["positive"]),
            "note": _("Note"),
        },
    )
    kept = {k: v for k, v in values.items() if v}
    return render(
        request,
        "textanalysis/comments.html",
        {
            "values": values,
            "error": error,
            "filters": shared,
            "trend_rows": list(zip(trend, statuses, strict=True)),
            "page": page,
            "rows": rows,
            "counts": selectors.label_counts(found),
            "total": page.paginator.count,
            "trend": trend,
            "trend_spec": spec if trend else None,
            "channels": own_channels(),
            "units": unit_tree().nodes(),
            "sentiments": Sentiment.choices,
            "drivers": COMMENT_DRIVERS,
            "driver_labels": dict(COMMENT_DRIVERS),
            "languages": [
                (code, LANGUAGE_NAMES.get(code, code)) for code in selectors.languages_present()
            ],
            "language_names": LANGUAGE_NAMES,
            "query": urlencode(kept),
        },
    )


class SocialImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Export file (CSV or X JSON)"), help_text=UPLOAD_HINT)
    handles = forms.CharField(
        label=gettext_lazy("The organisation's own accounts (comma-separated)"),
        required=False,
        max_length=300,
    )


@role_required(READ_DATA)
def social_page(request: HttpRequest, org: str) -> HttpResponse:
    """Volume, mood, share answered and response time of social-media posts per month."""
    period = (request.GET.get("period") or "").strip()
    since, until, error, shared = _period_range(request)
    form = SocialImportForm()
    if request.method == "POST":
        if request.membership.role not in MANAGE_DATA or unit_limited():
            raise PermissionDenied  # managing data is for whole-organisation members
        form = SocialImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            handles = [h.strip() for h in form.cleaned_data["handles"].split(",") if h.strip()]
            try:
                check_social_size(upload.size)  # before a byte is read
                result = services.import_social_posts(
                    data=upload.read(), filename=upload.name, own_handles=handles
                )
            except SocialImportError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(
                    request,
                    _("%(created)d posts imported, %(skipped)d were already there.")
                    % {"created": result.created, "skipped": result.already_there},
                )
                return redirect(request.get_full_path())
    months = [] if error else selectors.social_months(since, until)
    today = timezone.localdate()
    return render(
        request,
        "textanalysis/social.html",
        {
            "period": period,
            "error": error,
            "filters": shared,
            "months": months,
            # The running month and a month only partly in the period are marked "so far".
            "month_status": {
                month: month_status(
                    month, figures.volume, today=today, first=since, last=until - timedelta(days=1)
                )
                for month, figures in months
            },
            "total": None if error else selectors.social_figures(since, until),
            "threads": [] if error else selectors.recent_threads(since, until),
            "form": form,
        },
    )
