from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from klantpeil.api.api import api
from klantpeil.collection import views as collection_views
from klantpeil.core import views as core_views

urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    # The rollup models moved from the analytics app to rollups (same tables): old
    # back-office bookmarks still lead to them.
    path(
        "admin/analytics/<path:rest>",
        RedirectView.as_view(url="/admin/rollups/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("app/", include("klantpeil.dashboards.urls")),
    path("app/<slug:org>/privacy/", include("klantpeil.privacy.urls")),
    path("api/v1/", api.urls),
    path("", include("klantpeil.distribution.urls")),
    path("s/<str:token>", collection_views.respond, name="respond"),
    path("s/<str:token>/done", collection_views.thanks, name="respond-done"),
    path("o/<slug:slug>", collection_views.respond_open, name="respond-open"),
]

admin.site.site_header = "Klantpeil"
admin.site.site_title = "Klantpeil"

handler404 = "klantpeil.core.errors.page_not_found"
handler500 = "klantpeil.core.errors.server_error"
