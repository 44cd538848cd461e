"""Carry the old tick-box delay reasons over as requests, so every delay lives in one place.

Each ticked reason that has a request kind becomes one request on the assessment, marked
``times_known=False`` (nobody recorded when it was asked for or when it came), so it counts
towards "how often" but never towards a wait's duration. The reasons stay on the record only
for what no request stands for ("no AMHP available", "other").
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

REASON_TO_KIND = {
    "no_bed": "bed",
    "no_s12_doctor": "s12_doctor",
    "police": "police",
    "ambulance": "ambulance",
    "warrant": "warrant",
    "interpreter": "interpreter",
}
KIND_TO_REASON = {kind: reason for reason, kind in REASON_TO_KIND.items()}
NOTE = "Recorded as a delay reason before requests were logged; times not known"


def forwards(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("assessments", "Assessment")
    CaseRequest = apps.get_model("assessments", "CaseRequest")
    batch: list[Any] = []
    rows = Assessment.objects.exclude(delay_reasons=[]).only(
        "id", "service_id", "referral_id", "allocated_at", "delay_reasons", "completed_at"
    )
    for assessment in rows.iterator(chunk_size=2000):
        reasons = list(assessment.delay_reasons or [])
        kinds = [REASON_TO_KIND[r] for r in reasons if r in REASON_TO_KIND]
        for kind in kinds:
            batch.append(
                CaseRequest(
                    service_id=assessment.service_id,
                    referral_id=assessment.referral_id,
                    assessment_id=assessment.id,
                    kind=kind,
                    requested_at=assessment.allocated_at,
                    outcome="accepted" if assessment.completed_at else "pending",
                    notes=NOTE,
                    times_known=False,
                )
            )
        kept = [r for r in reasons if r not in REASON_TO_KIND]
        if kept != reasons:
            Assessment.objects.filter(pk=assessment.pk).update(delay_reasons=kept)
        if len(batch) >= 2000:
            CaseRequest.objects.bulk_create(batch)
            batch = []
    if batch:
        CaseRequest.objects.bulk_create(batch)


def backwards(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("assessments", "Assessment")
    CaseRequest = apps.get_model("assessments", "CaseRequest")
    carried = CaseRequest.objects.filter(times_known=False, notes=NOTE)
    for assessment_id, kind in carried.values_list("assessment_id", "kind").iterator():
        assessment = Assessment.objects.get(pk=assessment_id)
        reason = KIND_TO_REASON[kind]
        if reason not in assessment.delay_reasons:
            Assessment.objects.filter(pk=assessment_id).update(delay_reasons=[*assessment.delay_reasons, reason])
    carried.delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_i11_requests_handover_planned_work")]

    operations = [migrations.RunPython(forwards, backwards)]
