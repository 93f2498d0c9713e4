"""Realistic synthetic data for the demo: a year of customer surveys, mystery
contacts and employee surveys for twenty organisations in four sectors.

The field's effects are built in so that every later analysis has something
true to find:

- reliability and empathy weigh most in the overall grade; the weight of
  customer focus and customer knowledge differs per organisation;
- waiting time is a dissatisfier: it only costs when it is bad;
- channel gaps (counter 8.2, phone 7.5, e-mail 5.8; municipalities' e-mail 5.1);
- mystery calls near the field's figures (1 in 12 not reachable, 1 in 6
  transfers back at the operator, 1 in 4 in voicemail, 62% of callbacks within
  24 h, about 67% helped, 30% wrong answers, about half without empathy);
- a unit effect shared by customers and employees, so employee results link
  to customer results across units.

Rows are written with ``executemany`` in one transaction: all or nothing, and
fast enough for 100,000+ measurements in well under a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.utils.text import slugify

from klantpeil.collection.models import Answer, Measurement
from klantpeil.collection.rows import insert_answer_rows
from klantpeil.demo import comments
from klantpeil.demo.distribution import generate_invitation_funnels
from klantpeil.demo.social import generate_social_posts
from klantpeil.demo.universe import SECTORS, SectorSpec
from klantpeil.demo.volumes import channel_volumes as demo_volumes
from klantpeil.instruments.models import Instrument, InstrumentVersion
from klantpeil.organisations.models import Channel, ChannelVolume, Organisation, Sector, Unit
from klantpeil.organisations.sectors import load_sectors
from klantpeil.textanalysis.drivers import DRIVERS
from klantpeil.textanalysis.services import annotate_comments_of_all_organisations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Driver performance relative to the channel's grade: e-mail is slow, counters are personal.
DRIVER_OFFSETS = {
    "email": {"waiting_time": -1.3, "empathy": -0.4},
    "letter": {"waiting_time": -1.5},
    "counter": {"waiting_time": -0.2, "empathy": 0.3},
    "phone": {"waiting_time": -0.5, "ivr_menu": -0.6},
    "social": {"customer_knowledge": -0.6},
}
CHANNEL_REASONS = {
    "phone": {"fastest": 3, "wanted_personal_contact": 4, "always_use": 2, "other": 1},
    "counter": {"needed_document": 5, "wanted_personal_contact": 3, "other": 1},
    "email": {"outside_opening_hours": 4, "always_use": 2, "fastest": 1, "other": 1},
    "web": {"outside_opening_hours": 3, "fastest": 3, "always_use": 2},
}
SHARE_WITH_COMMENT = 0.24
SHARE_ENGLISH = 0.08
# Customer-survey responses per organisation per year at scale 1.
CUSTOMER_RESPONSES = 4_700
MYSTERY_CALLS = 600
MYSTERY_EMAILS = 120
COMPLAINT_RESPONSES = 160
EMPLOYEES_PER_UNIT = 30


@dataclass
class DemoResult:
    organisations: int
    measurements: int
    answers: int
    seconds: float


@dataclass
class _Context:
    rng: np.random.Generator
    today: date
    questions: dict[str, dict[str, int]]
    types: dict[str, dict[str, str]]
    choices: dict[str, dict[str, list[str]]]
    versions: dict[str, int]
    next_id: int
    measurement_rows: list[tuple]
    answer_rows: list[tuple]


class _Batch:
    """Columns of one instrument's measurements for one organisation, built vectorised."""

    def __init__(self, ctx: _Context, org: Organisation, instrument: str, n: int) -> None:
        self.ctx, self.org, self.instrument, self.n = ctx, org, instrument, n
        self.ids = np.arange(ctx.next_id, ctx.next_id + n)
        ctx.next_id += n

    def measurements(
        self,
        *,
        method: str,
        occurred: list[datetime],
        channel_ids: np.ndarray | list,
        unit_ids: np.ndarray | list,
        languages: np.ndarray | list,
    ) -> None:
        adapt = connection.ops.adapt_datetimefield_value
        version = self.ctx.versions[self.instrument]
        now = adapt(datetime.now(UTC))
        for i in range(self.n):
            self.ctx.measurement_rows.append(
                (
                    int(self.ids[i]),
                    self.org.pk,
                    version,
                    method,
                    _int_or_none(channel_ids[i]),
                    _int_or_none(unit_ids[i]),
                    adapt(occurred[i]),
                    "demo",
                    str(languages[i]),
                    "",
                    now,
                    None,
                )
            )

    def numbers(self, key: str, values: np.ndarray, mask: np.ndarray | None = None) -> None:
        question = self.ctx.questions[self.instrument][key]
        org = self.org.pk
        keep = ~np.isnan(values) if mask is None else (mask & ~np.isnan(values))
        rows = self.ctx.answer_rows
        for mid, value in zip(self.ids[keep].tolist(), values[keep].tolist(), strict=True):
            rows.append((org, mid, question, value, None, None))

    def texts(self, key: str, values: list[str | None]) -> None:
        question = self.ctx.questions[self.instrument][key]
        org = self.org.pk
        rows = self.ctx.answer_rows
        for mid, value in zip(self.ids.tolist(), values, strict=True):
            if value is not None:
                rows.append((org, mid, question, None, value, None))

    def moments(self, key: str, values: list[datetime | None]) -> None:
        question = self.ctx.questions[self.instrument][key]
        adapt = connection.ops.adapt_datetimefield_value
        org = self.org.pk
        rows = self.ctx.answer_rows
        for mid, value in zip(self.ids.tolist(), values, strict=True):
            if value is not None:
                rows.append((org, mid, question, None, None, adapt(value)))


