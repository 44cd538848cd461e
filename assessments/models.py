"""Allocations and the assessment record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class AssessmentStatus(models.TextChoices):
    OFFERED = "offered", "Allocated, awaiting acceptance"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"


OPEN_ASSESSMENT_STATUSES = (AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)


class Assessment(models.Model):
    """One AMHP's piece of work on one referral, from allocation to outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey("rota.Service", on_delete=models.PROTECT, related_name="assessments")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="assessments")
    amhp = models.ForeignKey("rota.StaffProfile", on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.OFFERED)
    allocated_at = models.DateTimeField()
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    expected_hours = models.DecimalField(max_digits=4, decimal_places=1, default=4)

    class Meta:
        constraints = [
            # At most one live allocation per referral: the database is the last word on races.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=["offered", "accepted", "in_progress", "completed"]),
                name="assessment_one_live_per_referral",
            )
        ]
        indexes = [models.Index(fields=["amhp", "status"])]

    def __str__(self) -> str:
        return f"{self.referral_id} → {self.amhp_id} ({self.status})"
