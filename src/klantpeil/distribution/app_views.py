"""The distribution pages of the app: the invitation funnel, the message templates with
their live preview, the settings (sender, fatigue, window, reminders) and the
invitations made from the app with what became of each send.

Everyone who reads the dashboards reads the funnel; only managers, analysts and
operators of the whole organisation edit wording and settings or make invitations.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, role_required
from klantpeil.collection.ingest import BatchError, create_invitations
from klantpeil.core.numbers import percent
from klantpeil.dashboards.filters import period_problem, read_period
from klantpeil.distribution import app_services, rendering
from klantpeil.distribution.app_forms import SettingsForm, reminder_rows
from klantpeil.distribution.charts import funnel_chart
from klantpeil.distribution.funnel import STEP_LABELS, invitation_funnel, recent_invitations
from klantpeil.distribution.models import (
    DeliveryChannel,
    DistributionSettings,
    MessageKind,
    MessageTemplate,
    TemplateLanguage,
)
from klantpeil.distribution.services import attach_deliveries, plan_deliveries
from klantpeil.instruments.models import Instrument, Method
from klantpeil.metrics.sms import sms_size
from klantpeil.organisations.models import Channel

SURVEY_METHODS = (Method.CUSTOMER_SURVEY, Method.EMPLOYEE_SURVEY)
MAX_LIST = 500  # invitations per paste or upload in the app; bigger batches use the API
MAX_UPLOAD_BYTES = 100_000
FIELD_LABELS = {
    "subject": gettext_lazy("Subject"),
    "text_body": gettext_lazy("Plain text"),
    "html_body": gettext_lazy("HTML body"),
}


def _survey_instruments() -> list[Instrument]:
    return list(Instrument.objects.filter(method__in=SURVEY_METHODS).order_by("key"))


# --- the funnel ---------------------------------------------------------------------


@role_required(READ_DATA)
def funnel_page(request: HttpRequest, org: str) -> HttpResponse:
    typed = (request.GET.get("period") or "").strip()
    instrument = (request.GET.get("instrument") or "").strip()
    instruments = _survey_instruments()
    errors = {}
    try:
        period = read_period(typed, timezone.localdate())
    except ValueError as exc:
        errors["period"] = _("Period: %(problem)s") % {"problem": period_problem(exc)}
        period = None
    if instrument and instrument not in {i.key for i in instruments}:
        errors["instrument"] = _("Instrument: “%(key)s” is not one of your surveys.") % {
            "key": instrument
        }
    context = {
        "typed_period": typed,
        "instrument": instrument,
        "instruments": instruments,
        "errors": errors,
    }
    if errors:
        return render(request, "distribution/app/funnel.html", context)
    funnel = invitation_funnel(period, instrument=instrument)
    rows = [
        {
            "key": r.key,
            "step": str(STEP_LABELS[r.key]),
            "count": r.count,
            "share": r.of_made,
            "of_made": percent(r.of_made),
            "of_previous": percent(r.of_previous) if r.main and r.key != "made" else "",
            "main": r.main,
        }
        for r in funnel.rows
    ]
    titles = {
        "main": _("Path to a completed survey"),
        "side": _("What else happened"),
        "count": _("Invitations"),
        "step": _("Step"),
        "share": _("Share of made"),
    }
    return render(
        request,
        "distribution/app/funnel.html",
        {
            **context,
            "period": period,
            "funnel": funnel,
            "rows": rows,
            "spec": funnel_chart(
                [
                    {"step": r["step"], "count": r["count"], "share": r["share"], "main": r["main"]}
                    for r in rows
                    if r["count"] or r["main"]
                ],
                titles=titles,
            ),
        },
    )


# --- templates ----------------------------------------------------------------------


def _message(channel: str, kind: str, language: str) -> None:
    if (
        channel not in DeliveryChannel.values
        or kind not in MessageKind.values
        or language not in TemplateLanguage.values
    ):
        raise Http404


def _sample_context(request: HttpRequest, language: str) -> dict[str, str]:
    """What a customer would see in place of each variable: the organisation's own name,
    a link of the real shape (not a working one) and the expiry date in words."""
    base = request.build_absolute_uri("/").rstrip("/")
    with translation.override(language):
        expires = formats.date_format(timezone.localdate() + timedelta(days=14), "j F Y")
    return {
        "organisation": request.organisation.name,
        "link": f"{base}/s/voorbeeld-Xb3kQ9pLm2"
        if language == "nl"
        else f"{base}/s/example-Xb3kQ9pLm2",
        "opt_out_link": f"{base}/s/opt-out/voorbeeld"
        if language == "nl"
        else f"{base}/s/opt-out/example",
        "expires_at": expires,
    }


BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)


def _preview(request: HttpRequest, channel: str, language: str, posted: dict) -> dict:
    """The message as the customer gets it, and the back end's verdict on each field."""
    wording = rendering.Wording(posted["subject"], posted["text_body"], posted["html_body"])
    errors: dict[str, str] = {}
    try:
        rendering.validate_template(channel, wording)
    except rendering.TemplateError as exc:
        errors = dict(exc.errors)
    rendered = rendering.render(wording, _sample_context(request, language), language=language)
    body = BODY.search(rendered.html)
    size = sms_size(rendered.text) if channel == DeliveryChannel.SMS else None
    return {
        "errors": errors,
        "rendered": rendered,
        "html_body": body.group(1) if body else "",
        "sms": size,
        "sms_too_long": bool(size and size.characters > rendering.SMS_MAX_LENGTH),
        "sms_max": rendering.SMS_MAX_LENGTH,
    }


