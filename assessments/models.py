"""Allocations, the assessment record, TOIL, late flags and notifications."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from rota.timefmt import format_local, format_local_time


class AssessmentStatus(models.TextChoices):
    OFFERED = "offered", "Allocated, awaiting acceptance"
    ACCEPTED = "accepted", "Accepted"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"


OPEN_ASSESSMENT_STATUSES = (AssessmentStatus.OFFERED, AssessmentStatus.ACCEPTED, AssessmentStatus.IN_PROGRESS)
LIVE_ASSESSMENT_STATUSES = (*OPEN_ASSESSMENT_STATUSES, AssessmentStatus.COMPLETED)


class Outcome(models.TextChoices):
    """Outcomes of an MHA assessment (DOMAIN.md: from FOI requests and local procedures)."""

    DETAINED_S2 = "detained_s2", "Detained under section 2"
    DETAINED_S3 = "detained_s3", "Detained under section 3"
    DETAINED_S4 = "detained_s4", "Detained under section 4"
    APPLICATION_AWAITING_BED = "application_awaiting_bed", "Application made, awaiting bed"
    INFORMAL_ADMISSION = "informal_admission", "Informal admission"
    CRISIS_HOME_TREATMENT = "crisis_home_treatment", "Crisis or home treatment team"
    COMMUNITY_SUPPORT = "community_support", "CMHT or other community support"
    GUARDIANSHIP = "guardianship", "Guardianship (s7)"
    # s17A(4): a CTO is made only if an AMHP states in writing that they agree (and that it is appropriate).
    CTO_AGREED = "cto_agreed", "AMHP agrees to the making of a CTO (s17A(4))"
    CTO_NOT_AGREED = "cto_not_agreed", "AMHP does not agree to the making of a CTO"
    # s17F(4): revoking a CTO needs an AMHP's written agreement (replaces the single "cto" outcome).
    CTO_REVOCATION_AGREED = "cto_revocation_agreed", "AMHP agrees to revocation of the CTO (s17F(4))"
    CTO_REVOCATION_NOT_AGREED = "cto_revocation_not_agreed", "AMHP does not agree to revocation of the CTO"
    NO_FURTHER_ACTION = "no_further_action", "No further action or advice only"
    NOT_COMPLETED_NO_ACCESS = "not_completed_no_access", "Not completed: no access"
    NOT_COMPLETED_ABSENT = "not_completed_absent", "Not completed: patient absent"
    MEDICAL_RECOMMENDATIONS_EXPIRED = "medical_recommendations_expired", "Medical recommendations expired"


DETENTION_OUTCOMES = (Outcome.DETAINED_S2, Outcome.DETAINED_S3, Outcome.DETAINED_S4)


class DelayReason(models.TextChoices):
    NO_BED = "no_bed", "No bed"
    NO_S12_DOCTOR = "no_s12_doctor", "No section 12 doctor"
    POLICE = "police", "Police unavailable"
    AMBULANCE = "ambulance", "Ambulance unavailable"
    WARRANT = "warrant", "Waiting for a warrant"
    INTERPRETER = "interpreter", "Waiting for an interpreter"
    NO_AMHP = "no_amhp", "No AMHP available"
    OTHER = "other", "Other"


# Delay reasons still ticked by hand: every other delay is derived from the requests logged (CaseRequest).
MANUAL_DELAY_REASONS = (DelayReason.NO_AMHP, DelayReason.OTHER)


class NearestRelativeAction(models.TextChoices):
    CONSULTED = "consulted", "Consulted (s11(4))"
    INFORMED = "informed", "Informed (s11(3))"
    OBJECTED = "objected", "Consulted and objected"
    NOT_PRACTICABLE = "not_practicable", "Not reasonably practicable"
    NONE_IDENTIFIED = "none_identified", "No nearest relative identified"
    NOT_YET = "not_yet", "Not yet contacted"


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
    # The end of the AMHP's shift when the work was allocated: work past it is late working.
    shift_ends_at = models.DateTimeField(null=True, blank=True)

    # The record.
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the AMHP saw the person")
    completed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=40, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(blank=True)
    nearest_relative_action = models.CharField(
        max_length=20, choices=NearestRelativeAction.choices, default=NearestRelativeAction.NOT_YET
    )
    nearest_relative_notes = models.TextField(blank=True)
    # The learning disability qualifier (s1(2A), s1(2B)) for the AMHP's agreement to a CTO or its revocation.
    learning_disability = models.BooleanField(
        default=False, help_text="The mental disorder relied on is a learning disability"
    )
    abnormally_aggressive_or_seriously_irresponsible = models.BooleanField(
        default=False,
        help_text="The learning disability is associated with abnormally aggressive or seriously irresponsible conduct",
    )
    delay_reasons = models.JSONField(default=list, blank=True)
    application_signed_at = models.DateTimeField(null=True, blank=True)
    bed_found_at = models.DateTimeField(null=True, blank=True)
    conveyed_at = models.DateTimeField(null=True, blank=True)
    work_started_at = models.DateTimeField(null=True, blank=True)
    work_ended_at = models.DateTimeField(null=True, blank=True)
    hours_worked = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    # Planned work: allocated to a later shift of the AMHP (e.g. an s3 assessment late in an s2).
    planned_shift = models.ForeignKey(
        "rota.Shift", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_assessments"
    )
    planned_for = models.DateTimeField(null=True, blank=True, help_text="When the planned work is to start")
    # An off-rota call-in: the AMHP was not on duty and was brought in for this work.
    called_in = models.BooleanField(default=False)
    call_in_reason = models.TextField(blank=True)

    # Deadlines as data (set by the services on every change; the jobs scan them).
    late_after = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Raised by one on every edit of the record: a write made against an older version is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            # At most one live allocation per referral: the database is the last word on races.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=["offered", "accepted", "in_progress", "completed"]),
                name="assessment_one_live_per_referral",
            )
        ]
        indexes = [
            models.Index(fields=["amhp", "status"]),
            models.Index(fields=["service", "status", "allocated_at"]),
            # The sweeps look only at what became due or changed since their last run.
            models.Index(
                fields=["shift_ends_at"],
                condition=Q(status__in=["offered", "accepted", "in_progress"]),
                name="assessment_open_shift_end",
            ),
            models.Index(fields=["updated_at"], name="assessment_updated"),
            # A full TOIL sweep walks the completed work in order of shift end, a batch at a time:
            # each batch's bounds and reads are range scans of this index, scoped to a service or not.
            models.Index(
                fields=["shift_ends_at", "service"],
                condition=Q(status="completed"),
                name="assessment_completed_shift_end",
            ),
            models.Index(fields=["service", "called_in", "allocated_at"], name="assessment_call_ins"),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} → {self.amhp_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ASSESSMENT_STATUSES

    @property
    def planned_label(self) -> str:
        """Planned work as people read it.

        For example "Planned for Tue 3 Mar 14:00 in the Day shift from Tue 3 Mar 09:00 to 17:00".
        """
        if self.planned_for is None:
            return ""
        label = f"Planned for {format_local(self.planned_for)}"
        shift = self.planned_shift
        if shift is None:
            return label
        return (
            f"{label} in the {shift.shift_type.name} shift "
            f"from {format_local(shift.starts_at)} to {format_local_time(shift.ends_at)}"
        )


class Doctor(models.Model):
    """A doctor involved in an assessment (s12(2): at least one approved; the other ideally knows the person)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="doctors")
    # Picked from the service's directory (its s12 approval and expiry then count), or typed freely.
    directory_doctor = models.ForeignKey(
        "rota.DirectoryDoctor", null=True, blank=True, on_delete=models.SET_NULL, related_name="assessment_doctors"
    )
    name = models.CharField(max_length=120)
    s12_approved = models.BooleanField(default=False)
    previous_acquaintance = models.BooleanField(default=False)
    examined_at = models.DateTimeField(null=True, blank=True)
    recommendation_signed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        ALLOCATED = "allocated", "Allocated"
        ACCEPTED = "accepted", "Accepted by the AMHP"
        DECLINED = "declined", "Declined by the AMHP"
        NR_CONTACTED = "nr_contacted", "Nearest relative contacted"
        DOCTORS_ARRANGED = "doctors_arranged", "Doctors arranged"
        SEEN = "seen", "Person seen"
        DECISION = "decision", "Decision made"
        APPLICATION_SIGNED = "application_signed", "Application signed"
        BED_FOUND = "bed_found", "Bed found"
        CONVEYED = "conveyed", "Conveyed"
        NOTE = "note", "Note"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    at = models.DateTimeField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["assessment", "at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class ToilEntry(models.Model):
    """A line in an AMHP's time-off-in-lieu ledger, in minutes (positive accrues, negative is time taken)."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", "Worked past shift end"
        TAKEN = "taken", "Time off taken"
        ADJUSTMENT = "adjustment", "Manager adjustment"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    staff = models.ForeignKey("rota.StaffProfile", on_delete=models.PROTECT, related_name="toil_entries")
    service = models.ForeignKey("rota.Service", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="toil_entries"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    minutes = models.IntegerField()
    worked_from = models.DateTimeField(null=True, blank=True)
    worked_to = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Booking TOIL for an assessment twice is impossible: the job may safely run again.
            models.UniqueConstraint(fields=["assessment"], condition=Q(kind="accrual"), name="toil_one_accrual_each"),
        ]
        indexes = [
            models.Index(fields=["staff", "status"]),
            models.Index(fields=["service", "status", "created_at"]),
            # The monthly cap: an AMHP's accruals in the months of a batch of TOIL booking, a range scan
            # each, however long the ledger.
            models.Index(fields=["staff", "worked_from"], condition=Q(kind="accrual"), name="toil_accrual_staff_month"),
            # The TOIL dashboard counts accruals by the day the work was done (worked_from, or when booked without
            # it): today's, and any day changed since the roll-up ran, are a range of this, not the whole ledger.
            models.Index(
                F("service"),
                Coalesce("worked_from", "created_at"),
                condition=Q(kind="accrual"),
                name="toil_accrual_service_worked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.kind} {self.minutes} min ({self.status})"


class LateFlag(models.Model):
    """A referral or assessment running late. One live flag per case and kind; cleared, never deleted."""

    class Kind(models.TextChoices):
        PAST_DUE = "past_due", "Past its due time"
        PAST_SHIFT_END = "past_shift_end", "Running past the AMHP's shift end"
        NEAR_STATUTORY_EXPIRY = "near_statutory_expiry", "Close to the statutory limit"
        STATUTORY_BREACH = "statutory_breach", "Statutory limit passed"

    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="late_flags")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.CASCADE, related_name="late_flags"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "kind"], condition=Q(cleared_at__isnull=True), name="lateflag_one_live_per_kind"
            ),
        ]
        indexes = [models.Index(fields=["service", "cleared_at", "raised_at"])]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind}"


class Notification(models.Model):
    """An in-app notice to one user (also emailed). The dedupe key stops a job notifying twice."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_unique_per_recipient")
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"])]

    def __str__(self) -> str:
        return self.title


