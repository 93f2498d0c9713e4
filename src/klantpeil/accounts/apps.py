from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "klantpeil.accounts"
    label = "accounts"
    verbose_name = _("Users, roles and API tokens")
