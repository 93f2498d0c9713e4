"""The distribution pages under /app/<org>/distribution/."""

from django.urls import path

from klantpeil.distribution import app_views

# "message_kind", not "kind": /app/<org>/hours/<kind>/ names a channel's kind.
MESSAGE = "templates/<str:channel>/<str:message_kind>/<str:language>/"

urlpatterns = [
    path("", app_views.funnel_page, name="funnel"),
    path("templates/", app_views.templates_page, name="templates"),
    path(MESSAGE, app_views.template_page, name="template"),
    path(MESSAGE + "preview/", app_views.template_preview, name="template-preview"),
    path("settings/", app_views.settings_page, name="settings"),
    path("invitations/", app_views.invitations_page, name="invitations"),
]
