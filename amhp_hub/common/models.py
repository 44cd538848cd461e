"""The audit trail: who viewed or changed which record, and how.

Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE of its rows, and the app's
database role holds only SELECT and INSERT on the table (see `manage.py db_app_role`).
"""

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
        EXPORT = "export", "Exported"
        DENIED = "denied", "Refused (403/404)"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
        DEACTIVATE = "deactivate", "Deactivated"
        ANONYMISE = "anonymise", "Anonymised"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(max_length=20, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Null for events before anyone is known (a failed sign-in).
    service = models.ForeignKey("rota.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    outcome = models.CharField(max_length=10, default="ok")  # ok, denied, failed
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    # For LIST events: the ids shown. For changes: the fields changed (values only for codes, never free text).
    object_ids = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=10, default="web")  # web, api, job

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type} {self.object_id}"


class Heartbeat(models.Model):
    """The last time a periodic signal arrived (beat's heartbeat task, run by a worker); /healthz reads it."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} {self.at:%Y-%m-%d %H:%M:%S}"
