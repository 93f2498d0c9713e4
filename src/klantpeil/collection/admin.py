from django.contrib import admin

from klantpeil.collection.models import Correction, Measurement
from klantpeil.core.admin import AllTenantsAdmin


@admin.register(Measurement)
class MeasurementAdmin(AllTenantsAdmin):
    """Read-only: measurements are append-only, corrections go through the service."""

    list_display = ("id", "organisation", "method", "channel", "occurred_at", "source")
    list_filter = ("method", "source")
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    list_select_related = ("organisation", "channel")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Correction)
class CorrectionAdmin(AllTenantsAdmin):
    list_display = ("original", "replacement", "corrected_by", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False
