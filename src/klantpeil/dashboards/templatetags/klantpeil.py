"""Small template filters for figures people read."""

from datetime import datetime

from django import template
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from klantpeil.core import dates, numbers
from klantpeil.metrics.disclosure import MIN_GROUP, below_minimum_group
from klantpeil.metrics.stats import MIN_N, Estimate

register = template.Library()


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def percent(value: float | None, digits: int = 0) -> str:
    """0.368 → "37%" (and "36,8%" in Dutch with one digit)."""
    return numbers.percent(value, digits)


@register.filter
def short_date(day) -> str:
    """1 dec 2025 in Dutch, 1 Dec 2025 in English."""
    return "–" if day is None else dates.short_date(day)


@register.filter
def month_year(day) -> str:
    """dec 2025 in Dutch, Dec 2025 in English."""
    return "–" if day is None else dates.month_year(day)


@register.filter
def weekday_time(moment: datetime | None) -> str:
    """ "di 1 dec 09:30" in Dutch, "Tue 1 Dec 09:30" in English (local time).

    Django's "M" capitalises the month in every language; Dutch writes it in lower case.
    """
    if moment is None:
        return "–"
    month = "b" if (translation.get_language() or "nl").startswith("nl") else "M"
    return formats.date_format(timezone.localtime(moment), f"D j {month} H:i")


def _margin(margin: float, digits: int) -> str:
    # "6,8 ± 0,0" reads as "exact"; a margin that rounds to nothing gets one more digit.
    shown = numbers.rounded(margin, digits)
    return numbers.decimal(margin, digits if shown or digits >= 3 else digits + 1)


def _reads_symmetric(e: Estimate, digits: int) -> bool:
    """Both sides of the interval read the same at the digits shown (so "±" is true).

    The adjusted Wald NPS interval is a little off-centre even at large n (−25 from
    −27.3 to −22.6 reads "± 2"); a limited or clearly skewed one does not.
    """
    if e.symmetric:
        return True
    below, above = e.value - e.ci_low, e.ci_high - e.value
    return numbers.rounded(below, digits) == numbers.rounded(above, digits)


@register.simple_tag
def estimate(e: Estimate | None, digits: int = 1) -> str:
    """A figure with its interval as people should read it.

    - symmetric interval: "7,4 ± 0,3";
    - limited by the scale or skewed (NPS near −100, Wilson): its bounds, "−83 (−100 to −54)";
    - an interval wider than the documented limit (stats.MAX_INTERVAL_SHARE), or a single
      answer: "too few responses (n = 2)" instead of a number;
    - a group below the minimum (metrics.disclosure.MIN_GROUP, 5 answers): "too few
      responses (n < 5)", whatever its interval;
    - fewer than MIN_N answers: marked with an asterisk that says why.
    """
    if e is None or e.value is None:
        return "–"
    if e.too_wide:
        return format_html(
            '<span class="too-few">{}</span> <small>(n = {})</small>',
            _("too few responses"),
            e.n,
        )
    if below_minimum_group(e.n):
        return too_few_group()
    value = numbers.decimal(e.value, digits)
    if _reads_symmetric(e, digits):
        interval = format_html("± {}", _margin(e.margin, digits))
    else:
        interval = format_html(
            "({})",
            _("%(low)s to %(high)s")
            % {
                "low": numbers.decimal(e.ci_low, digits),
                "high": numbers.decimal(e.ci_high, digits),
            },
        )
    mark = ""
    if e.small_sample:
        mark = format_html(
            ' <abbr class="small-n" title="{}">*</abbr>',
            _("fewer than %(min_n)s responses: read with care") % {"min_n": MIN_N},
        )
    return format_html("{} <small>{}</small>{}", value, interval, mark)


@register.simple_tag(takes_context=True)
def sort_header(context, column: str, label: str) -> str:
    """A column header that sorts the table by ``column`` (a second click reverses it),
    with ``aria-sort`` on the column the table is sorted by."""
    current = context.get("sort", "")
    descending = current == f"-{column}"
    active = current in (column, f"-{column}")
    target = f"-{column}" if current == column else column
    query = context.get("sort_query", "")
    href = f"?{query}&sort={target}" if query else f"?sort={target}"
    state = ("descending" if descending else "ascending") if active else None
    arrow = ("▼" if descending else "▲") if active else ""
    return format_html(
        '<th scope="col"{}><a href="{}">{}</a>{}</th>',
        format_html(' aria-sort="{}"', state) if state else "",
        href,
        label,
        format_html(' <span aria-hidden="true">{}</span>', arrow) if arrow else "",
    )


@register.simple_tag
def too_few_group() -> str:
    """What a group below the minimum shows instead of any figure (and of its exact n)."""
    return format_html(
        '<span class="too-few">{}</span> <small>(n &lt; {})</small>',
        _("too few responses"),
        MIN_GROUP,
    )


@register.simple_tag
def share_estimate(e: Estimate | None, digits: int = 0) -> str:
    """A share as a percentage with its (Wilson) bounds, "37% (31%–44%)", under the same
    rules as :func:`estimate`: nothing for a group below the minimum."""
    if e is None or e.value is None:
        return "–"
    if below_minimum_group(e.n):
        return too_few_group()
    return format_html(
        "{} <small>({}–{})</small>",
        numbers.percent(e.value, digits),
        numbers.percent(e.ci_low, digits),
        numbers.percent(e.ci_high, digits),
    )
