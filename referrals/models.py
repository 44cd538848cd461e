"""The person, the referral and its triage decisions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from referrals import person_rules
from referrals.constants import (
    FLAG_LABELS,
    OPEN_STATUSES,
    QUEUE_STATUSES,
    ApplicationSection,
    Ethnicity,
    LegalChange,
    LegalStatus,
    PlaceOfSafety,
    Priority,
    S136Consultee,
    Sex,
    Status,
    TriageDecision,
)
from referrals.nhs_number import format_nhs_number

OPEN_STATUS_VALUES = [s.value for s in OPEN_STATUSES]


class Person(models.Model):
    """Someone referred for assessment. One row per person per service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey("rota.Service", on_delete=models.PROTECT, related_name="people")
    nhs_number = models.CharField(max_length=10, blank=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.NOT_KNOWN)
    ethnicity = models.CharField(max_length=2, choices=Ethnicity.choices, default=Ethnicity.NOT_KNOWN)
    language = models.CharField(max_length=60, blank=True, default="English")
    interpreter_needed = models.BooleanField(default=False)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    gp_practice = models.CharField(max_length=150, blank=True)
    # Lower-case names kept by the database, so a search by name is an indexed prefix match.
    family_key = models.GeneratedField(
        expression=Lower("family_name"), output_field=models.TextField(), db_persist=True
    )
    given_key = models.GeneratedField(expression=Lower("given_name"), output_field=models.TextField(), db_persist=True)
    # Set when the retention job anonymised the person (every referral closed longer ago than RETENTION_YEARS).
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["family_key"], opclasses=["text_pattern_ops"], name="person_family_key"),
            models.Index(fields=["given_key"], opclasses=["text_pattern_ops"], name="person_given_key"),
            models.Index(fields=["service", "date_of_birth"], name="person_service_dob"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "nhs_number"], condition=~Q(nhs_number=""), name="person_unique_nhs_number"
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return name_as_recorded(self.given_name, self.family_name)

    @property
    def nhs_number_display(self) -> str:
        return format_nhs_number(self.nhs_number) if self.nhs_number else ""

    def age_on(self, day: date) -> int | None:
        """Whole years on DAY (referrals.person_rules.age_on), or None without a date of birth."""
        return person_rules.age_on(self.date_of_birth, day)


def name_as_recorded(given_name: str, family_name: str) -> str:
    """A name from its two parts, as a person or a referral records it ("" when neither is known)."""
    return f"{given_name} {family_name}".strip()