class SweepMark(models.Model):
    """How far a sweep has got: the next run need only look at what became due or changed since.

    `scope` is the service id swept, or 0 for all services. A full sweep runs when there is no
    mark, when the last full one is older than SWEEP_FULL_EVERY_MINUTES, or when the clock
    goes backwards, so anything a window missed is caught within that time.
    """

    job = models.CharField(max_length=40)
    scope = models.BigIntegerField(default=0)
    swept_until = models.DateTimeField()
    full_swept_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "scope"], name="sweepmark_unique_job_scope")]

    def __str__(self) -> str:
        return f"{self.job}/{self.scope} to {self.swept_until:%Y-%m-%d %H:%M:%S}"


class ApplicationSection(models.TextChoices):
    S2 = "s2", "Section 2 (admission for assessment)"
    S3 = "s3", "Section 3 (admission for treatment)"
    S4 = "s4", "Section 4 (emergency admission)"
    GUARDIANSHIP = "guardianship", "Guardianship (s7)"


class NearestRelativeStep(models.TextChoices):
    CONSULTED = "consulted", "Consulted (s11(4))"
    INFORMED = "informed", "Informed (s11(3))"
    NOT_PRACTICABLE = "not_practicable", "Not reasonably practicable, or would cause unreasonable delay"
    NONE = "none", "There is no nearest relative"


