from django.contrib import admin

from klantpeil.core.admin import AllTenantsAdmin
from klantpeil.instruments.models import Instrument, InstrumentVersion, Question


@admin.register(Instrument)
class InstrumentAdmin(AllTenantsAdmin):
    list_display = ("key", "name_en", "method", "organisation")
    list_filter = ("method",)


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("position", "key", "type", "label_nl", "label_en", "driver", "indicator", "required")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InstrumentVersion)
class InstrumentVersionAdmin(admin.ModelAdmin):
    """Published versions are read-only: results point at them."""

    list_display = ("instrument", "number", "published_at")
    inlines = (QuestionInline,)

    def has_change_permission(self, request, obj=None) -> bool:
        return False
