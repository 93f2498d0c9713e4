"""Distribution in the operator's back office: deliveries and opt-outs to look into
(read-only: a send's record is evidence), settings and templates to help a client."""

from django.contrib import admin
from django.http import HttpRequest

from klantpeil.core.admin import AllTenantsAdmin
from klantpeil.distribution.models import (
    Delivery,
    DistributionSettings,
    MessageTemplate,
    OptOut,
    ReminderRule,
)


class ReadOnly(AllTenantsAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("idempotency_key", "organisation", "channel", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind")
    exclude = ("sealed_token",)


@admin.register(OptOut)
class OptOutAdmin(ReadOnly):
    list_display = ("organisation", "channel", "source", "created_at")
    list_filter = ("source", "channel")


@admin.register(DistributionSettings)
class DistributionSettingsAdmin(AllTenantsAdmin):
    list_display = ("organisation", "sender_address", "fatigue_days", "window_start", "window_end")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(AllTenantsAdmin):
    list_display = ("organisation", "channel", "kind", "language", "updated_at")


@admin.register(ReminderRule)
class ReminderRuleAdmin(AllTenantsAdmin):
    list_display = ("organisation", "instrument", "reminders", "days_after")
