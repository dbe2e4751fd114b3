"""The access log gets the client's municipality and a table of the reader's providers.

Auditors review "the newest reads in my municipality" and provider managers "the newest
reads by my staff". Both used to need a scan of the whole log: the municipality through a
join to the client, the providers through `LIKE '%,N,%'` on a comma string. Now the entry
carries `municipality` (indexed with `at`) and each of the reader's providers is a row of
`AccessLogReaderProvider`.

Two small partial indexes cover the flagged reads, newest first: by municipality for
auditors, and across the log for managers.

Existing rows are back-filled. The log is append-only, enforced by triggers (0002) that
refuse UPDATE, so the migration lifts them first and puts them back at the end, in the same
transaction; the new table gets the same protection. On PostgreSQL the municipality column
gets its foreign key only after the back-fill: an UPDATE of a column that already has a
deferred constraint would queue half a million checks and then refuse the ALTER TABLE that
follows ("pending trigger events").
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION core_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The access log is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGER = """
CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION core_accesslog_append_only();
"""
PG_DROP = "DROP TRIGGER IF EXISTS {name} ON {table};"
# SQLite: UPDATE only; Django's test flush empties tables with DELETE (see 0002).
SQLITE_TRIGGER = """
CREATE TRIGGER {name} BEFORE UPDATE ON {table}
BEGIN
    SELECT RAISE(ABORT, 'The access log is append-only');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS {name};"

FLAGGED = models.Q(own_record=True) | models.Q(colleague_record=True) | models.Q(outside_teams=True)

ENTRY = ("core_accesslog_no_update", "core_accesslogentry")
READER = ("core_accesslogreader_no_update", "core_accesslogreaderprovider")


def _install(schema_editor, triggers):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        template = PG_TRIGGER
    elif vendor == "sqlite":
        template = SQLITE_TRIGGER
    else:
        return
    for name, table in triggers:
        schema_editor.execute(template.format(name=name, table=table))


def _drop(schema_editor, triggers):
    template = {"postgresql": PG_DROP, "sqlite": SQLITE_DROP}.get(schema_editor.connection.vendor)
    if template:
        for name, table in triggers:
            schema_editor.execute(template.format(name=name, table=table))


def lift_entry_trigger(apps, schema_editor):
    _drop(schema_editor, [ENTRY])


def restore_entry_trigger(apps, schema_editor):
    _install(schema_editor, [ENTRY])


def install_triggers(apps, schema_editor):
    _install(schema_editor, [ENTRY, READER])


def drop_triggers(apps, schema_editor):
    _drop(schema_editor, [ENTRY, READER])


def _flush_deferred_checks(schema_editor):
    # Run the foreign-key checks queued by the back-fill now, so that the ALTER TABLEs
    # after it in this transaction find no pending trigger events.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def backfill(apps, schema_editor):
    entry_table = apps.get_model("core", "AccessLogEntry")._meta.db_table
    reader_table = apps.get_model("core", "AccessLogReaderProvider")._meta.db_table
    client_table = apps.get_model("core", "Client")._meta.db_table
    Provider = apps.get_model("core", "Provider")
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {entry_table} AS e SET municipality_id = c.municipality_id "
                f"FROM {client_table} AS c WHERE c.id = e.client_id"
            )
        else:
            cursor.execute(
                f"UPDATE {entry_table} SET municipality_id = (SELECT c.municipality_id "
                f"FROM {client_table} AS c WHERE c.id = {entry_table}.client_id)"
            )
        # reader_provider_ids was ",1,4,": a few distinct values, each one INSERT per
        # provider it names. A provider deleted since (never, in practice) is left out.
        cursor.execute(
            f"SELECT DISTINCT reader_provider_ids FROM {entry_table} "
            "WHERE reader_provider_ids <> ''"
        )
        texts = [row[0] for row in cursor.fetchall()]
        existing = set(Provider.objects.values_list("pk", flat=True))
        for text in texts:
            ids = {int(part) for part in text.split(",") if part.strip().isdigit()}
            for provider_id in sorted(ids & existing):
                cursor.execute(
                    f"INSERT INTO {reader_table} (entry_id, provider_id) "
                    f"SELECT id, %s FROM {entry_table} WHERE reader_provider_ids = %s",
                    [provider_id, text],
                )
    _flush_deferred_checks(schema_editor)


def backfill_reverse(apps, schema_editor):
    entry_table = apps.get_model("core", "AccessLogEntry")._meta.db_table
    reader_table = apps.get_model("core", "AccessLogReaderProvider")._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT entry_id, provider_id FROM {reader_table}")
        providers: dict[int, list[int]] = defaultdict(list)
        for entry_id, provider_id in cursor.fetchall():
            providers[entry_id].append(provider_id)
        by_text: dict[str, list[int]] = defaultdict(list)
        for entry_id, ids in providers.items():
            by_text["," + ",".join(str(p) for p in sorted(ids)) + ","].append(entry_id)
        for text, entry_ids in by_text.items():
            for start in range(0, len(entry_ids), 500):
                chunk = entry_ids[start : start + 500]
                cursor.execute(
                    f"UPDATE {entry_table} SET reader_provider_ids = %s "
                    f"WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                    [text, *chunk],
                )
    _flush_deferred_checks(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_access_log_append_only")]

    operations = [
        migrations.RunPython(lift_entry_trigger, restore_entry_trigger),
        migrations.AddField(
            model_name="accesslogentry",
            name="municipality",
            field=models.ForeignKey(
                null=True,
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.CreateModel(
            name="AccessLogReaderProvider",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "entry",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.accesslogentry",
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="core.provider",
                    ),
                ),
            ],
            options={
                "verbose_name": "reader's provider",
                "verbose_name_plural": "readers' providers",
                "indexes": [
                    models.Index(fields=["provider", "-entry"], name="core_accesslog_reader_prov")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("entry", "provider"), name="accesslogreader_unique"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="accesslogentry",
            name="reader_providers",
            field=models.ManyToManyField(
                blank=True,
                related_name="+",
                through="core.AccessLogReaderProvider",
                to="core.provider",
                verbose_name="reader's providers",
            ),
        ),
        migrations.RunPython(backfill, backfill_reverse),
        migrations.AlterField(
            model_name="accesslogentry",
            name="municipality",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.municipality",
                verbose_name="municipality",
            ),
        ),
        migrations.RemoveField(model_name="accesslogentry", name="reader_provider_ids"),
        migrations.AddIndex(
            model_name="accesslogentry",
            index=models.Index(
                fields=["municipality", "-at", "-id"], name="core_accesslog_muni_at"
            ),
        ),
        migrations.AddIndex(
            model_name="accesslogentry",
            index=models.Index(
                condition=FLAGGED,
                fields=["municipality", "-at", "-id"],
                name="core_accesslog_muni_flagged",
            ),
        ),
        migrations.AddIndex(
            model_name="accesslogentry",
            index=models.Index(
                condition=FLAGGED, fields=["-at", "-id"], name="core_accesslog_flagged"
            ),
        ),
        migrations.RunPython(install_triggers, drop_triggers),
    ]
