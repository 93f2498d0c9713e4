"""The rollups' health in the back office: the self-check's runs and each organisation's
feed (last fold, measurements waiting). Operators read it; nobody edits it."""

from django.contrib import admin
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from klantpeil.core.admin import AllTenantsAdmin
from klantpeil.rollups.models import RollupCheck, RollupFold
from klantpeil.rollups.services import driver_layout, pending_rows


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RollupCheck)
class RollupCheckAdmin(ReadOnly):
    list_display = (
        "started_at",
        "trigger",
        "organisations",
        "days",
        "days_different",
        "days_repaired",
        "different_days",
    )
    list_filter = ("trigger",)
    date_hierarchy = "started_at"

    @admin.display(description=_("differences (rollups → raw)"))
    def different_days(self, check: RollupCheck) -> str:
        shown = [
            f"{d['organisation']} {d['day']}{' (' + _('drivers') + ')' if d.get('cells') else ''}: "
            f"{d['rollups']} → {d['raw']}"
            for d in check.differences[:10]
        ]
        more = len(check.differences) - len(shown)
        return "; ".join(shown) + (f" (+{more})" if more > 0 else "")


@admin.register(RollupFold)
class RollupFoldAdmin(AllTenantsAdmin, ReadOnly):
    list_display = ("organisation", "folded_at", "folded", "waiting", "drivers_current")
    ordering = ("organisation__name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        waiting = (
            pending_rows()
            .filter(organisation_id=OuterRef("organisation_id"))
            .order_by()
            .values("organisation_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return super().get_queryset(request).annotate(waiting=Subquery(waiting))

    @admin.display(description=_("driver cells current"), boolean=True)
    def drivers_current(self, fold: RollupFold) -> bool:
        # False after an upgrade changed their layout, until the next refresh rebuilds them.
        return fold.driver_layout == driver_layout()

    @admin.display(description=_("measurements waiting"), ordering="waiting")
    def waiting(self, fold: RollupFold) -> int:
        return fold.waiting or 0
