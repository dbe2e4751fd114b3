"""The alarm outbox becomes the core outbox (trygg/core/outbox.py): the pending rows are
copied, in their order, as `alarm.*` messages; the delivered ones are history nobody reads
and go with the table. Back: the pending `alarm.*` messages are copied back.

Run with the dispatchers stopped, as every migration: a row an old dispatcher delivered
after it was copied would be announced a second time (harmless, but noise)."""

from django.db import migrations

CHUNK = 2000


def copy_pending(apps, schema_editor):
    AlarmOutbox = apps.get_model("alarms", "AlarmOutbox")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    pending = AlarmOutbox.objects.filter(delivered_at__isnull=True).order_by("pk")
    batch = []
    for row in pending.iterator(chunk_size=CHUNK):
        batch.append(
            OutboxMessage(
                topic=row.topic,
                stream=row.topic.split(".", 1)[0],
                subject_id=row.alarm_id,
                created_at=row.created_at,
            )
        )
        if len(batch) == CHUNK:
            OutboxMessage.objects.bulk_create(batch)
            batch = []
    OutboxMessage.objects.bulk_create(batch)


def copy_back(apps, schema_editor):
    AlarmOutbox = apps.get_model("alarms", "AlarmOutbox")
    Alarm = apps.get_model("alarms", "Alarm")
    OutboxMessage = apps.get_model("core", "OutboxMessage")
    pending = OutboxMessage.objects.filter(stream="alarm", delivered_at__isnull=True)
    # The old table has a foreign key: a message about an alarm deleted since cannot go back.
    existing = pending.filter(subject_id__in=Alarm.objects.values("pk"))
    batch = []
    for row in existing.order_by("pk").iterator(chunk_size=CHUNK):
        batch.append(AlarmOutbox(alarm_id=row.subject_id, topic=row.topic, created_at=row.created_at))
        if len(batch) == CHUNK:
            AlarmOutbox.objects.bulk_create(batch)
            batch = []
    AlarmOutbox.objects.bulk_create(batch)
    pending.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alarms", "0003_shift_around_the_clock"),
        ("core", "0006_outbox"),
    ]

    operations = [
        migrations.RunPython(copy_pending, copy_back),
        migrations.DeleteModel(name="AlarmOutbox"),
    ]
