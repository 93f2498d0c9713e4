"""Creating users and memberships."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from klantpeil.accounts.models import Membership, Role, User
from klantpeil.organisations.models import Organisation


@transaction.atomic
def add_member(
    *,
    email: str,
    organisation: Organisation | None,
    role: str,
    password: str | None = None,
    check_password: bool = True,
) -> tuple[User, Membership | None]:
    """Create the user if needed and give them ``role`` in ``organisation``.

    Operators run the whole service: they become staff (the back office) and need
    no organisation. Every other role needs one. An existing user keeps their
    password unless a new one is given.
    """
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose from {', '.join(Role.values)}")
    if role != Role.OPERATOR and organisation is None:
        raise ValueError(f"The role {role!r} needs an organisation")
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email)
        if password is None:
            raise ValueError("A new user needs a password")
    if password is not None:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    if role == Role.OPERATOR:
        user.is_staff = True
        user.is_superuser = True
    user.save()
    membership = None
    if organisation is not None:
        membership, _ = Membership.objects.update_or_create(
            user=user, organisation=organisation, defaults={"role": role}
        )
    return user, membership
