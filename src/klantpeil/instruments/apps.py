from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstrumentsConfig(AppConfig):
    name = "klantpeil.instruments"
    label = "instruments"
    verbose_name = _("Instruments")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_standard_content, sender=self)


def _sync_standard_content(sender, **kwargs) -> None:
    from klantpeil.instruments.services import sync_standard_instruments

    sync_standard_instruments()