def _int_or_none(value: object) -> int | None:
    return None if value is None else int(value)


def _grade(rng: np.random.Generator, latent: np.ndarray, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(latent + rng.normal(0, 0.55, latent.shape)), low, high)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _contact_times(
    rng: np.random.Generator, today: date, n: int, office_hours: np.ndarray
) -> tuple[list[datetime], np.ndarray]:
    """Moments in the twelve months before ``today``; office channels only on weekdays 8:30–17."""
    first = today - timedelta(days=365)
    days = rng.integers(0, 365, n)
    dates = np.array([first + timedelta(days=int(d)) for d in days])
    weekday = np.array([d.weekday() for d in dates])
    weekend_office = office_hours & (weekday >= 5)
    # Shift weekend office contacts to the next Monday (or the Friday before near the end).
    shift = np.where(weekday == 5, 2, 1)
    dates = np.where(weekend_office, dates + shift * timedelta(days=1), dates)
    dates = np.where(dates >= today, dates - 3 * timedelta(days=1), dates)
    hours = np.where(office_hours, rng.uniform(8.5, 17.0, n), rng.uniform(7.0, 23.5, n))
    moments = []
    for d, h in zip(dates.tolist(), hours.tolist(), strict=True):
        local = datetime(d.year, d.month, d.day, tzinfo=AMSTERDAM) + timedelta(hours=h)
        moments.append(local.astimezone(UTC))
    year_fraction = (days / 365.0).astype(float)
    return moments, year_fraction


def _lookups() -> tuple[dict, dict, dict, dict]:
    """Question ids, question types, choice keys and version ids of the standard instruments."""
    questions: dict[str, dict[str, int]] = {}
    types: dict[str, dict[str, str]] = {}
    choices: dict[str, dict[str, list[str]]] = {}
    versions: dict[str, int] = {}
    for instrument in Instrument.unscoped_all_tenants.filter(organisation__isnull=True):
        version = instrument.versions.order_by("-number")[0]
        versions[instrument.key] = version.pk
        questions[instrument.key], types[instrument.key], choices[instrument.key] = {}, {}, {}
        for q in version.questions.all():
            questions[instrument.key][q.key] = q.pk
            types[instrument.key][q.key] = q.type
            if q.choices:
                choices[instrument.key][q.key] = [c["key"] for c in q.choices]
    return questions, types, choices, versions


def _driver_items(instrument_key: str) -> dict[str, list[str]]:
    version = (
        InstrumentVersion.objects.filter(
            instrument__key=instrument_key, instrument__organisation=None
        )
        .order_by("-number")
        .first()
    )
    items: dict[str, list[str]] = {}
    for q in version.questions.exclude(driver=""):
        items.setdefault(q.driver, []).append(q.key)
    return items


