"""Reads of allocations and assessment records shared by the pages, the API and the jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Sum

from amhp_hub.common.statements import Statement
from assessments.models import OPEN_ASSESSMENT_STATUSES, Assessment, AssessmentStatus, TimelineEvent
from referrals.models import Person, Referral
from rota import approval, ranking, working_time
from rota.models import Leave, Role, Shift, StaffProfile
from rota.selectors import intervals_by_staff, on_duty_at, worked_rows
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
    return language_to_speak(person.language, interpreter_needed=person.interpreter_needed)


def language_to_speak(language: str | None, *, interpreter_needed: bool) -> str | None:
    """``language_needed`` from a person's recorded language and interpreter flag (for rows read without a model)."""
    language = (language or "").strip()
    if not language:
        return None
    if interpreter_needed or language.casefold() != ENGLISH:
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


@dataclass(frozen=True)
class CandidateOption:
    """A ranked AMHP with the shift the work would be done in and the rest it would break."""

    ranked: ranking.RankedCandidate
    shift: Shift
    warnings: tuple[str, ...]


# The ranking's reads, compiled once per thread and number of AMHPs (amhp_hub.common.statements): the
# candidates are asked for on every referral a consultant opens, and building and compiling these queries
# cost Django more than PostgreSQL takes to answer them.
_ON_DUTY: Statement[Shift] = Statement(lambda service_id, at: on_duty_at(service_id=service_id, at=at))
_OPEN_LOAD: Statement[dict[str, Any]] = Statement(
    lambda amhp_ids: (
        Assessment.objects.filter(amhp_id__in=amhp_ids, status__in=OPEN_ASSESSMENT_STATUSES)
        .values("amhp_id")
        .annotate(n=Count("id"), hours=Sum("expected_hours"))
        .order_by()
    )
)
_ASSESSED_BEFORE: Statement[Any] = Statement(
    lambda amhp_ids, person_id, referral_id: (
        Assessment.objects.filter(
            amhp_id__in=amhp_ids, referral__person_id=person_id, status=AssessmentStatus.COMPLETED
        )
        .exclude(referral_id=referral_id)
        .values_list("amhp_id", flat=True)
        .distinct()
    )
)
_DECLINED: Statement[tuple[Any, str]] = Statement(
    lambda amhp_ids, referral_id: (
        Assessment.objects.filter(referral_id=referral_id, amhp_id__in=amhp_ids, status=AssessmentStatus.DECLINED)
        .order_by("responded_at")
        .values_list("amhp_id", "decline_reason")
    )
)
_WORKED: Statement[tuple[Any, datetime, datetime]] = Statement(
    lambda staff_ids, start, end: worked_rows(staff_ids=staff_ids, start=start, end=end)
)


def candidate_options(referral: Referral, at: datetime) -> list[CandidateOption]:
    """Return the AMHPs on duty in the referral's service at AT, ranked for it, best first.

    AT is now for work to start now, or a later time for planned work: the same ranking
    (rota.ranking) is then given the shifts covering that time. Each option carries its shift
    and the Working Time Regulations rests the work would break, judged from the rota and the
    work recorded (rota.working_time.allocation_breaches). Five queries whatever the number of
    AMHPs: the on-duty shifts (with staff and user), the open workload per AMHP (count and
    expected hours), who assessed this person before, who declined this referral (they rank
    last, with their reason), and the shifts and recorded work from the 17-week reference period
    before AT to a week after it (one query). An AMHP on
    overlapping shifts appears once, with the shift ending last. AMHPs whose approval is not
    in date on AT's London day are left out.
    """
    shifts: dict[str, Shift] = {}
    today = at.astimezone(LONDON).date()
    for shift in _ON_DUTY.run(service_id=referral.service_id, at=at):
        # An AMHP whose approval has ended, or who is not approved, may not act (SI 2008/1206).
        if approval.approval_problem(shift.staff.display_name, shift.staff.warrant_expires_on, today):
            continue
        key = str(shift.staff_id)
        if key not in shifts or shift.ends_at > shifts[key].ends_at:
            shifts[key] = shift
    if not shifts:
        return []
    amhp_ids = [shift.staff_id for shift in shifts.values()]
    load = {str(row["amhp_id"]): (row["n"], float(row["hours"] or 0)) for row in _OPEN_LOAD.run(amhp_ids=amhp_ids)}
    assessed_before = {
        str(amhp_id)
        for amhp_id in _ASSESSED_BEFORE.run(amhp_ids=amhp_ids, person_id=referral.person_id, referral_id=referral.pk)
    }
    declined: dict[str, str] = {}
    for amhp_id, reason in _DECLINED.run(amhp_ids=amhp_ids, referral_id=referral.pk):
        declined[str(amhp_id)] = reason or "no reason given"
    candidates = [
        ranking.Candidate(
            amhp_id=key,
            name=shift.staff.display_name,
            shift_end=shift.ends_at,
            open_allocations=load.get(key, (0, 0.0))[0],
            open_hours=load.get(key, (0, 0.0))[1],
            assessed_person_before=key in assessed_before,
            locality=shift.staff.locality or None,
            languages=frozenset(shift.staff.languages or []),
            declined_reason=declined.get(key),
        )
        for key, shift in shifts.items()
    ]
    work = work_for(referral, at)
    worked = _worked_around(at, amhp_ids)
    options = []
    for ranked in ranking.rank_candidates(candidates, work):
        shift = shifts[ranked.candidate.amhp_id]
        hours = ranked.candidate.open_hours + work.expected_hours
        warnings = _working_time_warnings(worked.get(shift.staff_id, []), at, hours)
        options.append(CandidateOption(ranked, shift, warnings))
    return options


