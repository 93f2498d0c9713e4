"""Routes of an organisation's own set-up (issue 22), included under /app/<org>/ in the
``app`` namespace: settings, the change log and the team."""

from django.urls import path

from klantpeil.accounts import team_views
from klantpeil.organisations import settings_views as views

urlpatterns = [
    path("settings/", views.settings_index, name="settings"),
    path("settings/norms/", views.settings_norms, name="settings-norms"),
    path("settings/privacy/", views.settings_privacy, name="settings-privacy"),
    path("settings/branding/", views.settings_branding, name="settings-branding"),
    path("settings/language/", views.settings_language, name="settings-language"),
    path("settings/changes/", views.settings_changes, name="settings-changes"),
    path("team/", team_views.team_view, name="team"),
    path("team/members/<int:member_id>/", team_views.member_view, name="team-member"),
    path(
        "team/invitations/<int:invitation_id>/",
        team_views.invitation_view,
        name="team-invitation",
    ),
]