class Referral(models.Model):
    """A request for an AMHP to consider an application under the Mental Health Act (s13)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    service = models.ForeignKey("rota.Service", on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    # The person's name and date of birth as they were when this referral was made: a later
    # correction of the person's details never rewrites what an earlier record said.
    recorded_given_name = models.CharField(max_length=100, blank=True)
    recorded_family_name = models.CharField(max_length=100, blank=True)
    recorded_date_of_birth = models.DateField(null=True, blank=True)
    # Lower-case recorded names kept by the database: a search by name reads the referral row alone.
    recorded_family_key = models.GeneratedField(
        expression=Lower("recorded_family_name"), output_field=models.TextField(), db_persist=True
    )
    recorded_given_key = models.GeneratedField(
        expression=Lower("recorded_given_name"), output_field=models.TextField(), db_persist=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=20, choices=Priority.choices, default=Priority.SOON)
    # 1 = emergency ... 4 = routine: an integer so the queue index orders bands correctly.
    priority_rank = models.PositiveSmallIntegerField(default=3)

    # Where the person is and the legal power that holds them (DOMAIN.md clocks).
    legal_status = models.CharField(max_length=30, choices=LegalStatus.choices, blank=True)
    legal_power_started_at = models.DateTimeField(null=True, blank=True)
    extension_hours = models.PositiveSmallIntegerField(default=0)
    location = models.CharField(max_length=200, blank=True, help_text="Where the person is now")
    place_of_safety_type = models.CharField(max_length=30, choices=PlaceOfSafety.choices, blank=True)

    # Facts of the detention pathway the deadline rules read (referrals.deadlines). The assessment
    # services write them through referrals.services.referral_record_pathway.
    application_section = models.CharField(max_length=20, choices=ApplicationSection.choices, blank=True)
    application_signed_at = models.DateTimeField(null=True, blank=True)
    applicant_seen_at = models.DateTimeField(null=True, blank=True)
    first_examined_at = models.DateTimeField(null=True, blank=True)
    last_examined_at = models.DateTimeField(null=True, blank=True)
    conveyed_at = models.DateTimeField(null=True, blank=True)
    # The earliest running deadline's rule code; its due time is statutory_expires_at.
    deadline_rule = models.CharField(max_length=30, blank=True)

    received_at = models.DateTimeField()
    statutory_expires_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    # Who referred, and why.
    referrer_name = models.CharField(max_length=120, blank=True)
    referrer_role = models.CharField(max_length=120, blank=True)
    referrer_organisation = models.CharField(max_length=150, blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    seen_by_referrer_at = models.DateTimeField(null=True, blank=True)

    # Risks.
    risk_violence = models.BooleanField(default=False)
    risk_weapons = models.BooleanField(default=False)
    risk_children = models.BooleanField(default=False)
    risk_safeguarding = models.BooleanField(default=False)
    risk_notes = models.TextField(blank=True)

    # Nearest relative and what is already lined up.
    nearest_relative_name = models.CharField(max_length=120, blank=True)
    nearest_relative_relationship = models.CharField(max_length=60, blank=True)
    nearest_relative_phone = models.CharField(max_length=40, blank=True)
    s12_doctor_arranged = models.BooleanField(default=False)
    bed_identified = models.BooleanField(default=False)
    # Police and place-of-safety liaison (s136(1C) consultation; the handover at the place of safety).
    police_incident_number = models.CharField(max_length=40, blank=True)
    s136_consulted = models.CharField(
        max_length=30, choices=S136Consultee.choices, blank=True, help_text="Who the police consulted, s136(1C)"
    )
    s136_consulted_name = models.CharField(max_length=120, blank=True)
    s136_consulted_at = models.DateTimeField(null=True, blank=True)
    police_arrived_at = models.DateTimeField(null=True, blank=True, help_text="Police arrived at the place of safety")
    police_handover_at = models.DateTimeField(null=True, blank=True, help_text="Police handed over and left")

    # The last decline, shown in the queue until the referral is allocated again: "Declined by X: reason".
    decline_note = models.CharField(max_length=300, blank=True)

    # Computed by referrals.services on every change (repeat, duplicate, missing information, risks).
    flags = models.JSONField(default=list, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the application reached the hospital managers (status admitted).
    admitted_at = models.DateTimeField(null=True, blank=True)
    # Raised by one on every edit: a write made against an older version is refused (no lost updates).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # The queue: open referrals of a service by band, due time, arrival.
            models.Index(
                fields=["service", "priority_rank", "due_at", "received_at", "id"],
                condition=Q(status__in=[s.value for s in QUEUE_STATUSES]),
                name="referral_queue_order",
            ),
            models.Index(fields=["service", "status", "received_at"], name="referral_status_received"),
            models.Index(fields=["person", "received_at"], name="referral_person_received"),
            # Dashboards read a period of referrals.
            models.Index(fields=["service", "received_at"], name="referral_service_received"),
            # A search by a rare name finds its few referrals by prefix; a common one reads the newest first.
            models.Index(
                fields=["recorded_family_key"], opclasses=["text_pattern_ops"], name="referral_recorded_family_key"
            ),
            models.Index(
                fields=["recorded_given_key"], opclasses=["text_pattern_ops"], name="referral_recorded_given_key"
            ),
            # The late-work sweep looks only at what became due or changed since its last run.
            models.Index(fields=["due_at"], condition=Q(status__in=OPEN_STATUS_VALUES), name="referral_open_due"),
            models.Index(
                fields=["statutory_expires_at"], condition=Q(status__in=OPEN_STATUS_VALUES), name="referral_open_expiry"
            ),
            models.Index(fields=["updated_at"], name="referral_updated"),
            # The consultant's live board: open cases by earliest deadline, then arrival.
            models.Index(
                fields=["service", "statutory_expires_at", "received_at", "id"],
                condition=Q(status__in=OPEN_STATUS_VALUES),
                name="referral_board_order",
            ),
            # "My drafts": a consultant's own drafts, newest first.
            models.Index(
                fields=["created_by", "created_at"], condition=Q(status="draft"), name="referral_drafts_by_creator"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(extension_hours__lte=12), name="referral_extension_at_most_12h"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def person_name(self) -> str:
        """The person's name as recorded on this referral."""
        recorded = name_as_recorded(self.recorded_given_name, self.recorded_family_name)
        return recorded or self.person.full_name

    @property
    def person_date_of_birth(self) -> date | None:
        return self.recorded_date_of_birth or self.person.date_of_birth

    def record_person(self, person: Person) -> None:
        """Copy PERSON's name and date of birth onto this referral, as true now."""
        self.recorded_given_name = person.given_name
        self.recorded_family_name = person.family_name
        self.recorded_date_of_birth = person.date_of_birth

    @property
    def is_in_queue(self) -> bool:
        return self.status in QUEUE_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def flag_labels(self) -> list[str]:
        return [FLAG_LABELS.get(flag, flag) for flag in self.flags]

    def is_breached(self, now: datetime) -> bool:
        """Return True when the statutory power has expired and the referral is still open."""
        return self.is_open and self.statutory_expires_at is not None and self.statutory_expires_at <= now


class PersonHistory(models.Model):
    """A change to a person's details: what they were before, who changed them, when, and on which referral."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="history")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["person", "changed_at"], name="personhistory_person_at")]

    def __str__(self) -> str:
        return f"{self.person_id} changed {self.changed_at:%Y-%m-%d %H:%M}"


class TriageRecord(models.Model):
    """One triage decision, kept with who made it, when and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="triage_records")
    decision = models.CharField(max_length=20, choices=TriageDecision.choices)
    priority = models.CharField(max_length=20, choices=Priority.choices, blank=True)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["referral", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.decision}"


