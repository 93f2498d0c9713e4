"""The rollup models, moved here from the analytics app with their tables.

State only (``SeparateDatabaseAndState``): analytics 0004 drops the models from its
state and this takes them in, on the tables analytics 0001-0003 created, which keep
their names (``Meta.db_table``). The content types are relabelled, so permissions
granted on the models and the back office's history of them carry over.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("answerrollup", "driverrollup", "measurementrecorded", "rollupfold", "rollupcheck")


def relabel(old: str, new: str):
    def run(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        taken = set(
            ContentType.objects.filter(app_label=new, model__in=MODELS).values_list(
                "model", flat=True
            )
        )
        ContentType.objects.filter(app_label=old, model__in=MODELS).exclude(
            model__in=taken
        ).update(app_label=new)

    return run


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('analytics', '0004_rollup_models_moved'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('collection', '0002_openlink_invitation'),
        ('instruments', '0001_initial'),
        ('organisations', '0002_organisation_norms'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.CreateModel(
                name='RollupCheck',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='checked at')),
                    ('finished_at', models.DateTimeField(null=True, verbose_name='finished at')),
                    ('trigger', models.CharField(max_length=20, verbose_name='trigger')),
                    ('organisations', models.IntegerField(default=0, verbose_name='organisations')),
                    ('days', models.IntegerField(default=0, verbose_name='days checked')),
                    ('days_different', models.IntegerField(default=0, verbose_name='days different')),
                    ('days_repaired', models.IntegerField(default=0, verbose_name='days repaired')),
                    ('differences', models.JSONField(default=list)),
                ],
                options={
                    'verbose_name': 'rollup check',
                    'verbose_name_plural': 'rollup checks',
                    'db_table': 'analytics_rollupcheck',
                    'ordering': ['-started_at'],
                },
            ),
            migrations.CreateModel(
                name='AnswerRollup',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('day', models.DateField()),
                    ('unit_key', models.BigIntegerField(default=0)),
                    ('channel_key', models.BigIntegerField(default=0)),
                    ('question_key', models.CharField(max_length=80)),
                    ('n', models.IntegerField()),
                    ('total', models.FloatField()),
                    ('total_squares', models.FloatField()),
                    ('v0', models.IntegerField(default=0)),
                    ('v1', models.IntegerField(default=0)),
                    ('v2', models.IntegerField(default=0)),
                    ('v3', models.IntegerField(default=0)),
                    ('v4', models.IntegerField(default=0)),
                    ('v5', models.IntegerField(default=0)),
                    ('v6', models.IntegerField(default=0)),
                    ('v7', models.IntegerField(default=0)),
                    ('v8', models.IntegerField(default=0)),
                    ('v9', models.IntegerField(default=0)),
                    ('v10', models.IntegerField(default=0)),
                    ('instrument', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='instruments.instrument')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organisations.organisation')),
                ],
                options={
                    'verbose_name': 'answer rollup',
                    'db_table': 'analytics_answerrollup',
                    'indexes': [models.Index(fields=['organisation', 'instrument', 'question_key', 'unit_key', 'day'], name='answer_rollup_read')],
                    'constraints': [models.UniqueConstraint(fields=('organisation', 'day', 'unit_key', 'channel_key', 'instrument', 'question_key'), name='answer_rollup_cell')],
                },
            ),
            migrations.CreateModel(
                name='DriverRollup',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('day', models.DateField()),
                    ('unit_key', models.BigIntegerField(default=0)),
                    ('channel_key', models.BigIntegerField(default=0)),
                    ('keys', models.JSONField()),
                    ('n', models.IntegerField()),
                    ('sums', models.JSONField()),
                    ('products', models.JSONField()),
                    ('instrument', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='instruments.instrument')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organisations.organisation')),
                ],
                options={
                    'verbose_name': 'driver rollup',
                    'db_table': 'analytics_driverrollup',
                    'constraints': [models.UniqueConstraint(fields=('organisation', 'day', 'unit_key', 'channel_key', 'instrument'), name='driver_rollup_cell')],
                },
            ),
            migrations.CreateModel(
                name='MeasurementRecorded',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('day', models.DateField()),
                    ('subscriber', models.CharField(max_length=20)),
                    ('recorded_at', models.DateTimeField(auto_now_add=True)),
                    ('measurement', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='collection.measurement')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organisations.organisation')),
                ],
                options={
                    'verbose_name': 'measurement recorded (pending)',
                    'db_table': 'analytics_measurementrecorded',
                    'indexes': [models.Index(fields=['subscriber', 'organisation', 'day'], name='recorded_pending'), models.Index(fields=['measurement', 'subscriber'], name='recorded_measurement')],
                },
            ),
            migrations.CreateModel(
                name='RollupFold',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('folded_at', models.DateTimeField(null=True, verbose_name='last folded')),
                    ('folded', models.BigIntegerField(default=0, verbose_name='measurements folded')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='organisations.organisation')),
                ],
                options={
                    'verbose_name': 'rollup feed',
                    'verbose_name_plural': 'rollup feeds',
                    'db_table': 'analytics_rollupfold',
                    'constraints': [models.UniqueConstraint(fields=('organisation',), name='rollup_fold_organisation')],
                },
            ),
            ],
        ),
        migrations.RunPython(relabel("analytics", "rollups"), relabel("rollups", "analytics")),
    ]
