from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import Resolver404, resolve, reverse

from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA, may_view
from klantpeil.accounts.selectors import memberships_for
from klantpeil.core.tenancy import unit_limited

# Filters that mean the same in every organisation; a unit code does not.
PORTABLE_FILTERS = ("period", "channel")


def tenancy(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    memberships = memberships_for(user=user)
    return {
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": membership,
        "memberships": memberships,
        "switch_links": lambda: switch_links(request, memberships),
        "can_read_data": role in READ_DATA,
        # A member limited to units manages no data (accounts.permissions.manages_data).
        "can_manage_data": role in MANAGE_DATA and not unit_limited(),
        "unit_limited": unit_limited(),
    }


def _landing(membership) -> str:
    name = "app:fieldwork:shopper-today" if membership.role == "shopper" else "app:overview"
    return reverse(name, kwargs={"org": membership.organisation.slug})


def switch_links(request: HttpRequest, memberships) -> list[tuple[object, str]]:
    """Each membership with the same page in that organisation, where its role may see it.

    A detail page (a measurement, a study, a report) becomes its list: the same id does
    not exist elsewhere. Only the period and channel filters travel along.
    """
    organisation = getattr(request, "organisation", None)
    prefix = f"/app/{organisation.slug}/" if organisation else None
    rest = ""
    if prefix and request.path.startswith(prefix):
        parts = request.path[len(prefix) :].split("/")
        kept = []
        for part in parts:
            if part.isdigit():
                break
            kept.append(part)
        rest = "/".join(kept)
        if rest and not rest.endswith("/"):
            rest += "/"
    query = urlencode({k: request.GET[k] for k in PORTABLE_FILTERS if request.GET.get(k)})
    links = []
    for membership in memberships:
        target = _landing(membership)
        if rest:
            candidate = f"/app/{membership.organisation.slug}/{rest}"
            try:
                match = resolve(candidate)
            except Resolver404:
                match = None
            if match is not None and may_view(membership.role, match):
                target = candidate + (f"?{query}" if query else "")
        links.append((membership, target))
    return links
