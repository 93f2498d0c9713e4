"""Pages of the mystery fieldwork: the analyst plans and follows studies; the shopper
works through today's contacts on a phone and records callbacks later."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, role_required
from klantpeil.analytics.calibration import CalibrationError, agreement_from_table
from klantpeil.analytics.infographic import MEDIA_TYPES
from klantpeil.collection.respondent import asked_questions, form_items, posted_answers
from klantpeil.collection.services import MeasurementError
from klantpeil.dataio.reading import FileProblem, check_size, read_table
from klantpeil.dataio.views import UPLOAD_HINT
from klantpeil.fieldwork import selectors, services
from klantpeil.fieldwork.forms import PROTOCOL_CHANNEL, CallbackForm, StudyForm
from klantpeil.instruments.selectors import latest_version
from klantpeil.metrics.reachability import CALL_NUMBERS


@role_required(READ_DATA)
def study_list(request: HttpRequest, org: str) -> HttpResponse:
    return render(
        request,
        "fieldwork/studies.html",
        {"studies": selectors.studies(), "overdue": selectors.overdue_callbacks().count()},
    )


@role_required(MANAGE_DATA)
def study_new(request: HttpRequest, org: str) -> HttpResponse:
    shoppers = list(selectors.shoppers())
    others = list(selectors.organisations_to_plan_for(request.user))
    form = StudyForm(request.POST or None, shopper_choices=shoppers, other_organisations=others)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = set(data.get("also_for") or [])
        try:
            study, *_others = services.plan_series(
                organisations=[o for o in others if o.slug in chosen],
                name=data["name"],
                protocol=data["protocol"],
                channel_kind=PROTOCOL_CHANNEL[data["protocol"]],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                contacts=data["contacts"],
                targets=data["targets"],
                scenarios=data["scenarios"],
                shoppers=[s for s in shoppers if str(s.pk) in data["shoppers"]],
                seed=data["seed"],
                created_by=request.user,
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The study is planned and every contact is assigned."))
            for other in _others:
                messages.info(
                    request, _("Also planned for %(name)s.") % {"name": other.organisation}
                )
            return redirect("app:fieldwork:study", org=org, pk=study.pk)
    return render(request, "fieldwork/study_new.html", {"form": form, "no_shoppers": not shoppers})


def _contacts(kpis: dict) -> int:
    """Contacts scored: the denominator of the first KPI (all calls, or all e-mails sent)."""
    first = next((kpi for kpi in kpis.values() if kpi.is_share), None)
    return first.n if first is not None else 0


@role_required(READ_DATA)
def study_detail(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    study = selectors.study_by_id(pk)
    kpis, norms = selectors.study_kpis(study)
    assignments = study.assignments.select_related("target", "scenario", "shopper")
    return render(
        request,
        "fieldwork/study.html",
        {
            "study": study,
            "kpis": kpis,
            "norms": norms,
            "calls": _contacts(kpis),
            "rates": [(key, kpi) for key, kpi in kpis.items() if kpi.is_share],
            "means": [(key, kpi) for key, kpi in kpis.items() if not kpi.is_share],
            "assignments": assignments,
            "overdue": selectors.overdue_callbacks().filter(study=study),
        },
    )


@role_required(READ_DATA)
def study_infographic(request: HttpRequest, org: str, pk: int, fmt: str) -> HttpResponse:
    if fmt not in MEDIA_TYPES or request.GET.get("lang", "nl") not in ("nl", "en"):
        raise Http404
    study = selectors.study_by_id(pk)
    from klantpeil.analytics import infographic  # matplotlib loads only when a picture is asked

    kpis, _norms = selectors.study_kpis(study)
    lang = request.GET.get("lang") or translation.get_language()[:2]
    body = infographic.render(
        kpis,
        title=f"{request.organisation.name}: {study.name}",
        subtitle=f"{study.starts_on:%d-%m-%Y} – {study.ends_on:%d-%m-%Y}",
        lang=lang if lang in ("nl", "en") else "nl",
        fmt=fmt,
        calls=_contacts(kpis),
        protocol=study.protocol,
    )
    response = HttpResponse(body, content_type=MEDIA_TYPES[fmt])
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="study-{study.pk}.{fmt}"'
    return response


@role_required(READ_DATA)
def overdue(request: HttpRequest, org: str) -> HttpResponse:
    return render(request, "fieldwork/overdue.html", {"callbacks": selectors.overdue_callbacks()})


def today(request: HttpRequest, org: str) -> HttpResponse:
    """The shopper's day: contacts to make (late ones first), callbacks to record."""
    day, now = timezone.localdate(), timezone.now()
    return render(
        request,
        "fieldwork/today.html",
        {
            "todo": selectors.todo(request.user, day),
            "upcoming": selectors.upcoming(request.user, day),
            "callbacks": selectors.pending_callbacks(request.user),
            "now": now,
            # A contact is "now" within its time block (two hours at most); after that it
            # is late, not "now" two days on.
            "late_from": now - timedelta(hours=2),
        },
    )


