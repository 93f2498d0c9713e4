"""Reads for the analyst's view across the organisations they serve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from klantpeil.accounts.models import Membership
from klantpeil.accounts.permissions import READ_DATA
from klantpeil.analytics.selectors import ChannelKpis, first_customer_day, survey_summary
from klantpeil.core.tenancy import tenant
from klantpeil.dashboards.filters import PageFilters, compare
from klantpeil.fieldwork.reachability_selectors import reachability
from klantpeil.metrics.significance import Difference
from klantpeil.metrics.stats import Estimate
from klantpeil.organisations.models import Organisation


@dataclass(frozen=True)
class PortfolioRow:
    organisation: Organisation
    role: str
    overall: ChannelKpis
    change: Difference | None
    no_change: str  # why there is no change ("" when there is one)
    weakest: ChannelKpis | None  # the channel with the lowest grade (30+ responses)
    helped: Estimate | None  # mystery callers helped, where calls were made


def portfolio(memberships: Iterable[Membership], filters: PageFilters) -> list[PortfolioRow]:
    """One row per organisation the user may read, each computed inside its own tenant
    (the same reads as its overview), so nothing crosses between organisations."""
    rows = []
    memberships = [m for m in memberships if m.role in READ_DATA]
    scopes = Membership.unit_scopes(memberships)
    for membership in memberships:
        with tenant(membership.organisation, scopes.get(membership.pk)):
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


def _sort_value(row: PortfolioRow, column: str):
    """The figure a column sorts by (None when the organisation has none)."""
    return {
        "name": row.organisation.name.casefold(),
        "sector": row.organisation.sector.key,
        "grade": row.overall.grade.value,
        "change": row.change.difference if row.change else None,
        "nps": row.overall.nps.value,
        "weakest": row.weakest.grade.value if row.weakest else None,
        "helped": row.helped.value if row.helped else None,
        "n": row.overall.grade.n,
    }[column]


PORTFOLIO_SORTS = ("name", "sector", "grade", "change", "nps", "weakest", "helped", "n")


def sort_portfolio(rows: list[PortfolioRow], sort: str) -> list[PortfolioRow]:
    """Rows by ``sort`` (a column name, "-" in front for descending); empty cells last
    either way, the name breaking ties. An unknown column raises ValueError."""
    column = sort.removeprefix("-")
    if column not in PORTFOLIO_SORTS:
        raise ValueError(f"cannot sort by {sort!r}; choose one of {', '.join(PORTFOLIO_SORTS)}")
    by_name = sorted(rows, key=lambda r: r.organisation.name.casefold())
    filled = [r for r in by_name if _sort_value(r, column) is not None]
    empty = [r for r in by_name if _sort_value(r, column) is None]
    filled.sort(key=lambda r: _sort_value(r, column), reverse=sort.startswith("-"))
    return filled + empty


def portfolio_table(rows: list[PortfolioRow]) -> tuple[list[str], list[list]]:
    """The portfolio as a sheet: a header and one row of plain values per organisation."""
    header = [
        "organisation", "sector", "grade", "grade_ci_low", "grade_ci_high", "grade_n",
        "change", "change_significant", "nps", "nps_ci_low", "nps_ci_high",
        "weakest_channel", "weakest_channel_grade", "caller_helped", "caller_helped_n",
    ]  # fmt: skip
    body = []
    for r in rows:
        grade, nps = r.overall.grade, r.overall.nps
        body.append(
            [
                r.organisation.name,
                r.organisation.sector.key,
                grade.value,
                grade.ci_low,
                grade.ci_high,
                grade.n,
                r.change.difference if r.change else None,
                r.change.significant if r.change else None,
                nps.value,
                nps.ci_low,
                nps.ci_high,
                r.weakest.kind if r.weakest else None,
                r.weakest.grade.value if r.weakest else None,
                r.helped.value if r.helped else None,
                r.helped.n if r.helped else None,
            ]
        )
    return header, body


def service_overview() -> dict[str, int]:
    """What the operator runs, in counts: organisations, people, sectors.

    Counts only, no organisation's figures: the operator's page is about running the
    service; the data itself stays behind the organisations' own logins.
    """
    from klantpeil.accounts.models import Membership, User
    from klantpeil.organisations.models import Organisation, Sector

    return {
        "organisations": Organisation.objects.count(),
        # Sectors with organisations: the taxonomy ships with more than are served.
        "sectors": Sector.objects.filter(organisations__isnull=False).distinct().count(),
        "users": User.objects.filter(is_active=True).count(),
        "members": Membership.objects.values("user").distinct().count(),
    }
