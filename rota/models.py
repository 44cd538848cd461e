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
    postcode_localities = models.JSONField(
        default=dict, blank=True, help_text='Postcode district to locality, e.g. {"AB1": "North"}: for allocation'
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def locality_of(self, postcode: str) -> str | None:
        """Return the locality of POSTCODE's district in this service, or None when it is not mapped."""
        postcode = (postcode or "").strip().upper()
        if not postcode:
            return None
        district = postcode.split()[0] if " " in postcode else postcode[:-3]
        return self.postcode_localities.get(district) or None


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


class ShiftKind(models.TextChoices):
    DAY = "day", "Day"
    EARLY = "early", "Early (staggered)"
    LATE = "late", "Late (staggered)"
    NIGHT = "night", "Night (EDT)"


class ShiftType(models.Model):
    """A kind of shift with Europe/London wall-clock bounds; an end at or before the start ends next day."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="shift_types")
    code = models.SlugField(max_length=20)
    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=ShiftKind.choices, default=ShiftKind.DAY)
    start_time = models.TimeField()
    end_time = models.TimeField()
    required_cover = models.PositiveSmallIntegerField(default=1, help_text="AMHPs needed on this shift")
    weekdays_only = models.BooleanField(default=False, help_text="Not needed at weekends or on bank holidays")

    class Meta:
        ordering = ["start_time", "code"]
        constraints = [models.UniqueConstraint(fields=["service", "code"], name="shift_type_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class RotaPattern(models.Model):
    """A repeating cycle of shift codes (None = off) for one AMHP, anchored on a date."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="patterns")
    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="patterns")
    name = models.CharField(max_length=80)
    cycle = models.JSONField(help_text='Shift codes, one a day, null for a day off, e.g. ["day", null, "late"]')
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.staff})"


class Shift(models.Model):
    """One AMHP on one shift on one day. Bounds are UTC instants built from the type's wall-clock times."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Placed by a manager"
        PATTERN = "pattern", "From a repeating pattern"
        SWAP = "swap", "From an approved swap"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="shifts")
    shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, related_name="shifts")
    staff = models.ForeignKey(StaffProfile, on_delete=models.PROTECT, related_name="shifts")
    day = models.DateField(help_text="The local day the shift starts")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    pattern = models.ForeignKey(RotaPattern, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "shift_type__start_time"]
        indexes = [
            models.Index(fields=["service", "starts_at", "ends_at"], name="shift_service_time"),
            models.Index(fields=["staff", "starts_at"], name="shift_staff_time"),
            models.Index(fields=["service", "day"], name="shift_service_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            ),
            models.UniqueConstraint(
                fields=["staff", "shift_type", "day"],
                condition=models.Q(cancelled_at__isnull=True),
                name="shift_unique_live_per_staff_type_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.shift_type.code} {self.day}"


class LeaveKind(models.TextChoices):
    ANNUAL = "annual", "Annual leave"
    SICK = "sick", "Sickness"
    STUDY = "study", "Study or training"
    TOIL = "toil", "Time off in lieu"
    OTHER = "other", "Other unavailability"


class Leave(models.Model):
    """Time an AMHP is not available: blocks duty on any shift it overlaps."""

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="leave")
    kind = models.CharField(max_length=10, choices=LeaveKind.choices, default=LeaveKind.ANNUAL)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["staff", "starts_at", "ends_at"], name="leave_staff_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="leave_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.kind} {self.starts_at:%Y-%m-%d}"


class SwapRequest(models.Model):
    """A request to hand a shift to another AMHP; takes effect only when a manager approves it."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting a manager"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="swap_requests")
    requested_by = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="swaps_requested")
    proposed_staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="swaps_offered")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["shift"], condition=models.Q(status="open"), name="swap_one_open_per_shift")
        ]

    def __str__(self) -> str:
        return f"Swap {self.shift_id} → {self.proposed_staff_id} ({self.status})"


class CalendarToken(models.Model):
    """A revocable secret in the URL of an AMHP's personal iCalendar feed."""

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="calendar_tokens")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["staff", "revoked_at"])]

    def __str__(self) -> str:
        return f"Calendar feed for {self.staff}"


class DirectoryDoctor(models.Model):
    """A doctor in the service's directory, whom AMHPs call to examine and recommend (s12(2)).

    ``availability`` holds the doctor's usual windows: ``[{"weekday": 0-6 (Monday 0), "start":
    "HH:MM", "end": "HH:MM"}]`` in Europe/London wall-clock time (an end before the start runs
    past midnight). Whether the doctor is likely free now is worked out by ``rota.doctors``.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="doctors")
    name = models.CharField(max_length=120)
    gmc_number = models.CharField(max_length=7, help_text="The 7-digit GMC reference number")
    s12_approved = models.BooleanField(default=True)
    s12_approval_expires_on = models.DateField(null=True, blank=True)
    languages = models.JSONField(default=list, blank=True)
    areas = models.JSONField(default=list, blank=True)
    availability = models.JSONField(default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["service", "gmc_number"], name="doctor_unique_gmc_per_service")]
        indexes = [models.Index(fields=["service", "active", "name"], name="doctor_service_name")]

    def __str__(self) -> str:
        return self.name


class WorkedPeriod(models.Model):
    """Time an AMHP actually worked outside or beyond the rota, e.g. an assessment's recorded work times.

    The working-time checks take the union of these with the AMHP's shifts. One row per source
    record (``source``, ``source_id``), so recording the same work again updates it in place.
    """

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="worked_periods")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    source = models.CharField(max_length=20, default="assessment")
    source_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="worked_period_one_per_source"),
            models.CheckConstraint(condition=models.Q(ended_at__gt=models.F("started_at")), name="worked_period_order"),
        ]
        indexes = [models.Index(fields=["staff", "started_at"], name="worked_period_staff_time")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at:%H:%M}"


class WorkedSpan(models.Model):
    """An island of an AMHP's recorded work: their WorkedPeriods that overlap or touch, merged.

    A busy AMHP's late finishes overlap (several assessments after one shift end); over the 17-week
    reference period of the 48 h average they can be thousands of periods but a few hundred spans.
    The working-time checks read these instead of merging the periods on every request. They are
    kept in step by rota.services: record_worked_period and remove_worked_period for each change, and
    rebuild_worked_spans after work written in bulk (the demo seeding's bulk_create).
    """

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="worked_spans")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_at__gt=models.F("started_at")), name="worked_span_order"),
        ]
        # Spans of one person are disjoint, so "ends after the window starts" is a range on this index.
        indexes = [models.Index(fields=["staff", "ended_at"], name="worked_span_staff_end")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at:%H:%M}"


class ApprovalRecord(models.Model):
    """One entry of an AMHP's approval history: each new end date, who set it and why."""

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="approval_history")
    expires_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["staff", "recorded_at"], name="approval_history_order")]

    def __str__(self) -> str:
        return f"{self.staff_id} to {self.expires_on}"


class TrainingRecord(models.Model):
    """Relevant training an AMHP completed (18 hours a year are required, SI 2008/1206)."""

    staff = models.ForeignKey(StaffProfile, on_delete=models.CASCADE, related_name="training")
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=1)
    title = models.CharField(max_length=200)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["staff", "completed_on"], name="training_staff_day")]
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0), name="training_hours_positive")]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.hours} h {self.completed_on}"
