"""Reads of allocations and assessment records shared by the pages, the API and the jobs."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet, Sum

from assessments.models import OPEN_ASSESSMENT_STATUSES, Assessment, AssessmentStatus, TimelineEvent
from referrals.models import Person, Referral
from rota import approval, ranking
from rota.models import Role, StaffProfile
from rota.selectors import on_duty_at
from rota.timefmt import LONDON

ENGLISH = "english"


def locality_for(referral: Referral) -> str | None:
    """Return the service locality of the referred person's postcode, or None when it is not known.

    Each service maps its postcode districts (the part before the space, e.g. "AB12") to its
    localities (Service.postcode_localities).
    """
    return referral.service.locality_of(referral.person.postcode)


def language_needed(person: Person) -> str | None:
    """Return the language an AMHP should speak: the person's, if not English or an interpreter is needed."""
    language = (person.language or "").strip()
    if not language:
        return None
    if person.interpreter_needed or language.casefold() != ENGLISH:
        return language
    return None


def work_for(referral: Referral, at: datetime) -> ranking.Work:
    """Return the piece of work REFERRAL represents, as seen at AT, for the ranking."""
    return ranking.Work(
        expected_hours=ranking.expected_hours(referral.legal_status or "community"),
        locality=locality_for(referral),
        language=language_needed(referral.person),
        now=at,
    )


def candidates_for(referral: Referral, at: datetime) -> list[ranking.RankedCandidate]:
    """Return the AMHPs on duty in the referral's service at AT, ranked for it, best first.

    Four queries whatever the number of AMHPs: the on-duty shifts (with staff and user),
    the open workload per AMHP (count and expected hours), who assessed this person
    before, and who declined this referral (they rank last, with their reason). An AMHP on
    overlapping shifts appears once, with the shift ending last. AMHPs whose approval is not
    in date on AT's London day are left out.
    """
    shifts: dict[str, tuple[StaffProfile, datetime]] = {}
    today = at.astimezone(LONDON).date()
    for shift in on_duty_at(service_id=referral.service_id, at=at):
        # An AMHP whose approval has ended, or who is not approved, may not act (SI 2008/1206).
        if approval.approval_problem(shift.staff.display_name, shift.staff.warrant_expires_on, today):
            continue
        key = str(shift.staff_id)
        if key not in shifts or shift.ends_at > shifts[key][1]:
            shifts[key] = (shift.staff, shift.ends_at)
    if not shifts:
        return []
    load = {
        str(row["amhp_id"]): (row["n"], float(row["hours"] or 0))
        for row in Assessment.objects.filter(amhp_id__in=list(shifts), status__in=OPEN_ASSESSMENT_STATUSES)
        .values("amhp_id")
        .annotate(n=Count("id"), hours=Sum("expected_hours"))
        .order_by()
    }
    assessed_before = {
        str(amhp_id)
        for amhp_id in Assessment.objects.filter(
            amhp_id__in=list(shifts), referral__person_id=referral.person_id, status=AssessmentStatus.COMPLETED
        )
        .exclude(referral_id=referral.pk)
        .values_list("amhp_id", flat=True)
        .distinct()
    }
    declined: dict[str, str] = {}
    for amhp_id, reason in (
        Assessment.objects.filter(referral_id=referral.pk, amhp_id__in=list(shifts), status=AssessmentStatus.DECLINED)
        .order_by("responded_at")
        .values_list("amhp_id", "decline_reason")
    ):
        declined[str(amhp_id)] = reason or "no reason given"
    candidates = [
        ranking.Candidate(
            amhp_id=key,
            name=staff.display_name,
            shift_end=ends_at,
            open_allocations=load.get(key, (0, 0.0))[0],
            open_hours=load.get(key, (0, 0.0))[1],
            assessed_person_before=key in assessed_before,
            locality=staff.locality or None,
            languages=frozenset(staff.languages or []),
            declined_reason=declined.get(key),
        )
        for key, (staff, ends_at) in shifts.items()
    ]
    return ranking.rank_candidates(candidates, work_for(referral, at))


def _with_record(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return qs.select_related("referral__person", "amhp__user", "allocated_by").prefetch_related(
        "doctors", Prefetch("timeline", queryset=TimelineEvent.objects.select_related("recorded_by"))
    )


def assessment_visible_to(profile: StaffProfile) -> QuerySet[Assessment]:
    """Return the assessments PROFILE may see: their service's for consultants and managers, an AMHP's own."""
    qs = Assessment.objects.filter(service_id=profile.service_id)
    if profile.role == Role.AMHP:
        # An AMHP who declined a piece of work no longer sees it (nor, through it, the referral).
        qs = qs.filter(amhp=profile).exclude(status=AssessmentStatus.DECLINED)
    elif profile.role not in (Role.CONSULTANT, Role.MANAGER):
        return qs.none()
    return _with_record(qs)


def my_allocations(profile: StaffProfile) -> QuerySet[Assessment]:
    """Return PROFILE's open assessments, most recently allocated first (index assessment amhp, status)."""
    return (
        Assessment.objects.filter(service_id=profile.service_id, amhp=profile, status__in=OPEN_ASSESSMENT_STATUSES)
        .select_related("referral__person")
        .order_by("-allocated_at", "id")
    )


def live_assessment_for(referral: Referral) -> Assessment | None:
    """Return the referral's live (open or completed) assessment, or None."""
    return (
        Assessment.objects.filter(referral=referral)
        .exclude(status=AssessmentStatus.DECLINED)
        .select_related("amhp__user")
        .first()
    )