def _posted(request: HttpRequest, channel: str) -> dict[str, str]:
    # Browsers send line breaks as CRLF; the stored wording uses LF, like the defaults.
    def get(name: str) -> str:
        return request.POST.get(name, "").replace("\r\n", "\n").replace("\x00", "")

    email = channel == DeliveryChannel.EMAIL
    return {
        "subject": get("subject") if email else "",
        "text_body": get("text_body"),
        "html_body": get("html_body") if email else "",
    }


@role_required(MANAGE_DATA)
def templates_page(request: HttpRequest, org: str) -> HttpResponse:
    own = {(t.channel, t.kind, t.language): t for t in MessageTemplate.objects.all()}
    rows = [
        {
            "channel": channel,
            "kind": kind,
            "language": language,
            "own": own.get((channel.value, kind.value, language.value)),
            "url": reverse(
                "app:distribution:template",
                kwargs={"org": org, "channel": channel, "message_kind": kind, "language": language},
            ),
        }
        for channel in DeliveryChannel
        for kind in MessageKind
        for language in TemplateLanguage
    ]
    return render(request, "distribution/app/templates.html", {"rows": rows})


@role_required(MANAGE_DATA)
def template_page(
    request: HttpRequest, org: str, channel: str, message_kind: str, language: str
) -> HttpResponse:
    kind = message_kind
    _message(channel, kind, language)
    own = MessageTemplate.objects.filter(channel=channel, kind=kind, language=language).first()
    default = rendering.default_wording(channel, kind, language)
    shown = own or default
    posted = {"subject": shown.subject, "text_body": shown.text_body, "html_body": shown.html_body}
    status = 200
    if request.method == "POST":
        key = {"channel": channel, "kind": kind, "language": language}
        if request.POST.get("action") == "reset":
            app_services.reset_template(**key)
            messages.success(request, _("The default wording is back."))
            return redirect(request.path)
        posted = _posted(request, channel)
        preview = _preview(request, channel, language, posted)
        if not preview["errors"]:
            app_services.save_template(**key, **posted)
            messages.success(request, _("Template saved."))
            return redirect(request.path)
        status = 422
    preview = _preview(request, channel, language, posted)
    return render(
        request,
        "distribution/app/template.html",
        {
            "channel": DeliveryChannel(channel),
            "kind": MessageKind(kind),
            "language": TemplateLanguage(language),
            "is_email": channel == DeliveryChannel.EMAIL,
            "own": own,
            "posted": posted,
            "field_labels": FIELD_LABELS,
            "variables": rendering.VARIABLES,
            "preview_url": reverse(
                "app:distribution:template-preview",
                kwargs={"org": org, "channel": channel, "message_kind": kind, "language": language},
            ),
            **preview,
        },
        status=status,
    )


@role_required(MANAGE_DATA)
def template_preview(
    request: HttpRequest, org: str, channel: str, message_kind: str, language: str
) -> HttpResponse:
    """The preview and the fields' errors for what is typed now (htmx, on every pause)."""
    _message(channel, message_kind, language)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    preview = _preview(request, channel, language, _posted(request, channel))
    return render(
        request,
        "distribution/app/_preview.html",
        {
            "is_email": channel == DeliveryChannel.EMAIL,
            "field_labels": FIELD_LABELS,
            "oob": True,
            **preview,
        },
    )


# --- settings -----------------------------------------------------------------------


