"""The team pages (issue 22): members, invitations, accepting an invitation, and the
authenticator set-up that follows it."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from klantpeil.accounts.models import Invitation, Membership, Role
from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.accounts.team import (
    TeamError,
    accept,
    change_member,
    grantable_roles,
    invitation_for_secret,
    invitation_problem,
    invite,
    pending_invitations,
    rank,
    remove_member,
    resend,
    revoke,
)
from klantpeil.organisations.models import Unit

logger = logging.getLogger("klantpeil.mail")
LANGUAGE_CHOICES = [("nl", gettext_lazy("Dutch")), ("en", gettext_lazy("English"))]


def _apply(form: forms.Form, exc: TeamError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"))
    units = forms.MultipleChoiceField(
        label=gettext_lazy("Limited to units"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: the whole organisation."),
    )

    def __init__(self, *args: Any, own_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Role.choices)
        # Every role is listed so that a refused one gets its reason, not a silent drop.
        self.fields["role"].choices = [
            (r, labels[r]) for r in Role.values if r != Role.OPERATOR or own_role == Role.OPERATOR
        ]
        self.fields["role"].initial = (
            grantable_roles(own_role)[-2] if len(grantable_roles(own_role)) > 1 else None
        )
        self.fields["units"].choices = [(u.code, u.name) for u in Unit.objects.order_by("name")]


class InviteForm(MemberForm):
    email = forms.CharField(label=gettext_lazy("E-mail address"), max_length=254)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mail"), choices=LANGUAGE_CHOICES
    )

    field_order = ["email", "role", "units", "language"]


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _send_failed(request: HttpRequest, exc: Exception) -> None:
    logger.error("Could not send an invitation: %s: %s", type(exc).__name__, exc)
    messages.error(
        request, _("The e-mail could not be sent just now, so nothing was saved. Try again later.")
    )


@role_required(MANAGE_DATA)
def team_view(request: HttpRequest, org: str) -> HttpResponse:
    """The members and pending invitations, and a form to invite someone."""
    organisation, own_role = request.organisation, request.membership.role
    form = InviteForm(
        request.POST or None,
        own_role=own_role,
        initial={"language": organisation.default_language},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = invite(
                organisation=organisation,
                inviter=request.user,
                inviter_role=own_role,
                email=data["email"],
                role=data["role"],
                unit_codes=data["units"],
                language=data["language"],
                base_url=_base_url(request),
            )
        except TeamError as exc:
            _apply(form, exc)
        except Exception as exc:  # the mail server: refused, down, timed out
            _send_failed(request, exc)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": sent.invitation.email},
            )
            return redirect("app:team", org=org)
    members = list(
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__email")
    )
    scopes = Membership.unit_scopes(members)
    unit_names = dict(Unit.objects.values_list("pk", "name"))
    rows = [
        {
            "membership": m,
            "units": sorted(unit_names.get(u, "?") for u in scopes.get(m.pk, ())),
            "editable": rank(m.role) >= rank(own_role) and m.role != Role.OPERATOR,
        }
        for m in members
    ]
    invitations = list(pending_invitations().select_related("invited_by"))
    return render(
        request,
        "accounts/team.html",
        {
            "form": form,
            "rows": rows,
            "invitations": invitations,
            "grantable": grantable_roles(own_role),
        },
        status=400 if form.errors else 200,
    )


def _member(request: HttpRequest, member_id: int) -> Membership:
    membership = (
        Membership.objects.filter(pk=member_id, organisation=request.organisation)
        .select_related("user", "organisation")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


@role_required(MANAGE_DATA)
def member_view(request: HttpRequest, org: str, member_id: int) -> HttpResponse:
    """Change a member's role or unit limit, or remove them (``action``)."""
    membership = _member(request, member_id)
    own_role = request.membership.role
    if rank(membership.role) < rank(own_role):
        raise PermissionDenied
    scope = membership.unit_scope() or ()
    form = MemberForm(
        request.POST if request.POST.get("action") == "change" else None,
        own_role=own_role,
        initial={
            "role": membership.role,
            "units": list(Unit.objects.filter(pk__in=scope).values_list("code", flat=True)),
        },
    )
    problem = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("change", "remove"):
            return HttpResponseBadRequest(_("Choose what to do: change or remove."))
        try:
            if action == "remove":
                remove_member(membership=membership, actor=request.user, actor_role=own_role)
                messages.success(
                    request,
                    _("%(email)s was removed from the team.") % {"email": membership.user.email},
                )
                if membership.user_id == request.user.pk:
                    return redirect("app:home")
                return redirect("app:team", org=org)
            if form.is_valid():
                change_member(
                    membership=membership,
                    actor=request.user,
                    actor_role=own_role,
                    role=form.cleaned_data["role"],
                    unit_codes=form.cleaned_data["units"],
                )
                messages.success(request, _("Saved."))
                return redirect("app:team", org=org)
        except TeamError as exc:
            if form.is_bound:
                _apply(form, exc)
            else:
                problem = "; ".join(exc.errors.values())
    return render(
        request,
        "accounts/member.html",
        {"form": form, "member": membership, "problem": problem},
        status=400 if (form.errors or problem) else 200,
    )


