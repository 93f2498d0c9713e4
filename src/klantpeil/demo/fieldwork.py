"""The demo's mystery studies at the first municipality: one completed, one under way.

The completed study carries scored calls (with the field's usual failures:
transfers back to the operator, voicemail, callbacks that come late or never)
so its KPIs and infographic can be shown; the running one gives the demo
shopper contacts to make today and a callback to record.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from klantpeil.accounts.models import Role, User
from klantpeil.accounts.services import add_member
from klantpeil.core.tenancy import tenant
from klantpeil.demo.logins import DEMO_PASSWORD
from klantpeil.fieldwork import services
from klantpeil.fieldwork.models import Assignment, Study
from klantpeil.organisations.models import Organisation, Unit

EXTRA_SHOPPERS = ("shopper2@klantpeil.example", "shopper3@klantpeil.example")
SCENARIOS = (
    services.ScenarioSpec(
        "Wanneer wordt grofvuil bij mij opgehaald en hoe meld ik het aan?",
        "Op afspraak, binnen twee weken; aanmelden via de website of telefonisch.",
    ),
    services.ScenarioSpec(
        "Hoe lang duurt het aanvragen van een nieuw paspoort?",
        "Vijf werkdagen na de aanvraag aan de balie; spoed kan binnen één werkdag.",
    ),
    services.ScenarioSpec(
        "Ik heb bezwaar tegen mijn WOZ-waarde. Tot wanneer kan dat?",
        "Binnen zes weken na de datum op het aanslagbiljet.",
    ),
)


TRANSFER_ENDINGS = (
    ("operator", 0.17),
    ("voicemail", 0.42),
    ("colleague", 0.55),
    ("disconnected", 0.68),
    ("right_person", 1.01),
)
DIRECT_ENDINGS = (("operator", 0.35), ("right_person", 1.01))


def _scores(rng: random.Random) -> tuple[dict, bool]:
    """One scored call; returns the answers and whether a callback was promised."""
    if rng.random() > 0.92:
        unreachable = {"connected": False, "ivr_options": 3, "ended_at": "disconnected"}
        return {**unreachable, "overall_grade": rng.randint(1, 3)}, False
    transferred = rng.random() < 0.45
    # Where calls end, as cumulative shares: 1 in 6 transfers back at the operator.
    endings = TRANSFER_ENDINGS if transferred else DIRECT_ENDINGS
    u = rng.random()
    ended = next(name for name, upto in endings if u < upto)
    promised = rng.random() < {"operator": 0.55, "voicemail": 0.6}.get(ended, 0.04)
    empathy = rng.random() < 0.5
    answers = {
        "connected": True,
        "seconds_to_answer": round(rng.lognormvariate(2.35, 0.7)),
        "ivr_options": rng.choice([0, 2, 3, 3, 4]),
        "transferred": transferred,
        "ended_at": ended,
        "callback_promised": promised,
        "empathy": empathy,
        "overall_grade": max(1, min(10, round(rng.gauss(6.3 + 1.5 * empathy, 1.2)))),
    }
    if ended in ("right_person", "colleague", "operator") and rng.random() < 0.9:
        answers["answer_correct"] = rng.random() < 0.7
    for key in ("exp_listening", "exp_understanding", "exp_initiative", "exp_clarity"):
        answers[key] = max(1, min(5, round(rng.gauss(3 + 0.9 * empathy, 0.8))))
    answers["exp_friendliness"] = max(1, min(5, round(rng.gauss(3.4 + 0.8 * empathy, 0.8))))
    return answers, promised


def _work_through(
    study: Study, until, rng: random.Random, open_callbacks: int = 0, behind: bool = False
) -> None:
    """Score every contact planned before ``until``, as the shoppers would have.

    Promised callbacks mostly come within a day, some later, some never; the
    first ``open_callbacks`` promises stay pending for the shopper to record.
    ``behind``: each shopper's latest contact is still to do (so the demo
    shopper has work on any day of the week).
    """
    due = list(study.assignments.filter(scheduled_at__lt=until).order_by("scheduled_at"))
    if behind:
        latest = {a.shopper_id: a.pk for a in due}
        due = [a for a in due if a.pk not in latest.values()]
    left_open = 0
    for assignment in due:
        dialled = assignment.scheduled_at + timedelta(minutes=rng.randint(0, 20))
        answers, promised = _scores(rng)
        pending = promised and left_open < open_callbacks
        left_open += pending
        if promised and not pending:
            came = rng.random()
            if came < 0.85:
                low, high = (0.5, 23.5) if came < 0.65 else (25, 90)
                answers["callback_hours"] = round(rng.uniform(low, high), 1)
        Assignment.objects.filter(pk=assignment.pk).update(
            dialled_at=dialled,
            answered_at=dialled + timedelta(seconds=answers.get("seconds_to_answer", 0)),
        )
        assignment.refresh_from_db()
        services.score(assignment, answers)
        finished = dialled + timedelta(minutes=6)
        Assignment.objects.filter(pk=assignment.pk).update(
            completed_at=finished,
            callback_due_at=finished + timedelta(hours=24) if promised else None,
            callback_at=finished + timedelta(hours=answers["callback_hours"])
            if "callback_hours" in answers
            else None,
            callback_closed_at=None if pending or not promised else finished + timedelta(days=4),
        )


def ensure_demo_studies(organisation: Organisation, shopper_email: str) -> None:
    """Create the two demo studies once (a second ``klantpeil demo`` keeps them)."""
    with tenant(organisation):
        if Study.objects.exists():
            return
        shoppers = [
            add_member(
                email=email,
                organisation=organisation,
                role=Role.SHOPPER,
                # Hashing is slow by design: only for a login that has no password yet.
                password=None if User.objects.filter(email=email).exists() else DEMO_PASSWORD,
                check_password=False,
            )[0]
            for email in (shopper_email, *EXTRA_SHOPPERS)
        ]
        units = list(Unit.objects.order_by("code"))
        targets = [
            services.TargetSpec(f"{u.name}", f"14 0{n}{n}{n} {n}{n}{n}{n}", u.code)
            for n, u in enumerate(units, start=2)
        ]
        today = timezone.localdate()
        rng = random.Random(2026)
        done = services.plan_study(
            name="Bereikbaarheid najaar",
            protocol="mystery-phone",
            channel_kind="phone",
            starts_on=today - timedelta(days=56),
            ends_on=today - timedelta(days=8),
            contacts=150,
            targets=targets,
            scenarios=SCENARIOS,
            shoppers=shoppers,
            seed=2026,
        )
        _work_through(done, timezone.now(), rng)
        running = services.plan_study(
            name="Bereikbaarheid december",
            protocol="mystery-phone",
            channel_kind="phone",
            starts_on=today - timedelta(days=6),
            ends_on=today + timedelta(days=24),
            contacts=100,
            targets=targets,
            scenarios=SCENARIOS,
            shoppers=shoppers,
            seed=2027,
        )
        start_of_today = timezone.make_aware(
            timezone.datetime.combine(today, timezone.datetime.min.time())
        )
        _work_through(running, start_of_today, rng, open_callbacks=2, behind=True)
