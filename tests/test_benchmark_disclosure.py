"""The intruder test of sector benchmarks (issue 20; reference/disclosure-control.md).

Three constructed sectors of 5, 6 and 7 organisations, each organisation with
realistic small and large numbers of responses per channel and quarter,
including the Wadderveen letter case (Q1 4.75 = Oosterbroek, median 6.5 =
Veldhuizen, Q3 7.0 = Schoorlanden, 5 x 5.85 - the rest = Lindehaven's 3.0) and
a newcomer whose only letter response falls on the last day of a quarter. For
every organisation in turn, the test collects everything it can see through the
real HTTP layer and the report code -- the API's benchmark answers, the benchmark
page and the overview's sector sentence, the report's XLSX sheet and cover text --
for every period it may ask for (quarters, years, months, since/until windows,
the default) and every channel, and then tries to reconstruct each peer's own
figure: a published quantile read as the contributor at its rank (linear
interpolation and nearest rank, solving with its own figure where a quantile
falls between two organisations), k x mean minus its own figure and the peers
already found, min/max, and differencing nested requests (k_A x mean_A -
k_B x mean_B for the one organisation that is in A but not in B). The intruder
is given more than it could know: its own exact figures and, for free, which
organisation sits at which rank. A reconstruction counts when it is within 0.05
of the peer's true figure.

The intruder knows how the system computes its quantiles (the API says so in
``quantile_method``; without it, numpy's default linear interpolation), and takes
the published figure itself as its estimate (the noise's sign is unknown).

Checked against main's code first (commit 6b1d136, before this change, with this
file copied into an export of it): the attack reconstructs 2,878 peer figures, for
all 18 organisations as intruder and from every surface (API 1,580, page 814,
XLSX 278, overview 138, report cover 26, differencing 42), among them the
Wadderveen letter case exactly (4.75, 6.5 and 7.0 from the quartiles, 3.0 from
5 x mean - the rest) and the newcomer's single letter grade 9 from two since/until
windows. With the disclosure rules it reconstructs none.
"""

from __future__ import annotations

import io
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import numpy as np
import pytest
from django.utils import timezone

from klantpeil.accounts.services import issue_api_token
from klantpeil.collection.models import Answer, Measurement
from klantpeil.core.tenancy import tenant
from klantpeil.instruments.models import Instrument, Question
from klantpeil.metrics.periods import parse_period
from klantpeil.organisations.models import Channel, Organisation, Sector
from klantpeil.rollups import services as rollups

CHANNELS = ("phone", "email", "letter")
LABELS = {"All channels": None, "Phone": "phone", "E-mail": "email", "Letter": "letter"}
TOLERANCE = 0.05


# ------------------------------------------------------------------ the sectors


def _quarter(day: date) -> tuple[date, date]:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + 1, 1, 1) if q == 3 else date(day.year, 3 * q + 4, 1)
    return start, end