class Application(models.Model):
    """The AMHP's application under the Act, as signed. Stored only once it passes assessments.application_rules."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="application")
    section = models.CharField(max_length=20, choices=ApplicationSection.choices)
    signed_at = models.DateTimeField()
    applicant_seen_at = models.DateTimeField()
    nearest_relative_step = models.CharField(max_length=20, choices=NearestRelativeStep.choices)
    nearest_relative_reason = models.TextField(blank=True)
    nearest_relative_name = models.CharField(max_length=150, blank=True)
    conflict_of_interest_declared = models.BooleanField(default=False)
    conflict_of_interest_reason = models.TextField(blank=True)
    learning_disability = models.BooleanField(default=False)
    autism = models.BooleanField(default=False)
    abnormally_aggressive_or_seriously_irresponsible = models.BooleanField(default=False)
    grounds = models.TextField(blank=True, help_text="Outline of the grounds, for the AMHP's report")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.section} signed {self.signed_at:%Y-%m-%d %H:%M}"


class Recommendation(models.Model):
    """One medical recommendation founding the application (s12)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="recommendations")
    position = models.PositiveSmallIntegerField(default=0)
    # Chosen from the service's directory: the name, s12 approval and expiry were copied from it when the
    # application was made (what the application relied on); otherwise typed freely.
    directory_doctor = models.ForeignKey(
        "rota.DirectoryDoctor", null=True, blank=True, on_delete=models.SET_NULL, related_name="recommendations"
    )
    doctor = models.CharField(max_length=150)
    examined_on = models.DateField()
    examined_at = models.DateTimeField(null=True, blank=True)
    signed_on = models.DateField()
    s12_approved = models.BooleanField(default=False)
    s12_approval_expires_on = models.DateField(null=True, blank=True)
    previous_acquaintance = models.BooleanField(default=False)
    no_acquaintance_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["application", "position", "id"]

    def __str__(self) -> str:
        return self.doctor