@role_required(MANAGE_DATA)
def settings_page(request: HttpRequest, org: str) -> HttpResponse:
    config = DistributionSettings.objects.first() or DistributionSettings()
    instruments = _survey_instruments()
    form = SettingsForm(request.POST or None, instance=config, instruments=instruments)
    if request.method == "POST" and form.is_valid():
        app_services.save_distribution_page(form.settings_values(), form.rule_entries())
        messages.success(request, _("Distribution settings saved."))
        return redirect(request.path)
    return render(
        request,
        "distribution/app/settings.html",
        {"form": form, "rules": reminder_rows(form, instruments)},
        status=422 if form.errors else 200,
    )


# --- invitations --------------------------------------------------------------------


SEPARATORS = re.compile(r"[,;\t]")
PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


def _events_from_lines(lines: list[str], base: dict) -> tuple[list[dict], list[str]]:
    """One contact event per non-empty line: an e-mail address, a phone number and a
    reference of your own, in any order, separated by comma, semicolon or tab."""
    events, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        event = dict(base, line=number)
        for part in (p.strip() for p in SEPARATORS.split(line)):
            if not part:
                continue
            if "@" in part:
                event["email"] = part
            elif PHONE_LIKE.match(part):
                event["phone"] = part
            else:
                event["external_contact_id"] = part[:120]
        events.append(event)
    if not events:
        problems.append(_("List: give at least one line (an e-mail address or phone number)."))
    if len(events) > MAX_LIST:
        problems.append(
            _("List: at most %(max)s invitations at a time here; use the API for more.")
            % {"max": MAX_LIST}
        )
    return events, problems


def _uploaded_lines(upload) -> tuple[list[str], str | None]:
    if upload.size > MAX_UPLOAD_BYTES:
        return [], _("File: at most 100 kB (a list of %(max)s lines).") % {"max": MAX_LIST}
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], _("File: save it as UTF-8 text or CSV.")
    rows = csv.reader(io.StringIO(text), dialect=csv.excel)
    return [",".join(row) for row in rows], None


def _make(request: HttpRequest, post) -> tuple[list[dict], list[str], dict]:
    """Make the invitations of the form, or say what is wrong (nothing is made then)."""
    problems: list[str] = []
    deliver = post.get("deliver", "email")
    if deliver not in ("email", "sms", "none"):
        problems.append(_("Deliver: choose e-mail, SMS or none."))
    send_at = None
    if post.get("send_at", "").strip():
        try:
            send_at = timezone.make_aware(datetime.fromisoformat(post["send_at"].strip()))
        except ValueError:
            problems.append(_("Send at: give a date and time, for example 2026-12-08 09:30."))
    lines = post.get("contacts", "").splitlines()
    upload = request.FILES.get("file")
    if upload:
        more, problem = _uploaded_lines(upload)
        lines += more
        if problem:
            problems.append(problem)
    base = {
        "channel": post.get("channel", ""),
        "language": post.get("language", "nl"),
        "occurred_at": timezone.now(),
    }
    events, line_problems = _events_from_lines(lines, base)
    problems += line_problems
    if problems:
        return [], problems, {}
    try:
        with transaction.atomic():
            plan_problems: list = []
            plans = plan_deliveries(
                events, deliver=deliver, send_at=send_at, problems=plan_problems
            )
            made = create_invitations(
                events=events,
                instrument=post.get("instrument", "customer-survey"),
                known_problems=plan_problems,
            )
            attach_deliveries(made, plans, base_url=request.build_absolute_uri("/"))
    except BatchError as exc:
        for p in exc.problems:
            where = (
                _("Line %(n)s") % {"n": events[p.index]["line"]}
                if 0 <= p.index < len(events)
                else _("Form")
            )
            problems.append(f"{where}: {p.field}: {p.reason}")
        return [], problems, {}
    links = [
        {
            "line": event["line"],
            "url": request.build_absolute_uri(reverse("respond", kwargs={"token": token})),
            "reference": invitation.external_contact_id,
        }
        for event, (invitation, token) in zip(events, made, strict=True)
    ]
    return links, [], {"made": len(made), "deliver": deliver}


@role_required(MANAGE_DATA)
def invitations_page(request: HttpRequest, org: str) -> HttpResponse:
    links, problems, done = [], [], {}
    if request.method == "POST":
        links, problems, done = _make(request, request.POST)
        if done and done["deliver"] != "none":
            messages.success(
                request,
                _("%(n)s invitations made; they are sent in the sending window.")
                % {"n": done["made"]},
            )
            return redirect(request.path)
    return render(
        request,
        "distribution/app/invitations.html",
        {
            "instruments": _survey_instruments(),
            "channels": Channel.objects.order_by("kind"),
            "posted": request.POST,
            "problems": problems,
            "links": links,
            "made": done.get("made", 0),
            "invitations": recent_invitations(),
            "max_list": MAX_LIST,
        },
        status=422 if problems else 200,
    )
