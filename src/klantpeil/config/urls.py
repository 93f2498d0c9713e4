from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from klantpeil.accounts import team_views
from klantpeil.api.api import api
from klantpeil.collection import views as collection_views
from klantpeil.core import views as core_views
from klantpeil.organisations import settings_views

urlpatterns = [
    path("", RedirectView.as_view(url="/app/", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    # An invitation to a team, and the authenticator set-up that follows it (issue 22).
    path("accounts/invitation/<str:token>/", team_views.accept_view, name="team-accept"),
    path("accounts/welcome/two-factor/", team_views.two_factor_view, name="team-two-factor"),
    # Before allauth's: the e-mail-first step and the signature-checking OIDC callback.
    path("accounts/", include("klantpeil.accounts.sso.login_urls")),
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
    path("app/<slug:org>/settings/sign-in/", include("klantpeil.accounts.sso.urls")),
    path("api/v1/", api.urls),
    path("", include("klantpeil.distribution.urls")),
    path("s/<str:token>", collection_views.respond, name="respond"),
    path("s/<str:token>/done", collection_views.thanks, name="respond-done"),
    path("o/<slug:slug>", collection_views.respond_open, name="respond-open"),
    path("brand/<str:digest>", settings_views.brand_logo, name="brand-logo"),
]

admin.site.site_header = "Klantpeil"
admin.site.site_title = "Klantpeil"

handler404 = "klantpeil.core.errors.page_not_found"
handler500 = "klantpeil.core.errors.server_error"
