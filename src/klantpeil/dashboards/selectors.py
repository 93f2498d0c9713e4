"""Reads for the analyst's view across the organisations they serve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from klantpeil.accounts.models import Membership
from klantpeil.accounts.permissions import READ_DATA
from klantpeil.analytics.reachability import Kpi
from klantpeil.analytics.selectors import ChannelKpis, reachability, survey_summary
from klantpeil.analytics.significance import Difference
from klantpeil.core.tenancy import tenant
from klantpeil.dashboards.filters import PageFilters
from klantpeil.organisations.models import Organisation


@dataclass(frozen=True)
class PortfolioRow:
    organisation: Organisation
    role: str
    overall: ChannelKpis
    change: Difference | None
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
            survey = survey_summary(filters.current, filters.previous)
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
                    weakest=min(rated, key=lambda c: c.grade.value) if rated else None,
                    helped=helped if helped.n else None,
                )
            )
    return rows


def service_overview() -> dict[str, int]:
    """What the operator runs, in counts: organisations, people, sectors.

    Counts only, no organisation's figures: the operator's page is about running the
    service; the data itself stays behind the organisations' own logins.
    """
    from klantpeil.accounts.models import Membership, User
    from klantpeil.organisations.models import Organisation, Sector

    return {
        "organisations": Organisation.objects.count(),
        "sectors": Sector.objects.count(),
        "users": User.objects.filter(is_active=True).count(),
        "members": Membership.objects.values("user").distinct().count(),
    }
