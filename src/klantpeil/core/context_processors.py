from django.http import HttpRequest

from klantpeil.accounts.selectors import memberships_for


def tenancy(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": getattr(request, "membership", None),
        "memberships": memberships_for(user=user),
    }
