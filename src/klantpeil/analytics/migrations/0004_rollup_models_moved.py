"""The rollup models moved to the rollups app (rollups/migrations/0001_initial).

State only: the tables keep their analytics_* names and their rows; rollups 0001
takes the same models into its state, so a fresh database and one built before the
move migrate alike, and nothing is copied or rebuilt.
"""

from django.db import migrations

MOVED = ("AnswerRollup", "DriverRollup", "MeasurementRecorded", "RollupFold", "RollupCheck")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_measurement_outbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name=name) for name in MOVED],
            database_operations=[],
        ),
    ]
