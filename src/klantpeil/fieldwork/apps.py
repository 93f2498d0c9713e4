from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "klantpeil.fieldwork"
    verbose_name = _("Mystery fieldwork")
