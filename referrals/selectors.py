"""Reads of referrals shared by the pages, the API and the jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from amhp_hub.common.statements import Statement
from referrals import deadlines
from referrals.constants import QUEUE_STATUSES, Status
from referrals.deadlines import LegalPeriod
from referrals.models import (
    Displacement,
    LegalStatusChange,
    Person,
    PersonHistory,
    Referral,
    SearchQuery,
    TriageRecord,
)
from referrals.search import Terms
from rota.models import Role, StaffProfile

QUEUE_ORDER = ("priority_rank", "due_at", "received_at", "id")


# Assessment statuses that keep a referral visible to its AMHP (every status but "declined"; the names
# are the assessments app's, which this app may not import).
AMHP_VISIBLE_ASSESSMENT_STATUSES = ("offered", "accepted", "in_progress", "completed")


def referrals_visible_to(profile: StaffProfile) -> QuerySet[Referral]:
    """Return the referrals this member of staff may see: their own service's, as their role allows.

    Consultants and managers see every referral of their service; an AMHP sees those
    allocated to them, and no longer one they declined.
    """
    return _visible(service_id=profile.service_id, amhp_id=_amhp_id(profile))


def _amhp_id(profile: StaffProfile) -> Any:
    """The AMHP whose allocations limit what PROFILE sees, or None for the desk."""
    return profile.pk if profile.role == Role.AMHP else None


def _visible(*, service_id: int, amhp_id: Any) -> QuerySet[Referral]:
    qs = Referral.objects.filter(service_id=service_id)
    if amhp_id is not None:
        # One filter() call, so both conditions are on the same assessment: theirs, and not declined.
        qs = qs.filter(
            assessments__amhp_id=amhp_id, assessments__status__in=AMHP_VISIBLE_ASSESSMENT_STATUSES
        ).distinct()
    return qs.select_related("person", "service")


def _visible_referral(*, service_id: int, amhp_id: Any, pk: UUID) -> QuerySet[Referral]:
    return _visible(service_id=service_id, amhp_id=amhp_id).filter(pk=pk)[:1]


# Every referral page and API read looks the referral up: compiled once per thread (amhp_hub.common.statements).
_VISIBLE_REFERRAL: Statement[Referral] = Statement(_visible_referral)


def visible_referral(profile: StaffProfile, pk: UUID) -> Referral | None:
    """The referral PK if PROFILE may see it (referrals_visible_to), with its person and service; else None."""
    rows = _VISIBLE_REFERRAL.run(service_id=profile.service_id, amhp_id=_amhp_id(profile), pk=pk)
    return rows[0] if rows else None


def visible_referral_or_404(profile: StaffProfile, pk: Any) -> Referral:
    """The referral PK as PROFILE may see it, or 404; an id that is not a UUID is refused as the ORM refuses it."""
    try:
        key = pk if isinstance(pk, UUID) else UUID(str(pk))
    except ValueError:
        return get_object_or_404(referrals_visible_to(profile), pk=pk)
    referral = visible_referral(profile, key)
    if referral is None:
        raise Http404("No referral matches the given query.")
    return referral


def referral_list(
    *, profile: StaffProfile, status: str | None = None, priority: str | None = None
) -> QuerySet[Referral]:
    qs = referrals_visible_to(profile)
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    return qs.order_by("-received_at", "id")


def queue(*, service_id: int, status: str | None = None, priority: str | None = None) -> QuerySet[Referral]:
    """Return the service's open referrals in queue order: band, then due time, then arrival.

    The order matches the partial index `referral_queue_order`, so a page of the queue is
    an index range scan whatever the queue's size.
    """
    qs = Referral.objects.filter(service_id=service_id, status__in=QUEUE_STATUSES)
    if status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    return qs.select_related("person").order_by(*QUEUE_ORDER)


def queue_version(*, service_id: int) -> str:
    """A token that changes whenever any referral of the service changes (arrives, is triaged, allocated, closed).

    Every write through the services stamps ``updated_at``, so the latest one stands for the whole
    queue's state. One query, on the ``referral_updated`` index.
    """
    latest = Referral.objects.filter(service_id=service_id).aggregate(latest=Max("updated_at"))["latest"]
    return latest.isoformat() if latest else ""


def triage_history(referral: Referral) -> QuerySet[TriageRecord]:
    return referral.triage_records.select_related("decided_by").order_by("-decided_at")


def filter_args(params: Any, allowed: dict[str, list[str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Read filters from query PARAMS: return (filters, errors) for the ALLOWED names and values."""
    filters: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, values in allowed.items():
        value = params.get(name)
        if not value:
            continue
        if value not in values:
            errors[name] = [f"Choose one of: {', '.join(values)}"]
        else:
            filters[name] = value
    return filters, errors


SEARCH_LIMIT = 25  # referrals a page of search results shows; older ones are a page on (keyset)
SEARCH_ROW_FIELDS = (
    "id",
    "reference",
    "status",
    "received_at",
    "recorded_given_name",
    "recorded_family_name",
    "recorded_date_of_birth",
    "person__id",
    "person__nhs_number",
    "person__given_name",
    "person__family_name",
    "person__date_of_birth",
)


