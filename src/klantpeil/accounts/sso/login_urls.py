"""Sign-in URLs beside allauth's: the e-mail-first step and the OpenID Connect
callback that always checks the ID token's signature (same path as allauth's, which
it shadows, so provider registrations need no change)."""

from django.urls import path

from klantpeil.accounts.sso import views

urlpatterns = [
    path("sso/", views.start, name="sso_start"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        views.oidc_callback,
        name="sso_oidc_callback",
    ),
]