class SearchQuery(models.Model):
    """A search someone ran, behind a random id: results pages are /search/<id>/, so no name or NHS
    number is ever in a URL or an access log. Only the person who ran it can open it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey("rota.Service", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_by", "created_at"], name="searchquery_by_user")]

    def __str__(self) -> str:
        return f"search {self.pk}"


class NearestRelativeRecord(models.Model):
    """The person's nearest relative (s26), shared by all their referrals: who, and the steps that decided it.

    The relatives are entered once (`Relative` rows); `name`, `relationship` and `reasons` are
    what `referrals.nearest_relative.identify_nearest_relative` made of them when last saved.
    `in_care_of` names the council for a child in care under a care order (s27).
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="nearest_relative_record")
    name = models.CharField(max_length=150, blank=True)
    relationship = models.CharField(max_length=30, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    in_care_of = models.CharField(max_length=150, blank=True)
    parental_responsibility = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.person_id}: {self.name or 'none'}"


class Relative(models.Model):
    """A relative of the person (or a s26(7) co-resident), as entered once for all referrals."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relatives")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=30)
    date_of_birth = models.DateField(null=True, blank=True)
    half_blood = models.BooleanField(default=False)
    lives_with_patient = models.BooleanField(default=False)
    cares_for_patient = models.BooleanField(default=False)
    ordinarily_resident_uk = models.BooleanField(default=True)
    years_living_with_patient = models.DecimalField(max_digits=4, decimal_places=1, default=0)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)

    class Meta:
        ordering = ["person", "position", "id"]
        indexes = [models.Index(fields=["person", "position", "id"], name="relative_person_order")]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class NearestRelativeObjection(models.Model):
    """An objection by the nearest relative (s11(4)): it belongs to the person and every referral sees it."""

    class To(models.TextChoices):
        S3 = "s3", "Section 3"
        GUARDIANSHIP = "guardianship", "Guardianship"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nr_objections")
    date = models.DateField()
    to = models.CharField(max_length=20, choices=To.choices)
    relative = models.CharField(max_length=150)
    notes = models.TextField(blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-date", "-id"]
        indexes = [models.Index(fields=["person", "date", "id"], name="nr_objection_person_date")]

    def __str__(self) -> str:
        return f"{self.relative} objects to {self.to} ({self.date})"


class Displacement(models.Model):
    """An application to the county court to displace the nearest relative (s29) and its outcome."""

    class Ground(models.TextChoices):
        NO_NEAREST_RELATIVE = "a", "(a) no nearest relative, or not reasonably practicable to find out"
        INCAPABLE = "b", "(b) incapable of acting by reason of illness"
        UNREASONABLE_OBJECTION = "c", "(c) unreasonably objects to an application"
        DISCHARGE_WITHOUT_REGARD = "d", "(d) discharged or is likely to discharge without due regard"
        NOT_SUITABLE = "e", "(e) not a suitable person to act"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="displacements")
    ground = models.CharField(max_length=1, choices=Ground.choices)
    applied_on = models.DateField()
    decided_on = models.DateField(null=True, blank=True)
    order_made = models.BooleanField(default=False)
    acting_nearest_relative = models.CharField(max_length=150, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-applied_on", "-id"]
        indexes = [models.Index(fields=["person", "applied_on", "id"], name="displacement_person_applied")]

    def __str__(self) -> str:
        return f"s29({self.ground}) applied {self.applied_on}"


class NearestRelativeRequest(models.Model):
    """A nearest relative's request that an AMHP consider the case (s13(4)), and what came of it.

    When no application follows, the AMHP must give the nearest relative reasons in writing.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Being considered"
        APPLICATION_MADE = "application_made", "Application made"
        NO_APPLICATION = "no_application", "No application: written reasons given"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nr_requests")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="nr_requests")
    relative = models.CharField(max_length=150)
    requested_on = models.DateField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    reasons = models.TextField(blank=True)
    decided_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "-requested_on", "-id"]
        indexes = [models.Index(fields=["person", "requested_on", "id"], name="nr_request_person_requested")]

    def __str__(self) -> str:
        return f"s13(4) request by {self.relative} on {self.requested_on}"


class LegalStatusChange(models.Model):
    """One entry of a referral's legal status history: the status, when its clock started, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="legal_history")
    legal_status = models.CharField(max_length=30, choices=LegalStatus.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    change = models.CharField(max_length=20, choices=LegalChange.choices, default=LegalChange.CHANGED)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["referral", "recorded_at", "id"], name="legal_history_order")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.legal_status}"


class DetentionExtension(models.Model):
    """An s136B extension: the doctor's authorisation time, who authorised it and why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="extensions")
    hours = models.PositiveSmallIntegerField()
    authorised_at = models.DateTimeField()
    authorised_by = models.CharField(max_length=120)
    reason = models.TextField()
    superintendent_approved = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["authorised_at", "id"]
        indexes = [models.Index(fields=["referral", "authorised_at"], name="extension_order")]

    def __str__(self) -> str:
        return f"{self.referral_id} +{self.hours} h"
