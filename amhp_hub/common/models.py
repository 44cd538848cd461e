"""The audit trail: who viewed or changed which record, and how."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        LIST = "list", "Listed"
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        TRIAGE = "triage", "Triaged"
        ALLOCATE = "allocate", "Allocated"
        DELETE = "delete", "Deleted"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    service = models.ForeignKey("rota.Service", on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    # For LIST events: the ids shown. For changes: the fields before and after.
    object_ids = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, default="web")  # web, api, job

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type} {self.object_id}"