@dataclass
class World:
    today: date
    quarters: list[tuple[date, date]]  # previous, latest complete, running
    organisations: dict[int, Organisation] = field(default_factory=dict)
    sector_of: dict[int, int] = field(default_factory=dict)
    # (org, channel, day) -> grades
    grades: dict[tuple[int, str, date], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def figure(self, org: int, channel: str | None, start: date, end: date):
        """(n, mean) of one organisation in [start, end) for a channel (None: all)."""
        values = [
            g
            for (o, c, d), gs in self.grades.items()
            if o == org and (channel is None or c == channel) and start <= d < end
            for g in gs
        ]
        return len(values), (sum(values) / len(values) if values else None)


def _grades_with_mean(rng, n: int, mean: float) -> list[int]:
    """n integer grades 1-10 around ``mean``."""
    values = np.clip(np.rint(rng.normal(mean, 1.4, n)), 1, 10).astype(int).tolist()
    return values


def _build() -> World:
    today = timezone.localdate()
    running = _quarter(today)
    latest = _quarter(running[0] - timedelta(days=1))
    previous = _quarter(latest[0] - timedelta(days=1))
    world = World(today, [previous, latest, running])
    rng = np.random.default_rng(20)
    survey = Instrument.unscoped_all_tenants.get(key="customer-survey", organisation__isnull=True)
    version = survey.versions.order_by("-number").first()
    question = Question.objects.get(version=version, key="overall_grade")

    def day_in(quarter, k):
        start, end = quarter
        last = min(end, today) - timedelta(days=1)
        span = max((last - start).days, 0)
        return start + timedelta(days=int(k) % (span + 1))

    sectors = {
        "five": ["Wadderveen", "Oosterbroek", "Lindehaven", "Veldhuizen", "Schoorlanden"],
        "six": ["De Linde", "Thuisbaak", "Rivierenland", "Huisvast", "Woonpoort", "Dijkhuis"],
        "seven": ["Polder", "Hoogland", "Zonnedelta", "NetWater", "Groenvolt", "Kade", "Nieuw"],
    }
    for key, names in sectors.items():
        sector = Sector.objects.create(key=f"t-{key}", name_nl=key, name_en=key)
        for name in names:
            org = Organisation.objects.create(slug=f"t-{name.lower().replace(' ', '-')}",
                                              name=name, sector=sector)  # fmt: skip
            world.organisations[org.pk] = org
            world.sector_of[org.pk] = sector.pk
            for kind in CHANNELS:
                Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
            level = rng.uniform(5.8, 7.8)
            for qi, quarter in enumerate(world.quarters):
                for kind in CHANNELS:
                    if name == "Nieuw":  # the newcomer: one letter answer, last day of Q
                        if kind == "letter" and qi == 1:
                            world.grades[org.pk, kind, quarter[1] - timedelta(days=1)] += [9]
                        continue
                    size = {"phone": (25, 400), "email": (8, 90), "letter": (1, 7)}[kind]
                    n = int(rng.integers(*size))
                    if qi == 2:
                        n = max(1, n // 3)
                    values = _grades_with_mean(rng, n, level + rng.normal(0, 0.3))
                    for i, g in enumerate(values):
                        world.grades[org.pk, kind, day_in(quarter, i * 7 + qi)].append(g)
    # The Wadderveen letter case in the latest complete quarter, exactly as in the letter.
    letter_case = {
        "Wadderveen": [8, 8],
        "Oosterbroek": [4, 5, 5, 5],  # 4.75
        "Lindehaven": [3, 3, 3],  # 3.0
        "Veldhuizen": [6, 7],  # 6.5
        "Schoorlanden": [7],  # 7.0
    }
    for pk, org in world.organisations.items():
        if org.name in letter_case:
            for k in [k for k in world.grades if k[0] == pk and k[1] == "letter"]:
                if latest[0] <= k[2] < latest[1]:
                    del world.grades[k]
            world.grades[pk, "letter", latest[0] + timedelta(days=40)] = list(letter_case[org.name])
    channels = {(c.organisation_id, c.kind): c.pk for c in Channel.unscoped_all_tenants.all()}
    rows = [
        (Measurement(
            organisation_id=org,
            instrument_version=version,
            method="customer_survey",
            channel_id=channels[org, kind],
            occurred_at=datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
            source="import",
        ), g)
        for (org, kind, day), values in world.grades.items()
        for g in values
    ]  # fmt: skip
    made = Measurement.unscoped_all_tenants.bulk_create([m for m, _ in rows], batch_size=2000)
    Answer.unscoped_all_tenants.bulk_create(
        [
            Answer(organisation_id=m.organisation_id, measurement=m, question=question, number=g)
            for m, (_, g) in zip(made, rows, strict=True)
        ],
        batch_size=2000,
    )
    rollups.rebuild_all()
    return world


# ------------------------------------------------------------------ what one sees


@dataclass
class Seen:
    """One published cell as the intruder reads it."""

    viewer: int
    surface: str
    start: date
    end: date
    channel: str | None
    numbers: dict[str, float]


def _range(label: str) -> tuple[date, date]:
    period = parse_period(label)
    return period.start, period.end


def _requests(world: World) -> list[dict]:
    """Every period an intruder may ask for: the default, quarters, years, months and
    since/until windows (the last two overlap the quarters)."""
    asks: list[dict] = [{}]
    years = {q[0].year for q in world.quarters}
    for start, _end in world.quarters:
        asks.append({"period": f"{start.year}-Q{(start.month - 1) // 3 + 1}"})
    month = world.quarters[1][0]
    for _ in range(3):  # the months of the latest complete quarter
        asks.append({"period": f"{month.year}-{month.month:02d}"})
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    asks += [{"period": str(y)} for y in sorted(years)]
    start, end = world.quarters[1]
    last = end - timedelta(days=1)
    asks += [
        {"since": start.isoformat(), "until": last.isoformat()},
        {"since": start.isoformat(), "until": (last - timedelta(days=1)).isoformat()},
        {"since": (start + timedelta(days=1)).isoformat(), "until": last.isoformat()},
    ]
    return asks


def _asked_range(ask: dict, world: World) -> tuple[date, date] | None:
    if "period" in ask:
        return _range(ask["period"])
    if "since" in ask:
        return date.fromisoformat(ask["since"]), date.fromisoformat(ask["until"]) + timedelta(1)
    return date(2000, 1, 1), date(2100, 1, 1)  # the default: all the data, unless told


def _flatten(body, prefix="") -> dict[str, float]:
    out = {}
    if isinstance(body, dict):
        for k, v in body.items():
            if k == "rules":
                continue
            out.update(_flatten(v, f"{prefix}{k}."))
    elif isinstance(body, str) and prefix == "quantile_method.":
        out["nearest_rank"] = float(body == "nearest_rank")
    elif isinstance(body, (int, float)) and not isinstance(body, bool):
        out[prefix.rstrip(".").split(".")[-1]] = float(body)
    return out


def _from_api(client, secret, world, viewer) -> list[Seen]:
    seen = []
    for ask in _requests(world):
        for channel in (None, *CHANNELS):
            query = {**ask, **({"channel": channel} if channel else {})}
            response = client.get(
                "/api/v1/benchmarks/grade", query, HTTP_AUTHORIZATION=f"Bearer {secret}"
            )
            if response.status_code != 200:
                continue
            body = response.json()
            asked = _asked_range(ask, world)
            if isinstance(body.get("period"), str):
                asked = _range(body["period"])  # the grid cell it was mapped to
            seen.append(Seen(viewer, "api", *asked, channel, _flatten(body)))
    return seen


class _Tables(HTMLParser):
    """The cells of every table row, with the column headers of its table."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self.caption = ""
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "thead":
            self._in_head = True
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._in_head:
                self.headers = self._row
            else:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_caption:
            self.caption += data
        if self._cell is not None:
            self._cell.append(data)


NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _named(header: str, text: str) -> dict[str, float]:
    """A table cell read by its column's name."""
    values = [float(x) for x in NUMBER.findall(text.replace(",", ""))]
    h = header.lower()
    if not values:
        return {}
    if "middle half" in h and len(values) >= 2:
        return {"q1": values[0], "q3": values[1]}
    for key, name in (
        ("lower quartile", "q1"),
        ("upper quartile", "q3"),
        ("median", "median"),
        ("mean", "mean"),
        ("lowest", "min"),
        ("highest", "max"),
        ("organisations", "organisations"),
        ("your grade", "own"),
    ):
        if key in h:
            return {name: values[0]}
    return {}


def _from_table(headers, rows, viewer, surface, span, period_column=None) -> list[Seen]:
    seen = []
    for row in rows:
        if not row:
            continue
        cells = dict(zip(headers, row, strict=False))
        label = row[0] if row[0] in LABELS else row[1] if len(row) > 1 else ""
        if label not in LABELS:
            continue
        start, end = span
        if period_column and cells.get(period_column):
            start, end = _range(cells[period_column])
        numbers: dict[str, float] = {}
        for header, text in cells.items():
            if header in (period_column, "Channel"):
                continue
            numbers.update(_named(header, text))
        seen.append(Seen(viewer, surface, start, end, LABELS[label], numbers))
    return seen


GRID_IN_CAPTION = re.compile(r"(\d{4}-Q[1-4]|\d{4})\s*$")


def _from_pages(client, world, viewer, slug) -> list[Seen]:
    seen = []
    for ask in _requests(world):
        if "since" in ask:
            continue  # the pages take a period only
        response = client.get(f"/app/{slug}/benchmark/", ask, HTTP_ACCEPT_LANGUAGE="en")
        parser = _Tables()
        parser.feed(response.content.decode())
        span = _asked_range(ask, world)
        if m := GRID_IN_CAPTION.search(parser.caption.strip()):
            span = _range(m[1])
        seen += _from_table(parser.headers, parser.rows, viewer, "page", span)
        if ask.get("period", "").endswith(("Q1", "Q2", "Q3", "Q4")) or not ask:
            overview = client.get(f"/app/{slug}/", ask, HTTP_ACCEPT_LANGUAGE="en")
            seen += _from_sentence(overview.content.decode(), viewer, "overview", span)
    return seen


def _from_sentence(text: str, viewer, surface, span) -> list[Seen]:
    """The sector sentences of the overview and the report's cover."""
    numbers = {}
    for pattern, names in (
        (r"middle of your sector is (\d+\.\d)", ("median",)),
        (r"sector median (\d+\.\d)", ("median",)),
        (r"score between (\d+\.\d) and (\d+\.\d)", ("q1", "q3")),
        (r"scores about (\d+\.\d) to (\d+\.\d)", ("q1", "q3")),
        (r"of the (\d+) organisations", ("organisations",)),
        (r"\((\d+) organisations", ("organisations",)),
    ):
        if m := re.search(pattern, text):
            numbers.update({n: float(v) for n, v in zip(names, m.groups(), strict=True)})
    return [Seen(viewer, surface, *span, None, numbers)] if numbers else []


def _from_reports(world, viewer) -> list[Seen]:
    from openpyxl import load_workbook

    from klantpeil.reports import content, xlsx

    seen = []
    org = world.organisations[viewer]
    for quarter in world.quarters[:2]:
        label = f"{quarter[0].year}-Q{(quarter[0].month - 1) // 3 + 1}"
        with tenant(org):
            data = content.gather(parse_period(label), lang="en")
            book = load_workbook(io.BytesIO(xlsx.render(data)))
        sheet = book["Benchmark"]
        rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
        period_column = "Period" if "Period" in rows[0] else None
        seen += _from_table(rows[0], rows[1:], viewer, "xlsx", quarter, period_column)
        seen += _from_sentence(" ".join(data.summary), viewer, "report", quarter)
    return seen


# ------------------------------------------------------------------ the attack


def _contributor_sets(world, viewer, seen: Seen) -> list[list[tuple[int, float]]]:
    """The organisations a published count may refer to: with at least one response or
    with at least 30 (whichever has the published size), sorted by figure."""
    sector = world.sector_of[viewer]
    figures = [
        (pk, *world.figure(pk, seen.channel, seen.start, seen.end))
        for pk in world.organisations
        if world.sector_of[pk] == sector
    ]
    out = []
    for minimum in (1, 30):
        members = sorted(((pk, m) for pk, n, m in figures if n >= minimum), key=lambda x: x[1])
        k = seen.numbers.get("organisations")
        if k is None or len(members) == int(k):
            out.append(members)
    return out


def _estimates(world, viewer, seen: Seen, method: str) -> list[tuple[int, float, str]]:
    """(peer, estimated figure, how) from one published cell, reading its quantiles by
    ``method`` (the intruder knows how the system computes them)."""
    found = []
    for members in _contributor_sets(world, viewer, seen):
        k = len(members)
        ranks = {pk: i for i, (pk, _) in enumerate(members)}
        if k < 2:
            continue
        own_rank = ranks.get(viewer)  # None: the intruder is not a contributor here
        own = members[own_rank][1] if own_rank is not None else 0.0
        known: dict[int, float] = {}
        for name, p in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
            if name not in seen.numbers:
                continue
            x = seen.numbers[name]
            if method == "nearest":
                known[max(1, math.ceil(p * k - 1e-12)) - 1] = x
                continue
            h = (k - 1) * p
            lo = math.floor(h)
            w = h - lo
            if w < 1e-9:
                known[lo] = x
            elif own_rank is not None and lo == own_rank:
                known[lo + 1] = (x - (1 - w) * own) / w
            elif own_rank is not None and lo + 1 == own_rank:
                known[lo] = (x - w * own) / (1 - w)
        if "min" in seen.numbers:
            known[0] = seen.numbers["min"]
        if "max" in seen.numbers:
            known[k - 1] = seen.numbers["max"]
        known.pop(own_rank, None)
        if "mean" in seen.numbers:
            missing = [r for r in range(k) if r != own_rank and r not in known]
            if len(missing) == 1:
                known[missing[0]] = k * seen.numbers["mean"] - own - sum(known.values())
        for rank, value in known.items():
            found.append((members[rank][0], value, f"{seen.surface}:{method}:r{rank}"))
    return found


def _differences(world, viewer, cells: list[Seen]) -> list[tuple[Seen, int, float]]:
    """k_A x mean_A - k_B x mean_B for nested requests whose counts differ by one."""
    found = []
    with_mean = [c for c in cells if "mean" in c.numbers and "organisations" in c.numbers]
    for a in with_mean:
        for b in with_mean:
            if a is b or a.channel != b.channel or a.surface != b.surface:
                continue
            if not (a.start <= b.start and b.end <= a.end) or (a.start, a.end) == (b.start, b.end):
                continue
            ka, kb = a.numbers["organisations"], b.numbers["organisations"]
            if ka != kb + 1:
                continue
            value = ka * a.numbers["mean"] - kb * b.numbers["mean"]
            in_a = {pk for s in _contributor_sets(world, viewer, a) for pk, _ in s}
            in_b = {pk for s in _contributor_sets(world, viewer, b) for pk, _ in s}
            for pk in in_a - in_b - {viewer}:
                found.append((a, pk, value))
    return found


def _reconstructions(world, viewer, seen: list[Seen]) -> list[str]:
    # The quantile definition the system documents (the API says; numpy's default
    # linear interpolation when it does not).
    nearest = any(c.numbers.get("nearest_rank") for c in seen)
    method = "nearest" if nearest else "linear"
    hits = []
    for cell in seen:
        for peer, value, how in _estimates(world, viewer, cell, method):
            truth = world.figure(peer, cell.channel, cell.start, cell.end)[1]
            if truth is not None and abs(value - truth) <= TOLERANCE:
                hits.append(f"{how} {cell.start}/{cell.channel} peer {peer}: {value} ~ {truth}")
    for cell, peer, value in _differences(world, viewer, seen):
        truth = world.figure(peer, cell.channel, cell.start, cell.end)[1]
        if truth is not None and abs(value - truth) <= TOLERANCE:
            hits.append(f"difference {cell.start}/{cell.channel} peer {peer}: {value} ~ {truth}")
    return hits


@pytest.mark.django_db
def test_no_organisation_reconstructs_a_peer_from_anything_it_can_see(client, make_member):
    world = _build()
    reconstructed: dict[str, list[str]] = {}
    looked: defaultdict[str, int] = defaultdict(int)
    for sector in sorted(set(world.sector_of.values())):
        members = [pk for pk in world.organisations if world.sector_of[pk] == sector]
        # The sector's published cells are the same for every member (only its own
        # figure and band differ, which the attack takes from the truth instead), so
        # they are read once, by the first member, and every member attacks them.
        reader = world.organisations[members[0]]
        secret = issue_api_token(organisation=reader, name="intruder").secret
        client.force_login(make_member(f"m@{reader.slug}.example", reader, "manager"))
        seen = _from_api(client, secret, world, reader.pk)
        seen += _from_pages(client, world, reader.pk, reader.slug)
        seen += _from_reports(world, reader.pk)
        for cell in seen:
            looked[cell.surface] += 1
        for intruder in members:
            if hits := _reconstructions(world, intruder, seen):
                reconstructed[world.organisations[intruder].name] = hits
    # The intruder did read published cells on every surface.
    assert {"api", "page", "overview", "xlsx", "report"} <= set(looked), looked
    assert not reconstructed, {k: v[:5] for k, v in reconstructed.items()}