def _customer_surveys(
    ctx: _Context,
    org: Organisation,
    spec: SectorSpec,
    org_effect: float,
    trend: float,
    weights: dict[str, float],
    channels: dict[str, Channel],
    unit_effects: dict[int, float],
    driver_items: dict[str, list[str]],
    n: int,
) -> None:
    rng = ctx.rng
    kinds = list(spec.channel_mix)
    mix = np.array([spec.channel_mix[k] for k in kinds])
    kind_idx = rng.choice(len(kinds), n, p=mix / mix.sum())
    kind_of = np.array(kinds)[kind_idx]
    office = np.isin(kind_of, ["phone", "counter", "chat"])
    occurred, year_fraction = _contact_times(rng, ctx.today, n, office)
    unit_ids = np.array(list(unit_effects))
    unit_pick = unit_ids[rng.integers(0, len(unit_ids), n)]
    unit_eff = np.array([unit_effects[u] for u in unit_pick.tolist()])
    channel_grade = np.array([spec.channel_grades[k] for k in kind_of])
    # E-mail improves over the year for organisations with a positive trend.
    target = (
        channel_grade
        + org_effect
        + unit_eff
        + trend * (year_fraction - 0.5) * np.where(kind_of == "email", 2.0, 1.0)
    )
    halo = rng.normal(0, 1, n)
    batch = _Batch(ctx, org, "customer-survey", n)
    languages = np.where(rng.random(n) < SHARE_ENGLISH, "en", "nl")
    batch.measurements(
        method="customer_survey",
        occurred=occurred,
        channel_ids=[channels[k].pk for k in kind_of],
        unit_ids=unit_pick,
        languages=languages,
    )
    latent: dict[str, np.ndarray] = {}
    for driver in DRIVERS:
        offset = np.array([DRIVER_OFFSETS.get(k, {}).get(driver, 0.0) for k in kinds])[kind_idx]
        latent[driver] = target + offset + 0.85 * halo + rng.normal(0, 1.15, n)
    is_phone = kind_of == "phone"
    overall = rng.normal(0, 0.75, n)
    for driver, weight in weights.items():
        centred = latent[driver] - (target + 0.0)
        if driver == "ivr_menu":
            centred = np.where(is_phone, centred, 0.0)
        overall += weight * centred
    # Waiting time: a dissatisfier. Only a bad wait (below 5.5) pulls the grade down.
    overall += 0.7 * np.minimum(latent["waiting_time"] - 5.5, 0.0)
    # Re-centre each channel on its target so the published channel gaps hold.
    for k in range(len(kinds)):
        sel = kind_idx == k
        if sel.any():
            overall[sel] -= overall[sel].mean()
    grade = np.clip(np.rint(target + overall), 1, 10)
    batch.numbers("overall_grade", grade)
    for driver, keys in driver_items.items():
        for key in keys:
            mask = is_phone if driver == "ivr_menu" else None
            batch.numbers(key, _grade(rng, latent[driver], 1, 10), mask)
    nps = np.clip(np.rint(grade - 0.1 + rng.normal(0, 1.1, n)), 0, 10)
    batch.numbers("nps", nps)
    ease = (
        4.6 + 0.35 * (latent["accessibility"] - target) + 0.35 * (latent["waiting_time"] - target)
    )
    ease += 0.3 * (grade - 7)
    batch.numbers("ces", np.clip(np.rint(ease + rng.normal(0, 0.9, n)), 1, 7))
    fcr_logit = -0.1 + 0.6 * (latent["reliability"] - 6.5)
    fcr_logit += np.where(kind_of == "email", -0.7, 0.0) + np.where(kind_of == "counter", 0.6, 0.0)
    batch.numbers("solved_first_contact", (rng.random(n) < _sigmoid(fcr_logit)).astype(float))
    reasons = ctx.choices["customer-survey"].get("channel_reason", [])
    if reasons:
        picked = []
        for kind, u in zip(kind_of.tolist(), rng.random(n).tolist(), strict=True):
            table = {r: w for r, w in CHANNEL_REASONS.get(kind, {}).items() if r in reasons}
            options = list(table) or reasons
            weights_ = np.array([table.get(r, 1.0) for r in options], dtype=float)
            cumulative = np.cumsum(weights_ / weights_.sum())
            picked.append(options[int(np.searchsorted(cumulative, u))])
        batch.texts("channel_reason", picked)
    worst = np.array(DRIVERS)[
        np.argmin(
            np.stack([np.where((d == "ivr_menu") & ~is_phone, 99, latent[d]) for d in DRIVERS]),
            axis=0,
        )
    ]
    batch.texts("comment", _comments(rng, grade, worst, languages))


