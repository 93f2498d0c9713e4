"""Telephone reachability KPIs from mystery calls (NEN 8878 and the Dutch field's practice).

Each KPI is a proportion with its denominator n and a 95% Wilson interval, and,
where a norm applies, the norm and whether it is met. Norms are configuration
per organisation (:class:`Norms`); NEN 8878's figures are only the defaults.
Counts come from calls (:func:`counts_from_calls`) or from rollups. Plain module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from klantpeil.metrics.stats import Estimate, proportion, statistic

ENDINGS = ("right_person", "colleague", "operator", "voicemail", "disconnected")


@dataclass(frozen=True)
class Norms:
    answer_seconds: float = 15  # NEN 8878: answered within 15 s …
    answered_within_norm: float = 0.85  # … for 85% of the calls
    technically_reachable: float = 0.99
    helped: float = 0.90
    callback_hours: float = 24


@dataclass(frozen=True)
class MysteryCall:
    connected: bool | None = None
    seconds_to_answer: float | None = None
    ivr_options: int | None = None
    transferred: bool | None = None
    ended_at: str | None = None
    callback_promised: bool | None = None
    callback_hours: float | None = None  # None: no callback came
    answer_correct: bool | None = None  # None: no answer was given
    empathy: bool | None = None


# The measurement points of a mystery call, in the protocol's order: the stored
# answers' question keys, the CSV columns of `klantpeil analyse kpis`, and the
# fields of MysteryCall are one list. Kinds follow the fields' types: yes/no
# points, numbers (seconds, options, hours), and where the call ended (text).
CALL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(MysteryCall))
CALL_YES_NO: frozenset[str] = frozenset(
    f.name for f in fields(MysteryCall) if str(f.type).startswith("bool")
)
CALL_TEXT: frozenset[str] = frozenset(
    f.name for f in fields(MysteryCall) if str(f.type).startswith("str")
)
CALL_NUMBERS: tuple[str, ...] = tuple(
    name for name in CALL_FIELDS if name not in CALL_YES_NO | CALL_TEXT
)


@dataclass
class ReachabilityCounts:
    """Numerators and denominators; adding two gives the counts of both sets of calls."""

    calls: int = 0
    connected: int = 0
    within_norm: int = 0
    transferred: int = 0
    transferred_to_operator: int = 0
    transferred_to_voicemail: int = 0
    callbacks_promised: int = 0
    callbacks_in_time: int = 0
    helped: int = 0
    answers_given: int = 0
    answers_correct: int = 0
    empathy_shown: int = 0

    def __add__(self, other: ReachabilityCounts) -> ReachabilityCounts:
        return ReachabilityCounts(**{k: v + getattr(other, k) for k, v in vars(self).items()})


def is_helped(call: MysteryCall, norms: Norms = Norms()) -> bool:
    """Reached the right person, or a colleague who handled it, or could leave a voicemail,
    or got a promised callback within the callback term (24 h by default)."""
    if call.ended_at in ("right_person", "colleague", "voicemail"):
        return True
    return bool(
        call.callback_promised
        and call.callback_hours is not None
        and call.callback_hours <= norms.callback_hours
    )


def counts_from_calls(calls: Iterable[MysteryCall], norms: Norms = Norms()) -> ReachabilityCounts:
    c = ReachabilityCounts()
    for call in calls:
        c.calls += 1
        if call.ended_at is not None and call.ended_at not in ENDINGS:
            raise ValueError(f"ended_at must be one of {', '.join(ENDINGS)}, got {call.ended_at!r}")
        if call.connected:
            c.connected += 1
            if (
                call.seconds_to_answer is not None
                and call.seconds_to_answer <= norms.answer_seconds
            ):
                c.within_norm += 1
            if call.empathy:
                c.empathy_shown += 1
        if call.transferred:
            c.transferred += 1
            c.transferred_to_operator += call.ended_at == "operator"
            c.transferred_to_voicemail += call.ended_at == "voicemail"
        if call.callback_promised:
            c.callbacks_promised += 1
            # A callback that never came counts as a fail.
            if call.callback_hours is not None and call.callback_hours <= norms.callback_hours:
                c.callbacks_in_time += 1
        c.helped += is_helped(call, norms)
        if call.answer_correct is not None:
            c.answers_given += 1
            c.answers_correct += bool(call.answer_correct)
    return c


def proportion_kpi(successes: int, n: int, norm: float | None = None) -> Estimate:
    """A reachability share with its Wilson interval and, where one applies, its norm."""
    return proportion(successes, n, norm=norm)


# The calls each KPI is a share of, as (condition, measurement point): "yes" = answered
# yes, "answered" = answered at all; None = every call. The drill-down lists exactly these.
KPI_BASE: dict[str, tuple[str, str] | None] = {
    "technically_reachable_rate": None,
    "answered_within_norm_rate": ("yes", "connected"),
    "back_to_operator_rate": ("yes", "transferred"),
    "voicemail_rate": ("yes", "transferred"),
    "callback_within_24h_rate": ("yes", "callback_promised"),
    "helped_rate": None,
    "correct_answer_rate": ("answered", "answer_correct"),
    "empathy_rate": ("yes", "connected"),
}


def reachability_kpis(counts: ReachabilityCounts, norms: Norms = Norms()) -> dict[str, Estimate]:
    c = counts
    return {
        "technically_reachable_rate": proportion_kpi(
            c.connected, c.calls, norms.technically_reachable
        ),
        "answered_within_norm_rate": proportion_kpi(
            c.within_norm, c.connected, norms.answered_within_norm
        ),
        "back_to_operator_rate": proportion_kpi(c.transferred_to_operator, c.transferred),
        "voicemail_rate": proportion_kpi(c.transferred_to_voicemail, c.transferred),
        "callback_within_24h_rate": proportion_kpi(c.callbacks_in_time, c.callbacks_promised),
        "helped_rate": proportion_kpi(c.helped, c.calls, norms.helped),
        "correct_answer_rate": proportion_kpi(c.answers_correct, c.answers_given),
        "empathy_rate": proportion_kpi(c.empathy_shown, c.connected),
    }


YES = {"1", "yes", "ja", "true", "y", "j", "waar"}
NO = {"0", "no", "nee", "false", "n", "onwaar"}


def parse_yes_no(value: object) -> bool | None:
    """yes/no, ja/nee, 1/0, true/false (any case); empty is None; anything else is an error."""
    text = "" if value is None else str(value).strip().lower()
    if text == "":
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{value!r} is not yes or no (ja/nee, 1/0, true/false)")


@dataclass(frozen=True)
class MysteryEmail:
    sent_at: object  # aware datetime
    answered_at: object | None = None  # None: never answered
    answer_correct: bool | None = None
    complete: bool | None = None
    tone: float | None = None
    spelling_errors: float | None = None


def email_kpis(
    emails: list[MysteryEmail], calendar: object, norm_hours: float = 16
) -> dict[str, Estimate]:
    """E-mail KPIs in business hours (the calendar's opening hours and holidays).

    answered_within_norm_rate: answered within ``norm_hours`` of opening time / all e-mails
    sent (never answered = fail; the government e-mail code's two working days = 16 h);
    median response time in business hours of the answered ones; correct and complete
    rates among the answered; mean tone (1–5).
    """
    from statistics import median

    from klantpeil.metrics.business_hours import business_seconds_between

    hours = [
        business_seconds_between(e.sent_at, e.answered_at, calendar) / 3600
        for e in emails
        if e.answered_at is not None
    ]
    within = sum(1 for h in hours if h <= norm_hours)
    correct = [e.answer_correct for e in emails if e.answer_correct is not None]
    complete = [e.complete for e in emails if e.complete is not None]
    tones = [e.tone for e in emails if e.tone is not None]
    return {
        "answered_within_norm_rate": proportion_kpi(within, len(emails)),
        "answered_rate": proportion_kpi(len(hours), len(emails)),
        "median_business_hours": statistic(median(hours) if hours else None, len(hours)),
        "correct_rate": proportion_kpi(sum(correct), len(correct)),
        "complete_rate": proportion_kpi(sum(complete), len(complete)),
        "mean_tone": statistic(sum(tones) / len(tones) if tones else None, len(tones)),
    }
