"""From a figure to the measurements behind it: the list's extra filters and the links.

A figure's link carries the page's filters (period, channel, unit) plus what narrows the
figure's base: the instrument (the customer survey, the mystery-call protocol) and the
method. The list reads them back here and refuses what it cannot honour, by name.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from klantpeil.collection.models import Measurement
from klantpeil.collection.selectors import MeasurementFilter
from klantpeil.instruments.models import Method, Question, localised
from klantpeil.instruments.selectors import instruments

NARROWING = ("instrument", "method", "yes", "answered")


def drilldown_narrowing(request: HttpRequest) -> tuple[dict[str, str | None], list[str]]:
    """What narrows the list beyond the page's filters, and a message per unknown value.

    ``instrument`` and ``method`` by key; ``yes`` (a measurement point answered yes) and
    ``answered`` (answered at all) by question key, the base of a share such as
    "callbacks kept" (only calls with a promised callback).
    """
    narrow = {name: request.GET.get(name) or None for name in NARROWING}
    problems = []
    if narrow["instrument"] and not instruments().filter(key=narrow["instrument"]).exists():
        problems.append(
            _("Instrument: there is no instrument %(key)s.") % {"key": narrow["instrument"]}
        )
    if narrow["method"] and narrow["method"] not in Method.values:
        problems.append(_("Method: there is no method %(key)s.") % {"key": narrow["method"]})
    for name in ("yes", "answered"):
        key = narrow[name]
        # Only the questions of instruments this organisation can see: another
        # organisation's question keys are none of its business.
        visible = Question.objects.filter(version__instrument__in=instruments())
        if key and not visible.filter(key=key).exists():
            problems.append(_("Question: there is no question %(key)s.") % {"key": key})
    return narrow, problems


def described(narrow: dict[str, str | None]) -> list[str]:
    """The narrowing in words, for the list's heading: the instrument's and the measurement
    point's names in the page's language, not their keys."""
    words = []
    if narrow.get("instrument"):
        found = instruments().filter(key=narrow["instrument"]).first()
        name = localised(found.name_nl, found.name_en) if found else narrow["instrument"]
        words.append(_("instrument: %(name)s") % {"name": name})
    if narrow.get("method"):
        words.append(_("method: %(name)s") % {"name": Method(narrow["method"]).label})
    visible = Question.objects.filter(version__instrument__in=instruments())
    for kind, text in (
        ("yes", _("answered yes to: %(question)s")),
        ("answered", _("answered: %(question)s")),
    ):
        if narrow.get(kind):
            question = visible.filter(key=narrow[kind]).order_by("-version_id").first()
            words.append(text % {"question": question.label if question else narrow[kind]})
    return words


def narrowed(queryset: QuerySet[Measurement], narrow: dict[str, str | None]) -> QuerySet:
    """``queryset`` limited to the answers ``yes`` and ``answered`` ask for."""
    if narrow.get("yes"):
        queryset = queryset.filter(answers__question__key=narrow["yes"], answers__number=1)
    if narrow.get("answered"):
        queryset = queryset.filter(
            answers__question__key=narrow["answered"], answers__number__isnull=False
        )
    return queryset


def drilldown_url(org: str, filters: MeasurementFilter, **narrow: str | None) -> str:
    """The measurement list with the page's ``filters`` and ``narrow`` (instrument, method)."""
    # No since/until: without a period the list takes the same default window as the page.
    query = {"period": filters.period, "channel": filters.channel, "unit": filters.unit, **narrow}
    kept = {k: v for k, v in query.items() if v}
    url = reverse("app:measurements", kwargs={"org": org})
    return f"{url}?{urlencode(kept)}" if kept else url
