from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from klantpeil.accounts.models import Membership, Role, User
from klantpeil.organisations.models import Unit


class UnitChoices(forms.ModelMultipleChoiceField):
    """Units of every organisation (the back office has no current one), named with
    their organisation so two "Customer service" units can be told apart."""

    def label_from_instance(self, unit: Unit) -> str:
        return f"{unit.organisation} · {unit.name} ({unit.code})"


class MembershipForm(forms.ModelForm):
    """Role and unit limit of one membership. The units are written through the link
    table: the units' own manager needs a current organisation, which the back office
    does not have."""

    limited_units = UnitChoices(
        queryset=Unit.unscoped_all_tenants.select_related("organisation").order_by(
            "organisation__name", "name"
        ),
        required=False,
        label=_("limited to units"),
        help_text=_(
            "Only these units' data is shown to this member. "
            "Leave empty for the whole organisation."
        ),
    )

    class Meta:
        model = Membership
        fields = ("organisation", "role")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["limited_units"] = sorted(self.instance.unit_scope() or ())

    def clean(self) -> dict:
        data = super().clean()
        organisation, units = data.get("organisation"), data.get("limited_units") or []
        foreign = [u for u in units if organisation and u.organisation_id != organisation.pk]
        if foreign:
            self.add_error(
                "limited_units",
                _("These units belong to another organisation: %(units)s")
                % {"units": ", ".join(f"{u.organisation} · {u.name}" for u in foreign)},
            )
        if units and data.get("role") == Role.OPERATOR:
            self.add_error(
                "limited_units", _("Operators run the whole service; they have no units.")
            )
        return data

    def _save_m2m(self) -> None:
        super()._save_m2m()
        links = Membership.units.through
        links.objects.filter(membership_id=self.instance.pk).delete()
        links.objects.bulk_create(
            [
                links(membership_id=self.instance.pk, unit_id=unit.pk)
                for unit in self.cleaned_data.get("limited_units") or []
            ]
        )


class MembershipInline(admin.TabularInline):
    model = Membership
    form = MembershipForm
    fields = ("organisation", "role", "limited_units")
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "can_create_organisations",
        "is_active",
        "last_login",
    )
    search_fields = ("email", "first_name", "last_name")
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "can_create_organisations",
                    "groups",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    fields = ("user", "organisation", "role", "limited_units")
    list_display = ("user", "organisation", "role", "limited_to", "created_at")
    list_filter = ("role", "organisation")
    search_fields = ("user__email", "organisation__name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        # The units of every listed membership in one query, not one per row.
        units = Prefetch("units", queryset=Unit.unscoped_all_tenants.order_by("name"))
        return (
            super()
            .get_queryset(request)
            .select_related("user", "organisation")
            .prefetch_related(units)
        )

    @admin.display(description=_("limited to units"))
    def limited_to(self, membership: Membership) -> str:
        names = [unit.name for unit in membership.units.all()]
        return ", ".join(names) or _("whole organisation")