@require_POST
@role_required(MANAGE_DATA)
def invitation_view(request: HttpRequest, org: str, invitation_id: int) -> HttpResponse:
    """Resend or revoke a pending invitation (``action``)."""
    invitation = Invitation.objects.filter(pk=invitation_id).select_related("organisation").first()
    if invitation is None:
        raise Http404
    action = request.POST.get("action")
    if action not in ("resend", "revoke"):
        return HttpResponseBadRequest(_("Choose what to do: resend or revoke."))
    own_role = request.membership.role
    try:
        if action == "resend":
            resend(
                invitation=invitation,
                actor=request.user,
                actor_role=own_role,
                base_url=_base_url(request),
            )
            messages.success(
                request, _("Invitation sent again to %(email)s.") % {"email": invitation.email}
            )
        else:
            revoke(invitation=invitation, actor=request.user, actor_role=own_role)
            messages.success(
                request, _("Invitation to %(email)s revoked.") % {"email": invitation.email}
            )
    except TeamError as exc:
        messages.error(request, "; ".join(exc.errors.values()))
    except PermissionDenied:
        raise
    except Exception as exc:
        _send_failed(request, exc)
    return redirect("app:team", org=org)


# --- the invited person -------------------------------------------------------------


class AcceptForm(forms.Form):
    password1 = forms.CharField(
        label=gettext_lazy("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )
    password2 = forms.CharField(
        label=gettext_lazy("The same password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


def _sign_in(request: HttpRequest, user: Any) -> None:
    """Sign in as allauth does after a password login, so that allauth's own pages
    (the authenticator set-up) do not ask for the password again."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    from allauth.account.internal.flows.login import record_authentication

    # They typed the password just now: that counts as a fresh authentication.
    record_authentication(request, user, method="password", email=user.email, reauthenticated=True)


def accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation: set a password (a new user) or join (signed in as the
    invited address), then set up two-factor authentication."""
    invitation = invitation_for_secret(token)
    problem = invitation_problem(invitation)
    if problem:
        return render(request, "accounts/accept.html", {"problem": problem}, status=410)
    from klantpeil.accounts.models import User

    existing = User.objects.filter(email=invitation.email).exists()
    # Someone with an account only confirms: an empty form, whose errors are the page's.
    data = request.POST if request.method == "POST" else None
    form = forms.Form(data) if existing else AcceptForm(data)
    if request.method == "POST":
        try:
            if existing:
                form.is_valid()
                if not request.user.is_authenticated or request.user.email != invitation.email:
                    raise TeamError(
                        {
                            "invitation": _("Sign in as %(email)s first.")
                            % {"email": invitation.email}
                        }
                    )
                membership = accept(secret=token, password=None, user=request.user)
            elif form.is_valid():
                membership = accept(secret=token, password=form.cleaned_data["password1"])
                _sign_in(request, membership.user)
            else:
                membership = None
        except TeamError as exc:
            _apply(form, exc)
            membership = None
        if membership is not None:
            request.session["kp_welcome_org"] = membership.organisation.slug
            return redirect("team-two-factor")
    return render(
        request,
        "accounts/accept.html",
        {"invitation": invitation, "form": form, "existing": existing},
        status=400 if form.errors else 200,
    )


def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (TOTP), then on to the organisation's first steps."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.totp.forms import ActivateTOTPForm as TOTPForm
    from allauth.mfa.totp.internal import flows

    from klantpeil.core.security import has_totp

    slug = request.session.get("kp_welcome_org")
    next_url = reverse("app:overview", kwargs={"org": slug}) if slug else reverse("app:home")
    if has_totp(request.user):
        return redirect(next_url)
    form = TOTPForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        flows.activate_totp(request, form)
        request.user.two_factor_required = False
        request.user.save(update_fields=["two_factor_required"])
        messages.success(
            request,
            _("Two-factor authentication is on. Keep your recovery codes somewhere safe."),
        )
        return redirect(next_url)
    adapter = get_adapter()
    totp_url = adapter.build_totp_url(request.user, form.secret)
    return render(
        request,
        "accounts/two_factor.html",
        {
            "form": form,
            "secret": form.secret,
            "totp_url": totp_url,
            "totp_svg": adapter.build_totp_svg(totp_url),
        },
        status=400 if form.errors else 200,
    )
