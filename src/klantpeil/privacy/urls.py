from django.urls import path

from klantpeil.privacy import views

app_name = "privacy"

urlpatterns = [
    path("forget/", views.forget_view, name="forget"),
]
