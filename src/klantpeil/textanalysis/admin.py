from django.contrib import admin

from klantpeil.core.admin import AllTenantsAdmin
from klantpeil.textanalysis.models import CommentAnnotation, SocialPost


class ReadOnly(AllTenantsAdmin):
    """Annotations come from the text analysis and posts from imports: look, do not edit."""

    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CommentAnnotation)
class CommentAnnotationAdmin(ReadOnly):
    list_display = ("id", "organisation", "label", "score", "language", "drivers", "method")
    list_filter = ("label", "language", "method")


@admin.register(SocialPost)
class SocialPostAdmin(ReadOnly):
    list_display = ("id", "organisation", "platform", "posted_at", "from_organisation", "label")
    list_filter = ("platform", "from_organisation", "label")
    date_hierarchy = "posted_at"
