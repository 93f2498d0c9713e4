"""Forgetting one respondent from the app (organisation scope from TenantMiddleware)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klantpeil.accounts.permissions import MANAGE_DATA, role_required
from klantpeil.privacy.services import forget_respondent


class ForgetForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), required=False)
    phone = forms.CharField(label=gettext_lazy("Phone number"), max_length=40, required=False)
    contact_id = forms.CharField(
        label=gettext_lazy("Your contact id"), max_length=120, required=False
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Delete this respondent's contact data and answers for good"),
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        if not any(data.get(k) for k in ("email", "phone", "contact_id")):
            raise forms.ValidationError(
                _("Name the respondent by e-mail address, phone number or contact id.")
            )
        return data


@role_required(MANAGE_DATA)
def forget_view(request: HttpRequest, org: str) -> HttpResponse:
    """A request to be forgotten: first what would go, then, confirmed, it goes."""
    form = ForgetForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = forget_respondent(
            email=data["email"],
            phone=data["phone"],
            external_contact_id=data["contact_id"],
            by=request.user,
            dry_run=not data["confirm"],
        )
        if data["confirm"]:
            messages.success(
                request,
                _("Deleted %(invitations)s invitation(s) and %(measurements)s measurement(s).")
                % {"invitations": result.invitations, "measurements": result.measurements},
            )
            if result.reports:
                messages.warning(
                    request,
                    _(
                        "%(reports)s stored report(s) held their answers and were deleted: "
                        "make them again under Reports."
                    )
                    % {"reports": result.reports},
                )
            return redirect("privacy:forget", org=org)
        preview = result
    return render(request, "privacy/forget.html", {"form": form, "preview": preview})