def _comments(
    rng: np.random.Generator, grade: np.ndarray, worst: np.ndarray, languages: np.ndarray
) -> list[str | None]:
    texts: list[str | None] = []
    draw = rng.random(len(grade))
    pick = rng.integers(0, 1_000_000, len(grade))
    for g, driver, lang, d, p in zip(
        grade.tolist(),
        worst.tolist(),
        languages.tolist(),
        draw.tolist(),
        pick.tolist(),
        strict=True,
    ):
        # Unhappy customers write more often.
        if d > SHARE_WITH_COMMENT * (1.8 if g <= 5 else 1.0):
            texts.append(None)
            continue
        if g <= 6:
            bank = comments.NEGATIVE[lang][driver]
        elif g >= 8:
            bank = comments.POSITIVE[lang]
        else:
            bank = comments.NEUTRAL[lang]
        texts.append(bank[p % len(bank)])
    return texts


def _mystery_batch(
    ctx: _Context, org: Organisation, instrument: str, channel: Channel, units: list[int], n: int
) -> tuple[_Batch, list[datetime]]:
    """Mystery contacts happen in office hours, on one channel, spread over the units."""
    occurred, _ = _contact_times(ctx.rng, ctx.today, n, np.ones(n, dtype=bool))
    batch = _Batch(ctx, org, instrument, n)
    batch.measurements(
        method="mystery_contact",
        occurred=occurred,
        channel_ids=[channel.pk] * n,
        unit_ids=np.array(units)[ctx.rng.integers(0, len(units), n)],
        languages=["nl"] * n,
    )
    return batch, occurred


