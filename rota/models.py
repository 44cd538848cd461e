"""Services (tenancy) and the staff who work in them."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models


class Service(models.Model):
    """An AMHP service: a council, or a hub serving several. Every record belongs to one."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CONSULTANT = "consultant", "Practice consultant"
    AMHP = "amhp", "AMHP"
    MANAGER = "manager", "Service manager"


class StaffProfile(models.Model):
    """A user's place in a service: their role and, for AMHPs, their practitioner details."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="staff")
    role = models.CharField(max_length=20, choices=Role.choices)
    # Practitioner details (AMHPs; blank for other roles).
    warrant_expires_on = models.DateField(null=True, blank=True, help_text="End of the current AMHP approval")
    date_of_birth = models.DateField(null=True, blank=True)
    retirement_age = models.PositiveSmallIntegerField(default=60)
    contracted_hours = models.DecimalField(max_digits=4, decimal_places=1, default=37)
    locality = models.CharField(max_length=80, blank=True)
    languages = models.JSONField(default=list, blank=True, help_text="Languages other than English")
    ethnicity = models.CharField(max_length=2, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        indexes = [models.Index(fields=["service", "role"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def is_amhp(self) -> bool:
        return self.role == Role.AMHP

    def retirement_date(self) -> date | None:
        """Return the date this person reaches retirement age, or None without a date of birth."""
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        year = dob.year + self.retirement_age
        try:
            return dob.replace(year=year)
        except ValueError:  # 29 February in a non-leap year
            return date(year, 3, 1)
