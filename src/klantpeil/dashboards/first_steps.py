"""A new organisation's overview: its next steps instead of a page of empty charts."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from klantpeil.collection.models import Measurement


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    text: str
    url: str | None
    done: bool


def has_measurements() -> bool:
    """Whether the current organisation (within the reader's units) has any measurement."""
    return Measurement.objects.exists()


def _url(name: str, org: str) -> str | None:
    try:
        return reverse(name, kwargs={"org": org})
    except NoReverseMatch:  # a page another part of the product adds
        return None


def first_steps(request: HttpRequest) -> list[Step]:
    """The set-up steps, in order, each with where to do it and whether it is done."""
    from klantpeil.accounts.models import ApiToken, Invitation, Membership
    from klantpeil.collection.models import OpenLink
    from klantpeil.organisations.models import Channel, Unit

    org = request.organisation.slug
    team = Membership.objects.filter(organisation=request.organisation).count()
    return [
        Step(
            "units",
            _("Add your units and channels"),
            _("The departments, teams or locations you measure, and the channels they serve."),
            _url("app:units", org) or _url("app:settings", org),
            Unit.objects.exists() and Channel.objects.exists(),
        ),
        Step(
            "team",
            _("Invite your team"),
            _("Managers and colleagues who read the results, each with their own role."),
            _url("app:team", org),
            team > 1 or Invitation.objects.exists(),
        ),
        Step(
            "collect",
            _("Make an API token or an open survey link"),
            _(
                "A token lets your contact systems send invitations after each contact; "
                "an open link can go on a website or a receipt."
            ),
            _url("app:tokens", org),
            ApiToken.objects.exists() or OpenLink.objects.exists(),
        ),
        Step(
            "history",
            _("Import your history"),
            _("Earlier survey results from a CSV or Excel file, so trends start today."),
            _url("app:import", org),
            False,
        ),
    ]