def _mystery_calls(
    ctx: _Context, org: Organisation, channel: Channel, units: list[int], quality: float, n: int
) -> None:
    rng = ctx.rng
    batch, _ = _mystery_batch(ctx, org, "mystery-phone", channel, units, n)
    q = quality  # about -1 … +1: how well this organisation does on the phone
    connected = rng.random(n) < np.clip(0.917 + 0.04 * q, 0.8, 0.995)
    seconds = np.exp(rng.normal(np.log(10.5) - 0.25 * q, 0.75, n))
    transferred = connected & (rng.random(n) < 0.42)
    u = rng.random(n)
    # Where transferred calls end: 1 in 6 back at the operator, 1 in 4 in voicemail.
    # Lines also drop after a transfer; with the operator's own failures this brings
    # "helped" near the field's 67%.
    p_op, p_vm, p_col, p_drop = 1 / 6 - 0.04 * q, 0.25 - 0.05 * q, 0.12, 0.16
    ended_transfer = np.select(
        [u < p_op, u < p_op + p_vm, u < p_op + p_vm + p_col, u < p_op + p_vm + p_col + p_drop],
        ["operator", "voicemail", "colleague", "disconnected"],
        "right_person",
    )
    v = rng.random(n)
    ended_direct = np.select(
        [v < 0.38 - 0.06 * q, v < 0.42 - 0.06 * q], ["operator", "disconnected"], "right_person"
    )
    ended = np.where(
        ~connected, "disconnected", np.where(transferred, ended_transfer, ended_direct)
    )
    promise_p = np.select(
        [ended == "operator", ended == "voicemail", ended == "colleague"], [0.55, 0.6, 0.1], 0.03
    )
    promised = connected & (rng.random(n) < promise_p)
    w = rng.random(n)
    within = 0.62 + 0.1 * q
    callback_hours = np.where(
        w < within,
        rng.uniform(0.3, 23.5, n),
        np.where(w < within + 0.2, rng.uniform(24.5, 96, n), np.nan),
    )
    callback_hours = np.where(promised, callback_hours, np.nan)
    answer_given = connected & np.isin(ended, ["right_person", "colleague", "operator"])
    answer_given &= rng.random(n) < 0.9
    correct = rng.random(n) < np.clip(0.70 + 0.08 * q, 0.4, 0.95)
    empathy = connected & (rng.random(n) < np.clip(0.49 + 0.1 * q, 0.2, 0.9))
    batch.numbers("connected", connected.astype(float))
    batch.numbers("seconds_to_answer", np.where(connected, np.round(seconds), np.nan))
    ivr = rng.choice([0, 2, 3, 4, 5], n, p=[0.3, 0.2, 0.25, 0.15, 0.1]).astype(float)
    batch.numbers("ivr_options", ivr)
    batch.numbers("transferred", np.where(connected, transferred.astype(float), np.nan))
    batch.texts("ended_at", ended.tolist())
    batch.numbers("callback_promised", np.where(connected, promised.astype(float), np.nan))
    batch.numbers("callback_hours", np.round(callback_hours, 1))
    batch.numbers("answer_correct", np.where(answer_given, correct.astype(float), np.nan))
    batch.numbers("empathy", np.where(connected, empathy.astype(float), np.nan))
    base = 3.0 + 0.9 * empathy + 0.3 * q
    for key in (
        "exp_listening",
        "exp_understanding",
        "exp_initiative",
        "exp_clarity",
        "exp_friendliness",
    ):
        if key in ctx.types["mystery-phone"]:
            values = np.clip(np.rint(base + rng.normal(0, 0.8, n)), 1, 5)
            batch.numbers(key, np.where(connected, values, np.nan))
    helped = np.isin(ended, ["right_person", "colleague", "voicemail"]) | (callback_hours < 24)
    shopper_grade = np.clip(
        np.rint(4.5 + 2.2 * helped + 1.0 * empathy + rng.normal(0, 1, n)), 1, 10
    )
    batch.numbers("overall_grade", shopper_grade)


def _mystery_emails(
    ctx: _Context, org: Organisation, channel: Channel, units: list[int], quality: float, n: int
) -> None:
    rng = ctx.rng
    batch, occurred = _mystery_batch(ctx, org, "mystery-email", channel, units, n)
    delay_hours = np.exp(rng.normal(np.log(22) - 0.4 * quality, 1.0, n))
    never = rng.random(n) < 0.08
    answered = [
        None if nv else sent + timedelta(hours=float(h))
        for sent, h, nv in zip(occurred, delay_hours.tolist(), never.tolist(), strict=True)
    ]
    batch.moments("sent_at", occurred)
    batch.moments("answered_at", answered)
    correct = np.where(never, np.nan, (rng.random(n) < 0.68 + 0.08 * quality).astype(float))
    batch.numbers("answer_correct", correct)
    batch.numbers("complete", np.where(never, np.nan, (rng.random(n) < 0.6).astype(float)))
    batch.numbers("tone", np.where(never, np.nan, np.clip(np.rint(rng.normal(3.6, 0.8, n)), 1, 5)))
    batch.numbers("spelling_errors", np.where(never, np.nan, rng.poisson(0.8, n).astype(float)))
    grade = np.where(
        never,
        1.0,
        np.clip(np.rint(6.2 + quality - 0.02 * delay_hours + rng.normal(0, 1, n)), 1, 10),
    )
    batch.numbers("overall_grade", grade)


def _scale_answers(batch: _Batch, rng: np.random.Generator, latent: np.ndarray) -> None:
    """Answers for a simple one-factor instrument: every scale item follows ``latent`` (1–10)."""
    n = len(latent)
    for key, kind in batch.ctx.types[batch.instrument].items():
        if kind == "grade":
            batch.numbers(key, _grade(rng, latent, 1, 10))
        elif kind == "likert":
            batch.numbers(
                key, np.clip(np.rint(3 + 0.55 * (latent - 6.5) + rng.normal(0, 0.8, n)), 1, 5)
            )
        elif kind == "nps":
            batch.numbers(key, np.clip(np.rint(latent - 1.0 + rng.normal(0, 1.3, n)), 0, 10))
        elif kind == "yes_no":
            batch.numbers(key, (rng.random(n) < _sigmoid(0.6 * (latent - 5.5))).astype(float))


