"""Reads for the analyst's view across the organisations they serve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from klantpeil.accounts.models import Membership
from klantpeil.accounts.permissions import READ_DATA
from klantpeil.analytics.reachability import Kpi
from klantpeil.analytics.selectors import (
    ChannelKpis,
    first_customer_day,
    reachability,
    survey_summary,
)
from klantpeil.analytics.significance import Difference
from klantpeil.core.tenancy import tenant
from klantpeil.dashboards.filters import PageFilters, compare
from klantpeil.organisations.models import Organisation


@dataclass(frozen=True)
class PortfolioRow:
    organisation: Organisation
    role: str
    overall: ChannelKpis
    change: Difference | None
    no_change: str  # why there is no change ("" when there is one)
    weakest: ChannelKpis | None  # the channel with the lowest grade (30+ responses)
    helped: Kpi | None  # mystery callers helped, where calls were made


def portfolio(memberships: Iterable[Membership], filters: PageFilters) -> list[PortfolioRow]:
    """One row per organisation the user may read, each computed inside its own tenant
    (the same reads as its overview), so nothing crosses between organisations."""
    rows = []
    for membership in memberships:
        if membership.role not in READ_DATA:
            continue
        with tenant(membership.organisation):
            # Like for like, per organisation: its own first day decides whether the
            # earlier span is covered in full (no change shown when it is not).
            comparison = compare(
                filters.window, filters.today, first_customer_day(), default=not filters.period
            )
            survey = survey_summary(
                filters.current, comparison.previous, compared=comparison.current
            )
            rated = [
                c for c in survey.channels if c.grade.value is not None and not c.grade.small_sample
            ]
            calls, _norms = reachability(filters.current)
            helped = calls["helped_rate"]
            rows.append(
                PortfolioRow(
                    organisation=membership.organisation,
                    role=membership.get_role_display(),
                    overall=survey.overall,
                    change=survey.grade_change,
                    no_change=comparison.reason,
                    weakest=min(rated, key=lambda c: c.grade.value) if rated else None,
                    helped=helped if helped.n else None,
                )
            )
    return rows
