"""The database itself refuses to change or delete access-log rows.

PostgreSQL: a trigger rejects UPDATE and DELETE (TRUNCATE, an administrator's act, stays
possible for retention jobs). SQLite: a trigger rejects UPDATE; DELETE is refused by the
application, because Django's test flush on SQLite empties tables with DELETE.
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION core_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The access log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_accesslog_no_update BEFORE UPDATE OR DELETE ON core_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION core_accesslog_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS core_accesslog_no_update ON core_accesslogentry;
DROP FUNCTION IF EXISTS core_accesslog_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER core_accesslog_no_update BEFORE UPDATE ON core_accesslogentry
BEGIN
    SELECT RAISE(ABORT, 'The access log is append-only');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_accesslog_no_update;"


def install(apps, schema_editor):
    sql = {"postgresql": PG_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def remove(apps, schema_editor):
    sql = {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
