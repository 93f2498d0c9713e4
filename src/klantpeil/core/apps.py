from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "klantpeil.core"
    label = "core"
