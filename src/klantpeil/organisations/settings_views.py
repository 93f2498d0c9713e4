"""The organisation's settings pages (issue 22), a new client organisation, the change
log, and the logo's public address. Each settings page is one form; its service
(organisations.setup_services) checks again and writes the change log."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.metrics.disclosure import MIN_GROUP
from klantpeil.metrics.reachability import Norms
from klantpeil.organisations.models import Organisation, OrganisationLogo, Sector
from klantpeil.organisations.setup_services import (
    MAX_LOGO_BYTES,
    SetupError,
    check_accent_colour,
    check_logo,
    create_organisation,
    may_create_organisations,
    update_settings,
)
from klantpeil.privacy import audit

LANGUAGE_CHOICES = [("nl", gettext_lazy("Dutch")), ("en", gettext_lazy("English"))]


def _apply(form: forms.Form, exc: SetupError) -> None:
    """Put each of the service's problems on its field (or on the form)."""
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


# --- a new client organisation ------------------------------------------------------


class OrganisationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    slug = forms.CharField(
        label=gettext_lazy("Short name in addresses (slug)"),
        max_length=50,
        help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. gemeente-utrecht."),
    )
    sector = forms.ChoiceField(label=gettext_lazy("Sector"))
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["nl", "en"],
    )
    default_language = forms.ChoiceField(
        label=gettext_lazy("Default language"), choices=LANGUAGE_CHOICES, initial="nl"
    )

    def __init__(self, *args: Any, language: str = "nl", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name = "name_nl" if language == "nl" else "name_en"
        self.fields["sector"].choices = [("", "—")] + [
            (s.key, getattr(s, name)) for s in Sector.objects.order_by(name)
        ]


def organisation_new(request: HttpRequest) -> HttpResponse:
    """An analyst (or anyone the operator allowed) sets up a client organisation and
    becomes its analyst."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if not may_create_organisations(request.user):
        raise PermissionDenied
    language = request.LANGUAGE_CODE or "nl"
    form = OrganisationForm(request.POST or None, language=language)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organisation = create_organisation(
                creator=request.user,
                name=data["name"],
                slug=data["slug"],
                sector_key=data["sector"],
                languages=data["languages"],
                default_language=data["default_language"],
            )
        except SetupError as exc:
            _apply(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is set up. Here is what to do next.") % {"name": organisation.name},
            )
            return redirect("app:overview", org=organisation.slug)
    return render(
        request, "organisations/new.html", {"form": form}, status=400 if form.errors else 200
    )


# --- settings -------------------------------------------------------------------------


@role_required(MANAGE_DATA)
def settings_index(request: HttpRequest, org: str) -> HttpResponse:
    from klantpeil.privacy.services import retention_days

    organisation = request.organisation
    return render(
        request,
        "organisations/settings/index.html",
        {
            "norms": Norms(**_norm_values(organisation)),
            "email_days": organisation.norms.get("email_working_days", 2),
            "retention": retention_days(organisation),
        },
    )


def _norm_values(organisation: Organisation) -> dict[str, float]:
    configured = organisation.norms or {}
    return {k: float(v) for k, v in configured.items() if k in Norms.__dataclass_fields__}


def _percent(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=1, max_value=100, decimal_places=1, help_text="%"
    )


class NormsForm(forms.Form):
    """The norms the KPIs are measured against; rates are entered as percentages and
    stored as fractions (what metrics.reachability.Norms reads)."""

    answer_seconds = forms.IntegerField(
        label=gettext_lazy("Answered within (seconds)"), min_value=1, max_value=600
    )
    answered_within_norm = _percent(
        gettext_lazy("Target: share of calls answered within that time")
    )
    technically_reachable = _percent(gettext_lazy("Target: technically reachable"))
    helped = _percent(gettext_lazy("Target: callers helped"))
    callback_hours = forms.IntegerField(
        label=gettext_lazy("Callback kept within (hours)"), min_value=1, max_value=336
    )
    email_working_days = forms.IntegerField(
        label=gettext_lazy("E-mail answered within (working days)"), min_value=1, max_value=30
    )


RATE_NORMS = ("answered_within_norm", "technically_reachable", "helped")


@role_required(MANAGE_DATA)
def settings_norms(request: HttpRequest, org: str) -> HttpResponse:
    organisation = request.organisation
    norms = Norms(**_norm_values(organisation))
    initial = {
        "answer_seconds": int(norms.answer_seconds),
        "callback_hours": int(norms.callback_hours),
        "email_working_days": int(organisation.norms.get("email_working_days", 2)),
        **{k: round(getattr(norms, k) * 100, 1) for k in RATE_NORMS},
    }
    form = NormsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        values = {
            **(organisation.norms or {}),
            "answer_seconds": data["answer_seconds"],
            "callback_hours": data["callback_hours"],
            "email_working_days": data["email_working_days"],
            **{k: round(float(data[k]) / 100, 4) for k in RATE_NORMS},
        }
        update_settings(
            organisation=organisation,
            actor=request.user,
            section="norms",
            changes={"norms": values},
        )
        messages.success(request, _("Norms saved."))
        return redirect("app:settings-norms", org=org)
    return _page(request, "norms", form)


class PrivacyForm(forms.Form):
    contact_days = forms.IntegerField(
        label=gettext_lazy("Keep respondents' contact data (days)"), min_value=1, max_value=3650
    )
    anonymity_minimum = forms.IntegerField(
        label=gettext_lazy("Smallest group shown (anonymity minimum)"),
        min_value=MIN_GROUP,
        max_value=100,
    )


@role_required(MANAGE_DATA)
def settings_privacy(request: HttpRequest, org: str) -> HttpResponse:
    from klantpeil.privacy.services import retention_days

    organisation = request.organisation
    form = PrivacyForm(
        request.POST or None,
        initial={
            "contact_days": retention_days(organisation),
            "anonymity_minimum": organisation.anonymity_minimum,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_settings(
                organisation=organisation,
                actor=request.user,
                section="privacy",
                changes={"anonymity_minimum": form.cleaned_data["anonymity_minimum"]},
                retention_days=form.cleaned_data["contact_days"],
            )
        except SetupError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Privacy settings saved."))
            return redirect("app:settings-privacy", org=org)
    return _page(request, "privacy", form, {"floor": MIN_GROUP})


class BrandingForm(forms.Form):
    accent_colour = forms.CharField(
        label=gettext_lazy("Accent colour"),
        required=False,
        max_length=7,
        help_text=gettext_lazy(
            "As #rrggbb. Buttons and headings on the respondent form and in e-mails use it "
            "with white text, so it must be dark enough (WCAG contrast at least 4.5:1)."
        ),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("A PNG or JPEG image of at most 512 KB."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)

    def clean_accent_colour(self) -> str:
        try:
            return check_accent_colour(self.cleaned_data["accent_colour"])
        except SetupError as exc:
            raise forms.ValidationError(exc.errors["accent_colour"]) from None

    def clean_logo(self) -> Any:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(
                _("The logo is %(size)s KB; at most %(max)s KB.")
                % {"size": (upload.size + 1023) // 1024, "max": MAX_LOGO_BYTES // 1024}
            )
        try:
            return check_logo(upload.read())
        except SetupError as exc:
            raise forms.ValidationError(exc.errors["logo"]) from None


@role_required(MANAGE_DATA)
def settings_branding(request: HttpRequest, org: str) -> HttpResponse:
    organisation = request.organisation
    form = BrandingForm(
        request.POST or None,
        request.FILES or None,
        initial={"accent_colour": organisation.accent_colour},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        update_settings(
            organisation=organisation,
            actor=request.user,
            section="branding",
            changes={"accent_colour": data["accent_colour"]},
            logo=data["logo"],
            remove_logo=data["remove_logo"] and not data["logo"],
        )
        messages.success(request, _("Branding saved."))
        return redirect("app:settings-branding", org=org)
    return _page(request, "branding", form)


class LanguageForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    default_language = forms.ChoiceField(
        label=gettext_lazy("Default language"),
        choices=LANGUAGE_CHOICES,
        help_text=gettext_lazy("For surveys and invitations when no other language is chosen."),
    )


@role_required(MANAGE_DATA)
def settings_language(request: HttpRequest, org: str) -> HttpResponse:
    organisation = request.organisation
    form = LanguageForm(
        request.POST or None,
        initial={
            "languages": organisation.languages,
            "default_language": organisation.default_language,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_settings(
                organisation=organisation,
                actor=request.user,
                section="language",
                changes={
                    "languages": form.cleaned_data["languages"],
                    "default_language": form.cleaned_data["default_language"],
                },
            )
        except SetupError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Language settings saved."))
            return redirect("app:settings-language", org=org)
    return _page(request, "language", form)


SECTION_TITLES = {
    "norms": gettext_lazy("Norms"),
    "privacy": gettext_lazy("Privacy and anonymity"),
    "branding": gettext_lazy("Branding"),
    "language": gettext_lazy("Language"),
}


def _page(
    request: HttpRequest, section: str, form: forms.Form, extra: dict | None = None
) -> HttpResponse:
    return render(
        request,
        f"organisations/settings/{section}.html",
        {"form": form, "section": section, "title": SECTION_TITLES[section], **(extra or {})},
        status=400 if form.errors else 200,
    )


CHANGES_PER_PAGE = 100


@role_required(MANAGE_DATA)
def settings_changes(request: HttpRequest, org: str) -> HttpResponse:
    """The organisation's change log: who changed what, when, before and after."""
    entries = list(audit.changes()[:CHANGES_PER_PAGE])
    for entry in entries:
        entry.before_json = _as_json(entry.before)
        entry.after_json = _as_json(entry.after)
    return render(request, "organisations/settings/changes.html", {"entries": entries})


def _as_json(value: Any) -> str:
    return "–" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


@require_GET
def brand_logo(request: HttpRequest, digest: str) -> HttpResponse:
    """The logo by its SHA-256: for the respondent form and e-mails, without a login."""
    logo = OrganisationLogo.objects.filter(digest=digest).only("content", "content_type").first()
    if logo is None:
        raise Http404
    response = HttpResponse(bytes(logo.content), content_type=logo.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
