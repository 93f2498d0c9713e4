"""The cross-organisation benchmark read, in one place: the sector's disclosure-safe cells
(metrics/disclosure.py) and the driver targets taken from them. The only analytics
module that reads other organisations' rows, always aggregated and never one peer's."""

from __future__ import annotations

import dataclasses
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from klantpeil.analytics.selectors import SURVEY, TARGET
from klantpeil.collection.selectors import (
    MeasurementFilter,
)
from klantpeil.core.tenancy import require_organisation, unit_limited
from klantpeil.instruments.models import Driver, Question
from klantpeil.metrics import disclosure
from klantpeil.metrics.periods import parse_period
from klantpeil.organisations.models import Channel, ChannelKind, Organisation
from klantpeil.rollups import reader


@dataclass(frozen=True)
class SectorRow:
    """One channel's grid cell as the current organisation may see it."""

    channel: str | None  # channel kind; None: all channels
    label: str
    cell: disclosure.Cell


@dataclass(frozen=True)
class SectorComparison:
    """The sector benchmark of one grid period (``metrics/disclosure.py``)."""

    period: disclosure.GridPeriod | None  # None: the request was refused
    requested: str | None  # the period asked for, when it was not itself a grid cell
    refused: str  # why no grid cell fits the request ("" when one does)
    rows: list[SectorRow]


def _benchmark_secret() -> bytes:
    """The cell key's secret: without it nobody can recompute (and subtract) the noise."""
    from django.conf import settings

    return hmac.new(settings.SECRET_KEY.encode(), b"klantpeil-benchmark", "sha256").digest()


def benchmark_grid(filters: MeasurementFilter) -> tuple[disclosure.GridPeriod, bool]:
    """The grid period a request maps to, and whether it was mapped.

    Benchmarks compare whole organisations on a fixed grid: a unit filter is
    refused, and so is a period that is wider than a year or not over yet
    (``OffGrid``, a ValueError with the reason). ``since``/``until`` are ignored:
    they are the pages' default window (the API refuses them itself); without a
    period the latest quarter that is over is shown.
    """
    today = timezone.localdate()
    # A member limited to units sees no sector comparison at all: its one figure is
    # the whole organisation's position, which is not theirs to see.
    if filters.unit or unit_limited():
        raise disclosure.OffGrid(
            "unit",
            "benchmarks compare whole organisations; leave out the unit",
            disclosure.latest_complete_quarter(today),
        )
    if not filters.period:
        return disclosure.grid_period(None, None, today=today)
    period = parse_period(filters.period)
    return disclosure.grid_period(period.start, period.end, today=today)


def _sector_sums(
    period: disclosure.GridPeriod, channel: str | None, keys: Iterable[str]
) -> dict[tuple[int, str], list[float]]:
    """Per organisation of the current organisation's sector and question key: the
    number and the sum of the numeric answers in one grid cell.

    THE one read across organisations for benchmarks (the rollup reader, given the
    peers): its result never leaves this module except through the disclosure rules.
    Sums come from the rollups plus what the worker has not folded in yet.
    """
    organisation = require_organisation()
    peers = list(
        Organisation.objects.filter(sector_id=organisation.sector_id).values_list("pk", flat=True)
    )
    sums = reader.answer_sums(
        keys=keys,
        organisations=peers,
        instrument=SURVEY,
        days=reader.Days(period.start, period.end - timedelta(days=1)),
        channel=channel,
        by=("organisation", "key"),
    )
    return {group: [row["n"], row["total"]] for group, row in sums.items()}


def _cell(
    contributions: list[disclosure.Contribution], figure: str, channel: str | None, period
) -> disclosure.Cell:
    organisation = require_organisation()
    return disclosure.protected_cell(
        contributions,
        organisation.pk,
        secret=_benchmark_secret(),
        label=f"{organisation.sector_id}|{channel or 'all'}|{period.label}|{figure}",
    )


def _grade_cell(period: disclosure.GridPeriod, channel: str | None) -> disclosure.Cell:
    sums = _sector_sums(period, channel, [TARGET])
    contributions = [
        disclosure.Contribution(owner, int(n), total / n)
        for (owner, _), (n, total) in sums.items()
        if n
    ]
    return _cell(contributions, TARGET, channel, period)


