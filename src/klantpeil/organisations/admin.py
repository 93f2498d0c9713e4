from django.contrib import admin

from klantpeil.core.admin import AllTenantsAdmin
from klantpeil.organisations.models import Channel, Organisation, Sector, Unit


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("key", "name_nl", "name_en")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "sector", "created_at")
    list_filter = ("sector",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Unit)
class UnitAdmin(AllTenantsAdmin):
    list_display = ("name", "code", "parent", "organisation")
    list_filter = ("organisation",)
    search_fields = ("name", "code")


@admin.register(Channel)
class ChannelAdmin(AllTenantsAdmin):
    list_display = ("kind", "name", "organisation")
    list_filter = ("kind", "organisation")
