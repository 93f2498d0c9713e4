from django.http import HttpRequest

from klantpeil.accounts.permissions import MANAGE_DATA, READ_DATA
from klantpeil.accounts.selectors import memberships_for


def tenancy(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    return {
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": membership,
        "memberships": memberships_for(user=user),
        "can_read_data": role in READ_DATA,
        "can_manage_data": role in MANAGE_DATA,
    }