def _from_taps(assignment) -> dict[str, str]:
    """What the taps measured, as the protocol's answers (the shopper may still change them)."""
    protocol, seconds = assignment.study.protocol, assignment.seconds_to_answer
    if protocol in ("mystery-email", "mystery-social") and assignment.dialled_at:
        moment = timezone.localtime(assignment.dialled_at).strftime("%Y-%m-%dT%H:%M")
        return {"sent_at" if protocol == "mystery-email" else "posted_at": moment}
    if seconds is None:
        return {}
    if protocol == "mystery-counter":
        return {"minutes_waiting": str(round(seconds / 60))}
    reached = "answered" if protocol == "mystery-chat" else "connected"
    return {reached: "1", "seconds_to_answer": str(seconds)}


def _scoring_items(assignment, raw=None, errors=None):
    version = latest_version(key=assignment.study.protocol)
    questions = asked_questions(version, assignment.study.channel_kind)
    if raw is None:
        raw = _from_taps(assignment)
    return questions, form_items(questions, raw, errors)


def _local_times(raw: dict, questions: list) -> dict:
    """A phone's date-time field has no time zone: its times are Dutch wall-clock time."""
    answers = dict(raw)
    for question in questions:
        value = answers.get(question.key)
        if question.type == "timestamp" and value:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue  # left for the protocol's validation to name
            if moment.tzinfo is None:
                answers[question.key] = timezone.make_aware(moment).isoformat()
    return answers


def assignment(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """One contact: the scenario, the taps, and the protocol's scoring form."""
    task = selectors.own_assignment(pk, request.user)
    errors: dict[str, str] = {}
    raw = None
    if request.method == "POST" and not task.completed_at:
        questions, _items = _scoring_items(task)
        raw = posted_answers(request.POST, questions)
        try:
            services.score(task, _local_times(raw, questions))
        except MeasurementError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Saved. Thank you."))
            return redirect("app:fieldwork:shopper-today", org=org)
    _questions, items = _scoring_items(task, raw, errors)
    return render(
        request,
        "fieldwork/assignment.html",
        {"task": task, "items": items, "errors": errors},
        status=400 if errors else 200,
    )


@require_POST
def assignment_tap(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    task = selectors.own_assignment(pk, request.user)
    try:
        services.tap(task, request.POST.get("event", ""))
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    if request.htmx:
        return render(request, "fieldwork/_taps.html", {"task": task})
    return redirect("app:fieldwork:assignment", org=org, pk=pk)


@require_POST
def callback(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    task = selectors.own_assignment(pk, request.user)
    form = CallbackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say whether the callback came."))
    else:
        came = form.cleaned_data["came"] == "yes"
        try:
            services.record_callback(
                task,
                (form.cleaned_data["came_at"] or timezone.now()) if came else None,
                user=request.user,
            )
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Callback recorded."))
    return redirect("app:fieldwork:shopper-today", org=org)


@role_required(MANAGE_DATA)
def calibration(request: HttpRequest, org: str) -> HttpResponse:
    """Upload the scores several evaluators gave the same recorded contacts; see per
    measurement point how well they agree (nothing is stored)."""
    report, error = None, None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise CalibrationError(_("Choose a CSV or XLSX file."))
            check_size(upload.size, upload.name)  # before a byte is read
            table = read_table(upload.read(), upload.name)
            interval = CALL_NUMBERS  # the call's numbers; the rest are categories
            ordinal = [c for c in table.columns if c.startswith("exp_") or c == "overall_grade"]
            levels = {c: "interval" for c in interval if c in table.columns}
            levels |= {c: "ordinal" for c in ordinal}
            report = agreement_from_table(table, "contact", "rater", levels)
        except (CalibrationError, FileProblem) as exc:
            error = str(exc)
    return render(
        request,
        "fieldwork/calibration.html",
        {"report": report, "error": error, "upload_hint": UPLOAD_HINT},
        status=400 if error else 200,
    )