class RequestKind(models.TextChoices):
    S12_DOCTOR = "s12_doctor", "Section 12 doctor"
    SECOND_DOCTOR = "second_doctor", "Second doctor"
    BED = "bed", "Bed"
    AMBULANCE = "ambulance", "Ambulance"
    POLICE = "police", "Police"
    SECURE_TRANSPORT = "secure_transport", "Secure transport"
    INTERPRETER = "interpreter", "Interpreter"
    WARRANT = "warrant", "Section 135 warrant"


class RequestOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REFUSED = "refused", "Refused"
    NO_ANSWER = "no_answer", "No answer"


class CaseRequest(models.Model):
    """One request made for a case: a call to a doctor, a bed request, an ambulance booked...

    Waits are derived from these (``assessments.waits``): a kind's wait runs from its first
    request until something of that kind arrives. ``times_known`` is false for rows carried
    over from the old tick-box delay reasons, whose times were never recorded.
    """

    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="+")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="requests")
    assessment = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    kind = models.CharField(max_length=20, choices=RequestKind.choices)
    requested_at = models.DateTimeField()
    to = models.CharField(max_length=200, blank=True, help_text="Who was asked: a doctor, bed manager, control room")
    doctor = models.ForeignKey(
        "rota.DirectoryDoctor", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    outcome = models.CharField(max_length=10, choices=RequestOutcome.choices, default=RequestOutcome.PENDING)
    arrived_at = models.DateTimeField(null=True, blank=True)
    # Beds: the ward offered and whether it is out of the area.
    ward = models.CharField(max_length=120, blank=True)
    out_of_area = models.BooleanField(null=True, blank=True)
    notes = models.TextField(blank=True)
    times_known = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["referral", "requested_at"], name="request_referral_time"),
            models.Index(fields=["service", "requested_at"], name="request_service_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(arrived_at__isnull=True) | Q(arrived_at__gte=models.F("requested_at")),
                name="request_arrives_after_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.requested_at:%Y-%m-%d %H:%M}"


class Handover(models.Model):
    """Work in progress passed from one AMHP to another: by the AMHP (handover) or by a consultant (reassign)."""

    class Kind(models.TextChoices):
        HANDOVER = "handover", "Handed over"
        REASSIGN = "reassign", "Reassigned by the desk"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="handovers")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HANDOVER)
    from_amhp = models.ForeignKey("rota.StaffProfile", on_delete=models.PROTECT, related_name="handovers_given")
    to_amhp = models.ForeignKey("rota.StaffProfile", on_delete=models.PROTECT, related_name="handovers_taken")
    notes = models.TextField(help_text="What the next AMHP needs to know; for a reassignment, the reason")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["assessment", "at"], name="handover_assessment_time")]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.from_amhp_id} → {self.to_amhp_id}"