def _employee_surveys(
    ctx: _Context,
    org: Organisation,
    spec: SectorSpec,
    unit_effects: dict[int, float],
    per_unit: int,
) -> None:
    rng = ctx.rng
    # Two waves a year, in March and September (the most recent ones before today).
    waves = [
        date(
            ctx.today.year if (ctx.today.month, ctx.today.day) > (m, 20) else ctx.today.year - 1,
            m,
            10,
        )
        for m in (3, 9)
    ]
    units = np.repeat(np.array(list(unit_effects)), per_unit * 2)
    wave_pick = np.tile(np.repeat([0, 1], per_unit), len(unit_effects))
    n = len(units)
    occurred = [
        datetime(d.year, d.month, d.day, 9, tzinfo=AMSTERDAM).astimezone(UTC) + timedelta(hours=h)
        for d, h in zip(
            [waves[i] for i in wave_pick.tolist()], rng.uniform(0, 80, n).tolist(), strict=True
        )
    ]
    batch = _Batch(ctx, org, "employee-survey", n)
    batch.measurements(
        method="employee_survey",
        occurred=occurred,
        channel_ids=[None] * n,
        unit_ids=units,
        languages=["nl"] * n,
    )
    # Units where customers are happier have happier employees (and the other way round).
    unit_eff = np.array([unit_effects[u] for u in units.tolist()])
    _scale_answers(batch, rng, spec.employee_grade + 1.6 * unit_eff + rng.normal(0, 1.0, n))


def _complaint_surveys(
    ctx: _Context,
    org: Organisation,
    channels: dict[str, Channel],
    units: list[int],
    quality: float,
    n: int,
) -> None:
    rng = ctx.rng
    occurred, _ = _contact_times(rng, ctx.today, n, np.zeros(n, dtype=bool))
    batch = _Batch(ctx, org, "complaint-survey", n)
    kinds = [k for k in ("email", "phone", "letter", "web") if k in channels]
    batch.measurements(
        method="customer_survey",
        occurred=occurred,
        channel_ids=[channels[kinds[i]].pk for i in rng.integers(0, len(kinds), n).tolist()],
        unit_ids=np.array(units)[rng.integers(0, len(units), n)],
        languages=["nl"] * n,
    )
    _scale_answers(batch, rng, 5.9 + 0.6 * quality + rng.normal(0, 1.6, n))


def _flush(ctx: _Context) -> tuple[int, int]:
    measurement_table = Measurement._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {measurement_table} (id, organisation_id, instrument_version_id, method, "
            "channel_id, unit_id, occurred_at, source, language, external_id, recorded_at, "
            "superseded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            ctx.measurement_rows,
        )
    insert_answer_rows(ctx.answer_rows)
    counts = len(ctx.measurement_rows), len(ctx.answer_rows)
    ctx.measurement_rows.clear()
    ctx.answer_rows.clear()
    return counts


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Measurement, Answer])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# One demo organisation shows a unit tree: Publiekszaken › Burgerzaken › Balie Centrum.
# The extra units get no measurements of their own (the measured units and the random
# draws stay as they were), so Publiekszaken's figures are Burgerzaken's.
UNIT_TREES = {
    "gemeente-wadderveen": (
        ("publiekszaken", "Publiekszaken", None),
        ("burgerzaken", None, "publiekszaken"),
        ("balie-centrum", "Balie Centrum", "burgerzaken"),
    )
}


def _unit_tree(org: Organisation, units: list[Unit], tree: tuple) -> None:
    by_code = {u.code: u for u in units}
    for code, name, parent in tree:
        unit = by_code.get(code)
        if unit is None:
            unit = by_code[code] = Unit.unscoped_all_tenants.create(
                organisation=org, code=code, name=name, parent=by_code.get(parent)
            )
        elif parent:
            unit.parent = by_code[parent]
            unit.save(update_fields=["parent"])


