"""Users sign in with their e-mail address and act in organisations through memberships."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from klantpeil.core.tenancy import WHOLE_ORGANISATION, TenantModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    can_create_organisations = models.BooleanField(
        _("may create organisations"),
        default=False,
        help_text=_("Set by the operator: this user may set up new client organisations."),
    )
    # Set when an invitation is accepted: the app sends them to set up an authenticator first.
    two_factor_required = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email


class Role(models.TextChoices):
    """What a member may do in one organisation; operators run the whole service.

    Any member but the operator can also be limited to some units of the
    organisation (``Membership.units``; none chosen: the whole organisation). A
    limited member sees those units' measurements, figures, comments, fieldwork
    results, exports and reports, and nothing of the organisation's totals or the
    sector comparison. A *team lead* is a manager or viewer limited to their
    units; there is no separate role, because nothing in the app sets a team lead
    apart from a viewer of the same units except managing data, and managing
    data (import, API tokens, studies, forgetting a respondent) acts on the
    whole organisation, so it is kept for members who are not limited
    (accounts.permissions.role_required).
    """

    OPERATOR = "operator", _("Operator")
    ANALYST = "analyst", _("Analyst")
    MANAGER = "manager", _("Manager")
    VIEWER = "viewer", _("Viewer")
    SHOPPER = "shopper", _("Mystery shopper")


class Membership(models.Model):
    """A user's role in one organisation. The only way to see an organisation's data."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    units = models.ManyToManyField(
        "organisations.Unit",
        blank=True,
        related_name="+",
        verbose_name=_("limited to units"),
        help_text=_(
            "Only these units' data is shown to this member. "
            "Leave empty for the whole organisation."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org")
        ]
        ordering = ["organisation__name"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.role}"

    def unit_scope(self) -> frozenset[int] | None:
        """The ids of the units this member is limited to; None: the whole organisation.

        Read through the link table (a plain model): the units' own manager needs
        the tenant, which the middleware sets from this very answer."""
        return Membership.unit_scopes([self]).get(self.pk)

    @staticmethod
    def unit_scopes(memberships: Iterable[Membership]) -> dict[int, frozenset[int]]:
        """:meth:`unit_scope` of several memberships in one query: {membership id: unit
        ids}, holding only the limited ones (a list page must not ask per row)."""
        scopes: dict[int, set[int]] = {}
        links = Membership.units.through.objects.filter(
            membership_id__in=[m.pk for m in memberships]
        ).values_list("membership_id", "unit_id")
        for membership_id, unit_id in links:
            scopes.setdefault(membership_id, set()).add(unit_id)
        return {pk: frozenset(ids) for pk, ids in scopes.items()}


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(TenantModel):
    """A secret that lets a system act for one organisation through the API.

    Only a SHA-256 hash is stored; the token itself is shown once when made. A
    read-only token may only read; each use is recorded in the audit log.
    """

    # Managed by whole-organisation members only (accounts.permissions.manages_data).
    unit_scope = WHOLE_ORGANISATION

    name = models.CharField(max_length=120)
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.WRITE)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invitation(TenantModel):
    """An e-mailed, single-use, expiring link to join one organisation with a role.

    Only a SHA-256 hash of the link's secret is stored: the secret is in the e-mail only.
    """

    unit_scope = WHOLE_ORGANISATION  # team pages are for whole-organisation members only

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    units = models.ManyToManyField(
        "organisations.Unit", blank=True, related_name="+", verbose_name=_("limited to units")
    )
    language = models.CharField(max_length=5, default="nl")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation to the team")
        verbose_name_plural = _("invitations to the team")

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"
