"""Tenant scoping: the one place where "which organisation's data" is decided.

Every tenant-owned model inherits :class:`TenantModel`. Its default manager
refuses to run without a current organisation and always filters by it, so a
foreign id is simply "not found". The current organisation is a context
variable set by :class:`~klantpeil.core.middleware.TenantMiddleware` for web
requests, and by :func:`tenant` for services, tasks and commands.

Reading across organisations (operator back office, anonymised sector
benchmarks, the demo generator) goes through ``Model.all_tenants``: a
deliberately loud name that is easy to find in review. Every module that uses it
is on the allow-list, with its reason, in ``tests/test_cross_tenant_allow_list.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from klantpeil.organisations.models import Organisation

_current: ContextVar[Organisation | None] = ContextVar("klantpeil_organisation", default=None)


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried without a current organisation."""


def current_organisation() -> Organisation | None:
    return _current.get()


def require_organisation() -> Organisation:
    organisation = _current.get()
    if organisation is None:
        raise TenantScopeError(
            "No current organisation: wrap the code in `with tenant(org):` "
            "or use the loud `all_tenants` manager on purpose."
        )
    return organisation


@contextlib.contextmanager
def tenant(organisation: Organisation) -> Iterator[Organisation]:
    """Make ``organisation`` the current tenant for the enclosed block."""
    token = _current.set(organisation)
    try:
        yield organisation
    finally:
        _current.reset(token)


def activate(organisation: Organisation | None) -> Any:
    """Set the tenant without a ``with`` block; returns a token for :func:`deactivate`."""
    return _current.set(organisation)


def deactivate(token: Any) -> None:
    _current.reset(token)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Fail-closed manager: filters by the current organisation or raises."""

    def get_queryset(self) -> TenantQuerySet:
        organisation = require_organisation()
        queryset = super().get_queryset()
        if getattr(self.model, "tenant_shared", False):
            # Shared rows (organisation is NULL) are standard content every tenant may read.
            return queryset.filter(
                models.Q(organisation=organisation) | models.Q(organisation__isnull=True)
            )
        return queryset.filter(organisation=organisation)


class TenantModel(models.Model):
    """Base for every row that belongs to one organisation."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", db_index=True
    )

    # Shared models let rows without an organisation be read by every tenant.
    tenant_shared = False

    objects = TenantManager()
    all_tenants = models.Manager()  # noqa: DJ012

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A row created inside a tenant block belongs to that tenant; a row that
        # names another organisation there is a bug, not a feature.
        current = current_organisation()
        if self.organisation_id is None and current is not None:
            self.organisation = current
        elif current is not None and self.organisation_id not in (None, current.pk):
            raise TenantScopeError(
                f"Refusing to save {type(self).__name__} of organisation "
                f"{self.organisation_id} inside organisation {current.pk}"
            )
        super().save(*args, **kwargs)
