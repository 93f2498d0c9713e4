from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# The back office's section names for the libraries' apps: allauth's "Accounts" would
# stand beside ours, and "MFA" or "Tasks Database Backend" say nothing in Dutch.
LIBRARY_SECTIONS = {
    "account": _("Login e-mail addresses"),
    "mfa": _("Two-factor authentication"),
    "django_tasks_database": _("Background tasks"),
}


class CoreConfig(AppConfig):
    name = "klantpeil.core"
    label = "core"

    def ready(self) -> None:
        from klantpeil.core import sqlite

        sqlite.install()
        for label, name in LIBRARY_SECTIONS.items():
            try:
                apps.get_app_config(label).verbose_name = name
            except LookupError:  # a library left out of INSTALLED_APPS
                continue
