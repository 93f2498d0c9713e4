from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "klantpeil.privacy"
    label = "privacy"
    verbose_name = _("Privacy and audit")

    def ready(self) -> None:
        from klantpeil.core import events
        from klantpeil.privacy import tasks

        events.subscribe(events.ContactDetailsStored, tasks.on_contact_details_stored)
