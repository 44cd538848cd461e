"""Rota designer runs: a manager's alternative shift sets replayed over the service's own history."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class DesignRun(models.Model):
    """One run of the rota designer: the shift sets compared, the period replayed, and the results kept."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Failed"

    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="design_runs")
    name = models.CharField(max_length=120)
    period_start = models.DateField()
    period_end = models.DateField()
    headcount = models.PositiveSmallIntegerField(help_text="AMHPs available to the rota")
    options = models.JSONField(help_text="The shift sets compared: [{code, name, shifts: [[start, end, cover]]}]")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    results = models.JSONField(default=dict, blank=True)
    recommended = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["service", "-created_at", "-id"], name="designrun_service_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