# The 48 h average (reg. 4) looks back over 17 weeks; the rests (regs. 10 and 11) a week either side.
REFERENCE_WEEKS = 17


def _worked_around(at: datetime, staff_ids: list[Any]) -> dict[Any, list[working_time.Interval]]:
    """The shifts and recorded work of STAFF_IDS from the 17-week reference period before AT to a week after it."""
    start, end = at - timedelta(weeks=REFERENCE_WEEKS, days=1), at + timedelta(days=8)
    return intervals_by_staff(_WORKED.run(staff_ids=list(staff_ids), start=start, end=end))


def _working_time_warnings(worked: list[working_time.Interval], at: datetime, hours: float) -> tuple[str, ...]:
    """The Working Time Regulations warnings for HOURS of work (open work and this referral) from AT."""
    projected = working_time.Interval(at, at + timedelta(hours=max(hours, 1 / 60)))
    return tuple(b.message for b in working_time.allocation_breaches(worked, projected))


def allocation_warnings(referral: Referral, amhp: StaffProfile, at: datetime) -> tuple[str, ...]:
    """Return the Working Time Regulations warnings for giving REFERRAL to AMHP from AT.

    The same judgement as candidate_options makes for its rows (the AMHP's open work and this
    referral's expected hours from AT, against their rota and recorded work), for one AMHP,
    on duty or called in. Two queries.
    """
    open_hours = (
        Assessment.objects.filter(amhp=amhp, status__in=OPEN_ASSESSMENT_STATUSES).aggregate(h=Sum("expected_hours"))[
            "h"
        ]
        or 0
    )
    hours = float(open_hours) + work_for(referral, at).expected_hours
    return _working_time_warnings(_worked_around(at, [amhp.pk]).get(amhp.pk, []), at, hours)


def candidates_for(referral: Referral, at: datetime) -> list[ranking.RankedCandidate]:
    """Return the AMHPs on duty in the referral's service at AT, ranked for it, best first (see candidate_options)."""
    return [option.ranked for option in candidate_options(referral, at)]


def off_rota_amhps(referral: Referral, at: datetime) -> list[StaffProfile]:
    """Return the service's AMHPs not on duty at AT, not on leave and approved: whom a call-in could bring in.

    Approval as for allocation (rota.approval, SI 2008/1206): in date on AT's London day. One query.
    """
    on_duty = on_duty_at(service_id=referral.service_id, at=at).values("staff_id")
    on_leave = Leave.objects.filter(
        staff_id=OuterRef("pk"), cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at
    )
    today = at.astimezone(LONDON).date()
    return [
        person
        for person in StaffProfile.objects.filter(service_id=referral.service_id, role=Role.AMHP, user__is_active=True)
        .exclude(pk__in=on_duty)
        .exclude(Exists(on_leave))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "id")
        if approval.approval_problem(person.display_name, person.warrant_expires_on, today) is None
    ]


def _with_record(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return qs.select_related(
        "referral__person", "amhp__user", "allocated_by", "planned_shift__shift_type"
    ).prefetch_related("doctors", Prefetch("timeline", queryset=TimelineEvent.objects.select_related("recorded_by")))


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
    """Return PROFILE's open assessments, most recently allocated first (index assessment amhp, status),
    with the shift any planned work is booked in."""
    return allocations_of(service_id=profile.service_id, amhp_id=profile.pk)


def allocations_of(*, service_id: int, amhp_id: Any) -> QuerySet[Assessment]:
    """my_allocations for the AMHP AMHP_ID of SERVICE_ID."""
    return (
        Assessment.objects.filter(service_id=service_id, amhp_id=amhp_id, status__in=OPEN_ASSESSMENT_STATUSES)
        .select_related("referral__person", "planned_shift__shift_type")
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
