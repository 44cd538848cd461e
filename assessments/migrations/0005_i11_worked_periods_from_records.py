"""Record the work times already on assessments as worked periods, so the working-time checks see them."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import F


def forwards(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("assessments", "Assessment")
    WorkedPeriod = apps.get_model("rota", "WorkedPeriod")
    rows = (
        Assessment.objects.filter(work_started_at__isnull=False, work_ended_at__gt=F("work_started_at"))
        .values_list("id", "amhp_id", "work_started_at", "work_ended_at")
        .iterator(chunk_size=5000)
    )
    batch = []
    for pk, amhp_id, start, end in rows:
        batch.append(WorkedPeriod(staff_id=amhp_id, started_at=start, ended_at=end, source="assessment", source_id=str(pk)))
        if len(batch) >= 5000:
            WorkedPeriod.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        WorkedPeriod.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("rota", "WorkedPeriod").objects.filter(source="assessment").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0004_i11_delay_reasons_to_requests"),
        ("rota", "0005_i11_doctor_directory_worked_periods"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
