from django.urls import path

from klantpeil.fieldwork import views

urlpatterns = [
    path("", views.study_list, name="studies"),
    path("new/", views.study_new, name="study-new"),
    path("<int:pk>/", views.study_detail, name="study"),
    path("<int:pk>/infographic.<str:fmt>", views.study_infographic, name="study-infographic"),
    path("callbacks/overdue/", views.overdue, name="overdue-callbacks"),
    path("calibration/", views.calibration, name="calibration"),
    path("today/", views.today, name="shopper-today"),
    path("assignments/<int:pk>/", views.assignment, name="assignment"),
    path("assignments/<int:pk>/tap/", views.assignment_tap, name="assignment-tap"),
    path("assignments/<int:pk>/callback/", views.callback, name="assignment-callback"),
]
