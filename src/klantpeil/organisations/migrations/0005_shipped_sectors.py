"""Load the sector taxonomy that ships with the product (organisations/sectors.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from klantpeil.organisations.sectors import load_sectors

    load_sectors(apps.get_model("organisations", "Sector"))


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0004_unit_tree_opening_hours"),
    ]

    # Reversing leaves the sectors: organisations may belong to them.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
