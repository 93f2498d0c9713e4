from django.urls import path

from klantpeil.reports import views

urlpatterns = [
    path("", views.reports, name="reports"),
    path("<int:pk>/", views.report, name="report"),
    path("<int:pk>/download", views.download, name="download"),
]
