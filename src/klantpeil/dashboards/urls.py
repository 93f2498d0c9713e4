from django.urls import path

from klantpeil.dashboards import views

app_name = "app"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:org>/", views.overview, name="overview"),
    path("<slug:org>/measurements/", views.measurement_list, name="measurements"),
    path("<slug:org>/measurements/<int:pk>/", views.measurement_detail, name="measurement"),
]
