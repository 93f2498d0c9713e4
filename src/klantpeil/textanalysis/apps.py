from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TextAnalysisConfig(AppConfig):
    name = "klantpeil.textanalysis"
    label = "textanalysis"
    verbose_name = _("Comments and social media")

    def ready(self) -> None:
        from klantpeil.core import events
        from klantpeil.textanalysis import tasks

        events.subscribe(events.MeasurementsRecorded, tasks.on_measurements_recorded)
