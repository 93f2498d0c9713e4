from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "klantpeil.api"
    label = "api"
    verbose_name = "API"
