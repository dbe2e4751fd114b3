"""The single-column indexes of four of a visit's references (provider, team, client,
staff) and of a task's and a flag's visit go: a composite index or unique constraint that
starts with the same column serves every look-up by it, and each was one more index to
write for every row stored (docs/benchmarks.md, "Visit sync").

The indexes are dropped by name (`DROP INDEX`), not by altering the fields: on SQLite an
altered field remakes the whole table, six times here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (model, field) whose own index goes.
DROPPED = [
    ("visit", "client"),
    ("visit", "provider"),
    ("visit", "staff"),
    ("visit", "team"),
    ("visitflag", "visit"),
    ("visittask", "visit"),
]


def drop_indexes(apps, schema_editor):
    for model_name, field_name in DROPPED:
        model = apps.get_model("visits", model_name)
        column = model._meta.get_field(field_name).column
        # The field's own index only: not a named index on the same column (a flag's
        # partial `visitflag_open`).
        names = schema_editor._constraint_names(
            model,
            [column],
            index=True,
            exclude={index.name for index in model._meta.indexes},
        )
        for name in names:
            schema_editor.execute(schema_editor._delete_index_sql(model, name))


def create_indexes(apps, schema_editor):
    for model_name, field_name in DROPPED:
        model = apps.get_model("visits", model_name)
        field = model._meta.get_field(field_name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0007_access_log_shown'),
        ('visits', '0002_billing_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_indexes, create_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name='visit',
                    name='client',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='core.client', verbose_name='client'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='provider',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='core.provider', verbose_name='provider'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='staff',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to=settings.AUTH_USER_MODEL, verbose_name='staff member'),
                ),
                migrations.AlterField(
                    model_name='visit',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='visits', to='core.team', verbose_name='team'),
                ),
                migrations.AlterField(
                    model_name='visitflag',
                    name='visit',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='flags', to='visits.visit'),
                ),
                migrations.AlterField(
                    model_name='visittask',
                    name='visit',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='visits.visit'),
                ),
            ],
        ),
    ]
