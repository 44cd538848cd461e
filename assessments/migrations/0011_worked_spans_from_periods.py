"""Merge the work already recorded (WorkedPeriod) into each AMHP's spans (WorkedSpan), which the
working-time checks now read. Streamed in order of person and start, so a large service's
periods are merged in one pass without being held in memory."""

from django.db import migrations

BATCH = 5000


def fill(apps, schema_editor):
    WorkedPeriod = apps.get_model("rota", "WorkedPeriod")
    WorkedSpan = apps.get_model("rota", "WorkedSpan")
    WorkedSpan.objects.all().delete()
    spans = []
    current = None  # [staff_id, start, end] of the island being grown
    rows = WorkedPeriod.objects.order_by("staff_id", "started_at", "ended_at", "id").values_list(
        "staff_id", "started_at", "ended_at"
    )
    for staff_id, start, end in rows.iterator(chunk_size=BATCH):
        if current is not None and current[0] == staff_id and start <= current[2]:
            current[2] = max(current[2], end)
            continue
        if current is not None:
            spans.append(WorkedSpan(staff_id=current[0], started_at=current[1], ended_at=current[2]))
            if len(spans) >= BATCH:
                WorkedSpan.objects.bulk_create(spans)
                spans.clear()
        current = [staff_id, start, end]
    if current is not None:
        spans.append(WorkedSpan(staff_id=current[0], started_at=current[1], ended_at=current[2]))
    WorkedSpan.objects.bulk_create(spans)


def empty(apps, schema_editor):
    apps.get_model("rota", "WorkedSpan").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0010_cto_agreement_learning_disability"),
        ("rota", "0007_worked_spans"),
    ]

    operations = [migrations.RunPython(fill, empty)]
