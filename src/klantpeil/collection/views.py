"""The respondent's pages: public, reached through a secret link, no login."""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from klantpeil.collection.ingest import hash_token
from klantpeil.collection.models import Invitation, OpenLink
from klantpeil.collection.respondent import asked_questions, form_items, posted_answers
from klantpeil.collection.services import (
    InvitationClosed,
    MeasurementError,
    answer_invitation,
    answer_open_link,
    mark_invitation_opened,
    mark_invitation_started,
)
from klantpeil.core.tenancy import tenant

LANGUAGES = ("nl", "en")
OPEN_LINK_LIMIT = 20  # submissions per address per link per window
OPEN_LINK_WINDOW = 600  # seconds


def _invitation(token: str) -> Invitation:
    # The token is the capability: looked up across organisations on purpose.
    invitation = (
        Invitation.unscoped_all_tenants.select_related(
            "organisation", "channel", "instrument_version"
        )
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def _language(request: HttpRequest, default: str) -> str:
    chosen = request.GET.get("lang") or request.POST.get("lang")
    return chosen if chosen in LANGUAGES else default


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Content-Language"] = translation.get_language()
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def respond(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    language = _language(request, invitation.language)
    with tenant(invitation.organisation), translation.override(language):
        context = {"organisation": invitation.organisation, "language": language}
        if invitation.measurement_id is not None:
            return _page(request, "respond/thanks.html", {**context, "again": True})
        if invitation.expires_at <= timezone.now():
            return _page(request, "respond/closed.html", context, status=410)
        questions = asked_questions(invitation.instrument_version, invitation.channel.kind)
        raw, errors = {}, {}
        if request.method == "POST":
            mark_invitation_started(invitation)
            raw = posted_answers(request.POST, questions)
            try:
                answer_invitation(invitation_id=invitation.pk, answers=raw)
            except MeasurementError as exc:
                errors = exc.errors
            except InvitationClosed:
                return _page(request, "respond/closed.html", context, status=410)
            else:
                return redirect(f"{request.path}/done?lang={language}")
        else:
            mark_invitation_opened(invitation)
        return _page(
            request,
            "respond/form.html",
            {
                **context,
                "items": form_items(questions, raw, errors),
                "errors": errors,
                "instrument": invitation.instrument_version.instrument,
                "action": request.path,
            },
            status=422 if errors else 200,
        )


@never_cache
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    language = _language(request, invitation.language)
    with translation.override(language):
        if invitation.measurement_id is None:
            return redirect("respond", token=token)
        return _page(
            request,
            "respond/thanks.html",
            {"organisation": invitation.organisation, "language": language},
        )


def _throttled(request: HttpRequest, link: OpenLink) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    # Only a hash of the address is kept, and only for the throttle window.
    key = "open:" + hashlib.sha256(f"{link.pk}:{address}".encode()).hexdigest()
    cache.add(key, 0, OPEN_LINK_WINDOW)
    return cache.incr(key) > OPEN_LINK_LIMIT


@never_cache
def respond_open(request: HttpRequest, slug: str) -> HttpResponse:
    link = (
        OpenLink.unscoped_all_tenants.select_related(
            "organisation", "channel", "instrument_version"
        )
        .filter(slug=slug, active=True)
        .first()
    )
    if link is None:
        raise Http404
    language = _language(request, link.language)
    with tenant(link.organisation), translation.override(language):
        context = {"organisation": link.organisation, "language": language}
        if request.GET.get("done"):
            return _page(request, "respond/thanks.html", {**context, "open_link": link})
        questions = asked_questions(link.instrument_version, link.channel.kind)
        raw, errors = {}, {}
        # NUL has no place in an id (and PostgreSQL cannot store it).
        submission_id = request.POST.get("submission_id", "").replace("\x00", "")
        submission_id = submission_id or uuid.uuid4().hex
        if request.method == "POST":
            if _throttled(request, link):
                return _page(request, "respond/busy.html", context, status=429)
            raw = posted_answers(request.POST, questions)
            try:
                answer_open_link(link=link, submission_id=submission_id[:40], answers=raw)
            except MeasurementError as exc:
                errors = exc.errors
            else:
                return redirect(f"{request.path}?done=1&lang={language}")
        return _page(
            request,
            "respond/form.html",
            {
                **context,
                "items": form_items(questions, raw, errors),
                "errors": errors,
                "instrument": link.instrument_version.instrument,
                "action": request.path,
                "submission_id": submission_id,
            },
            status=422 if errors else 200,
        )
