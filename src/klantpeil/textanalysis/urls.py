from django.urls import path

from klantpeil.textanalysis import views

app_name = "textanalysis"

urlpatterns = [
    path("comments/", views.comments_page, name="comments"),
    path("social/", views.social_page, name="social"),
]
