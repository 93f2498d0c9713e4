from django.urls import path

from klantpeil.accounts.sso import views

app_name = "sso"

urlpatterns = [
    path("", views.sign_in_settings, name="sign-in"),
]
