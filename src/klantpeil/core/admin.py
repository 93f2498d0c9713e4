"""The operator's back office reads across organisations on purpose."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class AllTenantsAdmin(admin.ModelAdmin):
    """Admin for tenant-owned models: the operator sees every organisation (loudly)."""

    list_select_related = ("organisation",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.model.unscoped_all_tenants.get_queryset()
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset
