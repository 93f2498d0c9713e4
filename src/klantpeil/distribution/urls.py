from django.urls import path

from klantpeil.distribution import views

urlpatterns = [
    path("s/opt-out/<str:token>", views.opt_out, name="opt-out"),
]
