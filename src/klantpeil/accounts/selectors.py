"""Reads about who may see what."""

from __future__ import annotations

from django.db.models import QuerySet

from klantpeil.accounts.models import Membership, User


def memberships_for(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation__sector")


def membership_in(*, user: User, organisation_slug: str) -> Membership | None:
    """The user's membership of the organisation with this slug, or None.

    Not a member and no such organisation look the same on purpose: the caller
    answers 404 either way, so slugs of other organisations cannot be probed.
    """
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(user=user, organisation__slug=organisation_slug)
        .select_related("organisation__sector")
        .first()
    )
