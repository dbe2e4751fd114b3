"""The access log names what a page showed besides the client's particulars: the client
record's sections (devices, alarms, orders) and the entries in each.

A nullable column without a default: a plain ALTER TABLE ADD COLUMN on SQLite and
PostgreSQL alike, with no rewrite of the table, so the append-only triggers (0002, 0003) stay
in place and existing rows are not touched.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslogentry",
            name="shown",
            field=models.JSONField(blank=True, null=True, verbose_name="what was shown"),
        ),
    ]
