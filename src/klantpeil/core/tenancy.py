"""Tenant scoping: the one place where "which organisation's data" is decided.

Every tenant-owned model inherits :class:`TenantModel`. Its default manager
refuses to run without a current organisation and always filters by it, so a
foreign id is simply "not found". The current organisation is a context
variable set by :class:`~klantpeil.core.middleware.TenantMiddleware` for web
requests, and by :func:`tenant` for services, tasks and commands.

Reading across organisations (operator back office, anonymised sector
benchmarks, the demo generator) goes through ``Model.unscoped_all_tenants``: a
deliberately loud name that is easy to find in review. Every module that uses it
is on the allow-list, with its reason, in ``tests/test_cross_tenant_allow_list.py``.

Inside the organisation, a member may be limited to some of its units
(``Membership.units``). That is the second half of the same decision and lives
here too: the *unit scope*, a context variable beside the current organisation,
set from the membership by the middleware and from the token's owner by the API
authentication. A tenant-owned model that belongs to a unit names the path to it
in ``unit_scope`` (``"unit"``, ``"measurement__unit"``, ``"unit_key"`` …), and the
same fail-closed manager then keeps every row of other units (and rows of no unit)
out, so another unit's id is "not found" exactly like a foreign one. A model that
is about the organisation as a whole and not about units says ``unit_scope =
WHOLE_ORGANISATION``; one that holds unit-less rows a limited member must not see
says ``unit_scope = HIDDEN_FROM_UNITS``. ``tests/test_unit_scope.py`` checks every
tenant model made that choice.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from klantpeil.organisations.models import Organisation

_current: ContextVar[Organisation | None] = ContextVar("klantpeil_organisation", default=None)
# None: the whole organisation; a frozenset of unit ids: only those units' rows.
_units: ContextVar[frozenset[int] | None] = ContextVar("klantpeil_units", default=None)

# Values of ``TenantModel.unit_scope`` that are not a path to a unit.
WHOLE_ORGANISATION = "whole organisation"  # not about units: every member reads it
HIDDEN_FROM_UNITS = "hidden from units"  # rows of no unit: a unit-limited member sees none


class TenantScopeError(RuntimeError):
    """A tenant-owned table was queried without a current organisation."""


def current_organisation() -> Organisation | None:
    return _current.get()


def require_organisation() -> Organisation:
    organisation = _current.get()
    if organisation is None:
        raise TenantScopeError(
            "No current organisation: wrap the code in `with tenant(org):` "
            "or use the loud `unscoped_all_tenants` manager on purpose."
        )
    return organisation


def current_units() -> frozenset[int] | None:
    """The ids of the units the current reader is limited to; None: the whole organisation."""
    return _units.get()


def unit_limited() -> bool:
    return _units.get() is not None


def _unit_ids(
    organisation: Organisation | None, units: Iterable[int] | None
) -> frozenset[int] | None:
    """The scope of a member limited to ``units``: those units and all their sub-units
    (a role on Publiekszaken covers Burgerzaken and Balie Centrum below it), read from
    the organisation's unit tree in one query. Widened here, where every scope is set
    (middleware, API tokens, reports, commands), so no reader has to remember it."""
    if units is None:
        return None
    ids = frozenset(int(u) for u in units)
    if organisation is None or not ids:
        return ids
    from klantpeil.organisations.selectors import subtree_ids

    return subtree_ids(organisation.pk, ids)


@contextlib.contextmanager
def tenant(
    organisation: Organisation, units: Iterable[int] | None = None
) -> Iterator[Organisation]:
    """Make ``organisation`` the current tenant for the enclosed block, limited to
    ``units`` (ids) and their sub-units when given. Without ``units`` the block sees the whole
    organisation: tasks, services and commands work for the organisation, never
    inside the limit of whoever happened to trigger them."""
    token = activate(organisation, units)
    try:
        yield organisation
    finally:
        deactivate(token)


def activate(organisation: Organisation | None, units: Iterable[int] | None = None) -> Any:
    """Set the tenant (and its unit scope) without a ``with`` block; returns a token
    for :func:`deactivate`."""
    return _current.set(organisation), _units.set(_unit_ids(organisation, units))


def deactivate(token: Any) -> None:
    organisation_token, units_token = token
    _units.reset(units_token)
    _current.reset(organisation_token)


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Fail-closed manager: filters by the current organisation or raises, and by the
    current unit scope (see the module's docstring) when the reader is limited."""

    def get_queryset(self) -> TenantQuerySet:
        organisation = require_organisation()
        queryset = super().get_queryset()
        if getattr(self.model, "tenant_shared", False):
            # Shared rows (organisation is NULL) are standard content every tenant may read.
            return queryset.filter(
                models.Q(organisation=organisation) | models.Q(organisation__isnull=True)
            )
        queryset = queryset.filter(organisation=organisation)
        units = _units.get()
        if units is None:
            return queryset
        return within_units(queryset, units)


def within_units(queryset: models.QuerySet, units: frozenset[int]) -> models.QuerySet:
    """``queryset`` narrowed to rows of ``units`` by its model's ``unit_scope``.

    A model that has not declared its scope raises: a new unit-owned table must not
    quietly show every unit to a limited member."""
    path = getattr(queryset.model, "unit_scope", None)
    if path is None:
        raise TenantScopeError(
            f"{queryset.model.__name__} has no unit_scope: say how its rows belong to units "
            "(a path such as 'unit'), or WHOLE_ORGANISATION / HIDDEN_FROM_UNITS."
        )
    if path == WHOLE_ORGANISATION:
        return queryset
    if path == HIDDEN_FROM_UNITS:
        return queryset.none()
    return queryset.filter(**{f"{path}__in": sorted(units)})


class TenantModel(models.Model):
    """Base for every row that belongs to one organisation."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", db_index=True
    )

    # Shared models let rows without an organisation be read by every tenant.
    tenant_shared = False
    # How a row belongs to a unit, for members limited to units (module docstring).
    unit_scope: str | None = None

    objects = TenantManager()
    unscoped_all_tenants = models.Manager()  # noqa: DJ012

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
