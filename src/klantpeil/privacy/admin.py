"""The audit log in the back office: operators read it; nobody edits it."""

from django.contrib import admin
from django.http import HttpRequest

from klantpeil.privacy.models import AuditEvent, RetentionPolicy


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "action", "user", "api_token", "organisation", "method", "path", "status")
    list_filter = ("action", "organisation")
    search_fields = ("path", "route", "user__email", "api_token__prefix")
    date_hierarchy = "at"
    list_select_related = ("user", "api_token", "organisation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("organisation", "contact_days")
    list_select_related = ("organisation",)
