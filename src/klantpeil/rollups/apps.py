from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RollupsConfig(AppConfig):
    name = "klantpeil.rollups"
    label = "rollups"
    verbose_name = _("Rollups")

    def ready(self) -> None:
        from klantpeil.core import events
        from klantpeil.rollups import events as outbox
        from klantpeil.rollups import tasks

        # In the writer's transaction: the outbox row and a correction's recomputed day
        # commit or roll back with the measurements. On commit: wake the worker.
        events.subscribe(
            events.MeasurementsRecorded, outbox.on_measurements_recorded, in_transaction=True
        )
        events.subscribe(
            events.MeasurementsSuperseded, outbox.on_measurements_superseded, in_transaction=True
        )
        events.subscribe(events.MeasurementsRecorded, tasks.on_measurements_recorded)