def _name_match(names: tuple[str, ...], prefix: str) -> Q:
    """Prefix matches of NAMES on the lower-case name keys (PREFIX "" on a person, "recorded_" on a referral)."""
    if len(names) == 1:
        (word,) = names
        return Q(**{f"{prefix}family_key__startswith": word}) | Q(**{f"{prefix}given_key__startswith": word})
    *given, family = names
    return Q(**{f"{prefix}family_key__startswith": family, f"{prefix}given_key__startswith": given[0]})


def search_referrals(
    *, profile: StaffProfile, terms: Terms, before: tuple[datetime, Any] | None = None
) -> list[Referral]:
    """Return up to SEARCH_LIMIT + 1 referrals matching TERMS that PROFILE may see, newest first.

    Every status counts, drafts included, but only the caller's own service (and for an AMHP,
    their own allocations). BEFORE, a (received_at, id) pair, starts after that referral (the
    next page). A constant number of queries whatever the tables' size: the NHS number and
    reference are unique indexes and the date of birth is indexed with the service. A name
    matches the name recorded on the referral (read from the referral row itself, newest first
    on the service's received_at index) or, for a person whose details have changed since, the
    person's current name, so a renamed person is found by either name.
    """
    if terms.empty:
        return []
    # Only what a results row shows (and the audit's ids): a page of wide rows costs less to load.
    qs = referrals_visible_to(profile).select_related(None).select_related("person").only(*SEARCH_ROW_FIELDS)
    people = Person.objects.filter(service_id=profile.service_id)
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(received_at__lt=at) | Q(received_at=at, id__lt=pk))
    if terms.reference:
        qs = qs.filter(reference=terms.reference)
    elif terms.nhs_number:
        qs = qs.filter(person__in=people.filter(nhs_number=terms.nhs_number).values("pk"))
    if terms.date_of_birth:
        qs = qs.filter(person__in=people.filter(date_of_birth=terms.date_of_birth).values("pk"))
    newest = ("-received_at", "-id")
    if not terms.names:
        return list(qs.order_by(*newest)[: SEARCH_LIMIT + 1])
    recorded = _name_match(terms.names, "recorded_")
    renamed = people.filter(_name_match(terms.names, ""), pk__in=PersonHistory.objects.values("person_id"))
    found = {
        r.pk: r
        for part in (qs.filter(recorded), qs.filter(person__in=renamed.values("pk")))
        for r in part.order_by(*newest)[: SEARCH_LIMIT + 1]
    }
    return sorted(found.values(), key=lambda r: (r.received_at, r.pk), reverse=True)[: SEARCH_LIMIT + 1]


def search_get(*, profile: StaffProfile, pk: Any) -> SearchQuery | None:
    """Return the saved search PK if PROFILE ran it, else None (a search id is no use to anyone else)."""
    return SearchQuery.objects.filter(pk=pk, created_by_id=profile.user_id, service_id=profile.service_id).first()


def my_drafts(*, profile: StaffProfile) -> QuerySet[Referral]:
    """The caller's own draft referrals, newest first (partial index referral_drafts_by_creator)."""
    return (
        Referral.objects.filter(service_id=profile.service_id, status=Status.DRAFT, created_by_id=profile.user_id)
        .select_related("person")
        .order_by("-created_at", "-id")
    )


def legal_history(referral: Referral) -> list[LegalStatusChange]:
    """Return REFERRAL's legal status history, oldest first (one query)."""
    return list(referral.legal_history.select_related("recorded_by").order_by("recorded_at", "id"))


def referral_deadlines(referral: Referral, *, now: datetime) -> list[deadlines.Deadline]:
    """Return every legal deadline REFERRAL carries at NOW (one query, for its legal history)."""
    return deadlines.case_deadlines(case_facts(referral), now=now)


def case_facts(referral: Referral, history: list[LegalPeriod] | None = None) -> deadlines.CaseFacts:
    """Gather REFERRAL's facts for the deadline rules; HISTORY defaults to its stored legal history.

    A referral saved before the history existed has its current legal status as its only entry.
    """
    if history is None:
        history = []
        if not referral._state.adding:
            history = [
                LegalPeriod(status, started)
                for status, started in referral.legal_history.order_by("recorded_at", "id").values_list(
                    "legal_status", "started_at"
                )
            ]
    if not history and referral.legal_status:
        history = [LegalPeriod(referral.legal_status, referral.legal_power_started_at)]
    examinations = [t for t in (referral.first_examined_at, referral.last_examined_at) if t is not None]
    ended = referral.closed_at if referral.status in (Status.ASSESSED, Status.REDIRECTED, Status.CLOSED) else None
    s29 = None
    if not referral._state.adding:
        # s29(4): an application to displace the nearest relative on ground (c) or (d) extends s2.
        s29 = (
            Displacement.objects.filter(person_id=referral.person_id, ground__in=deadlines.S29_GROUNDS)
            .order_by("-applied_on", "-id")
            .first()
        )
    return deadlines.CaseFacts(
        history=history,
        extension_hours=referral.extension_hours,
        examinations=examinations,
        applicant_seen_at=referral.applicant_seen_at,
        application_section=referral.application_section,
        application_signed_at=referral.application_signed_at,
        conveyed_at=referral.conveyed_at,
        admitted_at=referral.admitted_at,
        ended_at=ended,
        s29_ground=s29.ground if s29 else "",
        s29_applied_on=s29.applied_on if s29 else None,
        s29_decided_on=s29.decided_on if s29 else None,
        s29_order_made=s29.order_made if s29 else False,
    )