def _structure(spec: SectorSpec, sector: Sector, rng: np.random.Generator) -> list[dict]:
    built = []
    for name in spec.organisations:
        org = Organisation.objects.create(slug=slugify(name), name=name, sector=sector)
        units = [
            Unit.unscoped_all_tenants.create(organisation=org, code=code, name=label)
            for code, label in spec.units
        ]
        channels = {
            kind: Channel.unscoped_all_tenants.create(organisation=org, kind=kind)
            for kind in spec.channel_grades
        }
        if org.slug in UNIT_TREES:
            _unit_tree(org, units, UNIT_TREES[org.slug])
        built.append({"org": org, "units": units, "channels": channels})
    return built


def generate(
    *,
    seed: int = 1,
    today: date | None = None,
    scale: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Write the demo field into an empty database and return what was made.

    ``scale`` shrinks every volume (the test suite uses a small demo);
    ``progress`` is called with the number of organisations finished.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    questions, types, choices, versions = _lookups()
    driver_items = _driver_items("customer-survey")
    first_id = (
        Measurement.unscoped_all_tenants.order_by("-id").values_list("id", flat=True).first() or 0
    ) + 1
    ctx = _Context(
        rng, today or date.today(), questions, types, choices, versions, first_id, [], []
    )
    volume_rng = np.random.default_rng(seed + 2)
    totals = [0, 0]
    organisations = 0
    with transaction.atomic():
        # The shipped taxonomy (organisations/sectors.py): migrate loads it; loading it
        # again is idempotent and restores it where a test flushed the tables.
        load_sectors(Sector)
        for spec in SECTORS:
            sector = Sector.objects.get(key=spec.key)
            for built in _structure(spec, sector, rng):
                org, units, channels = built["org"], built["units"], built["channels"]
                quality = float(rng.normal(0, 0.5))
                unit_effects = {u.pk: float(rng.normal(0, 0.3)) for u in units}
                weights = {
                    "reliability": 0.34,
                    "empathy": 0.27,
                    "customer_focus": float(rng.uniform(0.04, 0.2)),
                    "customer_knowledge": float(rng.uniform(0.02, 0.16)),
                    "waiting_time": 0.03,
                    "accessibility": 0.06,
                    "ivr_menu": 0.05,
                }
                unit_ids = [u.pk for u in units]
                volume = rng.uniform(0.7, 1.3)
                _customer_surveys(
                    ctx,
                    org,
                    spec,
                    0.8 * quality,
                    float(rng.normal(0.3, 0.4)),
                    weights,
                    channels,
                    unit_effects,
                    driver_items,
                    max(1, int(CUSTOMER_RESPONSES * scale * volume)),
                )
                _complaint_surveys(
                    ctx, org, channels, unit_ids, quality, max(1, int(COMPLAINT_RESPONSES * scale))
                )
                _mystery_calls(
                    ctx,
                    org,
                    channels["phone"],
                    unit_ids,
                    quality,
                    max(1, int(MYSTERY_CALLS * scale)),
                )
                _mystery_emails(
                    ctx,
                    org,
                    channels["email"],
                    unit_ids,
                    quality,
                    max(1, int(MYSTERY_EMAILS * scale)),
                )
                _employee_surveys(
                    ctx, org, spec, unit_effects, max(2, int(EMPLOYEES_PER_UNIT * scale))
                )
                # Own generator: the volumes leave every other demo figure as it was.
                ChannelVolume.unscoped_all_tenants.bulk_create(
                    demo_volumes(volume_rng, org, channels, ctx.today)
                )
                m, a = _flush(ctx)
                totals[0] += m
                totals[1] += a
                organisations += 1
                if progress:
                    progress(1)
        _reset_sequences()
        # Sentiment and drivers of every comment, and social posts with their replies.
        annotate_comments_of_all_organisations()
        generate_social_posts(rng=np.random.default_rng(seed + 1), today=ctx.today, scale=scale)
        # Own generator and module: invitations with their sends (the funnel).
        generate_invitation_funnels(
            rng=np.random.default_rng(seed + 3), today=ctx.today, scale=scale
        )
    return DemoResult(organisations, totals[0], totals[1], time.perf_counter() - started)