def sector_grade_benchmark(filters: MeasurementFilter) -> disclosure.Cell:
    """The overall grade of the current organisation against its sector, in the grid
    cell of ``filters`` (period and channel); raises ``OffGrid`` for a request that has
    none. Only what ``metrics.disclosure`` lets through: noisy, rounded quartile edges,
    the own band and the rule that suppressed a cell; never a peer's figure."""
    period, _mapped = benchmark_grid(filters)
    return _grade_cell(period, filters.channel)


def _offgrid_message(error: disclosure.OffGrid, requested: str | None) -> str:
    from django.utils.translation import gettext

    if error.code == "unit":
        return gettext(
            "The sector comparison is for whole organisations: it is not shown for a single unit."
        )
    if error.code == "incomplete":
        return gettext(
            "Sector figures for %(period)s are published once %(cell)s is over; the latest "
            "are for %(latest)s."
        ) % {"period": requested, "cell": error.cell.label, "latest": error.latest.label}
    return gettext(
        "Sector figures exist per quarter and per calendar year only; %(period)s is neither "
        "inside one quarter nor inside one year. The latest are for %(latest)s."
    ) % {"period": requested, "latest": error.latest.label}


def sector_grade_benchmarks(
    filters: MeasurementFilter, *, per_channel: bool = True
) -> SectorComparison:
    """The sector position over all channels, then per channel the organisation has,
    in the grid cell of ``filters``; a request off the grid gives the reason instead.

    ``per_channel=False``: only the cell of the filters' channel (all channels when
    none), for the overview's callout."""
    from django.utils.translation import gettext

    try:
        period, mapped = benchmark_grid(filters)
    except disclosure.OffGrid as error:
        return SectorComparison(None, filters.period, _offgrid_message(error, filters.period), [])
    except ValueError as error:  # a period nobody can read: say so, show nothing
        return SectorComparison(None, filters.period, str(error), [])
    if not per_channel:
        label = dict(ChannelKind.choices).get(filters.channel, gettext("All channels"))
        cell = _grade_cell(period, filters.channel)
        return SectorComparison(
            period,
            filters.period if mapped else None,
            "",
            [SectorRow(filters.channel, str(label), cell)],
        )
    kinds = set(Channel.objects.values_list("kind", flat=True))
    rows = [SectorRow(None, gettext("All channels"), _grade_cell(period, None))]
    rows += [
        SectorRow(kind, str(label), _grade_cell(period, kind))
        for kind, label in ChannelKind.choices
        if kind in kinds
    ]
    return SectorComparison(period, filters.period if mapped else None, "", rows)


@dataclass(frozen=True)
class DriverTarget:
    """A disclosure-safe sector target for one driver: the published upper-quartile
    edge (cell-key noise, rounded to 0.1) of the organisations' driver scores."""

    value: float
    period: str
    organisations: int


def sector_driver_targets(filters: MeasurementFilter) -> dict[str, DriverTarget | None]:
    """Per driver, the sector's top quartile as a target for the priority model, or None
    where no disclosure-safe benchmark exists (too few organisations with 30 responses,
    one dominant organisation, or a request off the grid).

    An organisation's driver score is the mean of its items' means in the grid cell of
    ``filters`` (period and channel); the target is that cell's published upper
    quartile edge, the same figure and rules as the benchmark page (``metrics.disclosure``),
    so it never equals a peer's score.
    """
    drivers: dict[str, list[str]] = defaultdict(list)
    for key, driver in (
        Question.objects.filter(version__instrument__key=SURVEY)
        .exclude(driver="")
        .values_list("key", "driver")
        .distinct()
    ):
        if key not in drivers[driver]:
            drivers[driver].append(key)
    empty: dict[str, DriverTarget | None] = dict.fromkeys(Driver.values)
    try:
        period, _mapped = benchmark_grid(dataclasses.replace(filters, unit=None))
    except disclosure.OffGrid:
        return empty
    sums = _sector_sums(period, filters.channel, [k for keys in drivers.values() for k in keys])
    owners = {owner for owner, _ in sums}
    targets = empty
    for driver, keys in drivers.items():
        contributions = []
        for owner in owners:
            items = [sums[owner, k] for k in keys if sums.get((owner, k), [0])[0]]
            if len(items) == len(keys):
                n = int(min(count for count, _ in items))
                score = sum(total / count for count, total in items) / len(items)
                contributions.append(disclosure.Contribution(owner, n, score))
        cell = _cell(contributions, driver, filters.channel, period)
        targets[driver] = (
            DriverTarget(cell.edges.q3, period.label, cell.organisations)
            if cell.edges is not None and cell.organisations
            else None
        )
    return targets
