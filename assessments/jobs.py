"""The background sweeps, as plain set-based functions the Celery tasks call.

Every sweep is a handful of SQL statements whatever the size of the tables: rows are
written with INSERT ... SELECT (ending ON CONFLICT DO NOTHING, which PostgreSQL and
SQLite both understand) and cleared with one UPDATE, never by looping over rows in
Python. The partial unique constraints on the models (one live late flag per referral
and kind, one TOIL accrual per assessment, one notification per recipient and dedupe
key) make every sweep idempotent: running it again books nothing twice, even when two
workers race.

Each function takes `now` (so tests and benchmarks control the clock) and optionally a
`service_id` to sweep one service.
"""

from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse

from amhp_hub.common.bulk import UuidText, insert_new, insert_select
from amhp_hub.common.zone import LONDON
from assessments import toil
from assessments.models import (
    OPEN_ASSESSMENT_STATUSES,
    Assessment,
    AssessmentStatus,
    LateFlag,
    Notification,
    SweepMark,
    ToilEntry,
)
from assessments.notify import send_pending_emails
from referrals import deadlines
from referrals.constants import OPEN_STATUSES
from referrals.models import Referral
from rota.models import Role, ShiftType, StaffProfile, SwapRequest
from rota.selectors import cover_gaps, warrant_warning_window

logger = logging.getLogger(__name__)

__all__ = [
    "book_toil",
    "flag_late_work",
    "notify_new_late_flags",
    "notify_swaps",
    "send_pending_emails",
    "warn_expiring_warrants",
    "warn_rota_gaps",
]

OPEN_REFERRAL = [str(s) for s in OPEN_STATUSES]
OPEN_ASSESSMENT = [str(s) for s in OPEN_ASSESSMENT_STATUSES]
KIND_LABELS = dict(LateFlag.Kind.choices)
STATUTORY_KINDS = [str(LateFlag.Kind.NEAR_STATUTORY_EXPIRY), str(LateFlag.Kind.STATUTORY_BREACH)]


# --- SQL helpers ----------------------------------------------------------------------


def _text(expr: Any) -> Any:
    return Cast(expr, output_field=models.CharField())


# Rows one statement of a sweep raises at most: after an outage the backlog is many short statements.
LATE_FLAG_BATCH = 20_000


def _insert_select_in_batches(
    model: type[models.Model], columns: dict[str, Any], queryset: models.QuerySet[Any]
) -> int:
    """`insert_select` over QUERYSET in batches of LATE_FLAG_BATCH rows in primary-key order; return rows inserted.

    Each batch reads the keys it covers, then inserts the rows up to the last of them, so no one statement
    runs long however large the backlog. With nothing to raise it is one read and no INSERT.
    """
    batch = LATE_FLAG_BATCH
    total, after = 0, None
    while True:
        rows = queryset if after is None else queryset.filter(pk__gt=after)
        keys = list(rows.order_by("pk").values_list("pk", flat=True)[:batch])
        if not keys:
            return total
        total += insert_select(model, columns, rows.filter(pk__lte=keys[-1]))
        if len(keys) < batch:
            return total
        after = keys[-1]


def _dt(value: datetime) -> Value:
    return Value(value, output_field=models.DateTimeField())


def _for_service(queryset: models.QuerySet[Any], service_id: int | None, field: str = "service_id") -> Any:
    return queryset.filter(**{field: service_id}) if service_id is not None else queryset


# --- One runner at a time -------------------------------------------------------------
#
# With several workers, two may pick up the same sweep (a beat tick and a retry, or two beats
# during a failover). Each sweep holds a PostgreSQL advisory lock named after the job and
# scope while it runs; a second runner finds it taken and returns at once, so nothing is
# processed twice and no two runs fight over the same rows. (SQLite has one writer anyway.)


@contextmanager
def exclusive_run(job: str, service_id: int | None) -> Iterator[bool]:
    """Hold the advisory lock for JOB and scope; yield False if another runner holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_key(job, service_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, key])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, key])


def _lock_key(job: str, service_id: int | None) -> int:
    return zlib.crc32(f"{job}:{service_id or 0}".encode()) - 2**31  # a signed 32-bit int, as PostgreSQL takes


LOCK_NAMESPACE = 0x414D48  # "AMH": keeps the hub's advisory locks apart from anyone else's


# --- Sweep windows --------------------------------------------------------------------
#
# Deadlines are data: a sweep need only look at rows whose deadline passed, or which
# changed, since its last run. Each run records how far it got (SweepMark); the next looks
# back from there, with an overlap for transactions that committed late. A full sweep runs
# when there is no mark, once every SWEEP_FULL_EVERY_MINUTES, or if the clock went back.

SWEEP_OVERLAP = timedelta(minutes=5)


def _window_start(job: str, service_id: int | None, now: datetime) -> datetime | None:
    """Return the instant this run of JOB need look back to, or None for a full sweep."""
    return _window(job, service_id, now)[0]


def _window(
    job: str, service_id: int | None, now: datetime, changed: Sequence[type[models.Model]] = ()
) -> tuple[datetime | None, tuple[bool, ...]]:
    """The instant this run of JOB need look back to (None for a full sweep), and for each model of CHANGED
    whether any of its rows was written (``updated_at``) since then: True for all on a full sweep.

    One statement: each model's latest ``updated_at`` is read with the sweep's mark, an index probe each
    (a max over the index; an EXISTS compared with the mark's column would be planned as a scan).
    """
    latest = {
        f"latest_{n}": Subquery(
            cast(Any, model)._default_manager.order_by("-updated_at").values("updated_at")[:1],
            output_field=models.DateTimeField(),
        )
        for n, model in enumerate(changed)
    }
    mark = (
        SweepMark.objects.filter(job=job, scope=service_id or 0)
        .annotate(**latest)
        .values_list("swept_until", "full_swept_at", *latest)
        .first()
    )
    everything = (True,) * len(changed)
    if mark is None:
        return None, everything
    swept_until, full_swept_at, *writes = mark
    full_every = timedelta(minutes=settings.SWEEP_FULL_EVERY_MINUTES)
    if swept_until > now or now - full_swept_at >= full_every:
        return None, everything
    since = swept_until - SWEEP_OVERLAP
    return since, tuple(written is not None and written >= since for written in writes)


def _mark_swept(job: str, service_id: int | None, now: datetime, *, full: bool) -> None:
    """Record that JOB has swept up to NOW (after its writes, so a crash means the window is redone)."""
    update_fields = ["swept_until", "full_swept_at"] if full else ["swept_until"]
    SweepMark.objects.bulk_create(
        [SweepMark(job=job, scope=service_id or 0, swept_until=now, full_swept_at=now)],
        update_conflicts=True,
        unique_fields=["job", "scope"],
        update_fields=update_fields,
    )


def _changed_since(model: type[models.Model], since: datetime) -> Any:
    return model.objects.filter(updated_at__gte=since).values("pk")  # type: ignore[attr-defined]


# --- Late flags -----------------------------------------------------------------------


def _open_assessment_id() -> Subquery:
    return Subquery(
        Assessment.objects.filter(referral=OuterRef("pk"), status__in=OPEN_ASSESSMENT).order_by().values("pk")[:1]
    )


@transaction.atomic  # one commit for the run's statements, and its mark moves only if they all land
def flag_late_work(*, now: datetime, service_id: int | None = None) -> dict[str, int]:
    """Raise the late flags that hold at NOW and clear those that no longer do.

    Kinds: past_due (open referral past its due time), past_shift_end (open assessment past
    the AMHP's shift end), near_statutory_expiry (open referral whose statutory power ends
    within LATE_STATUTORY_MARGIN_HOURS, not yet ended), statutory_breach (ended). A flag
    clears when its referral closes, its assessment completes, or its time moves. Return
    {"raised_<kind>": n, ..., "cleared": n}. Eight statements, whatever the table sizes, and one more for
    each kind with flags to raise (and for each LATE_FLAG_BATCH of a backlog beyond the first). Within a
    window, the clearing UPDATEs run only if some referral (three) or assessment (one) changed in it (read
    with the window's mark), so a run with nothing new is four statements shorter.
    """
    margin = timedelta(hours=settings.LATE_STATUTORY_MARGIN_HOURS)
    K = LateFlag.Kind
    # Whether any referral, and any assessment, changed in the window comes with it (for the clearing below).
    since, (referrals_changed, assessments_changed) = _window("flag_late_work", service_id, now, (Referral, Assessment))
    open_referrals = _for_service(Referral.objects.filter(status__in=OPEN_REFERRAL), service_id)
    referral_conditions = {
        K.PAST_DUE: Q(due_at__lt=now),
        K.NEAR_STATUTORY_EXPIRY: Q(statutory_expires_at__gt=now, statutory_expires_at__lte=now + margin),
        K.STATUTORY_BREACH: Q(statutory_expires_at__lte=now),
    }
    # Within a window: only referrals whose deadline passed since, or that changed since.
    new_since = {
        K.PAST_DUE: lambda t: Q(due_at__gte=t),
        K.NEAR_STATUTORY_EXPIRY: lambda t: Q(statutory_expires_at__gt=t + margin),
        K.STATUTORY_BREACH: lambda t: Q(statutory_expires_at__gt=t),
    }
    counts: dict[str, int] = {}
    for kind, condition in referral_conditions.items():
        candidates = open_referrals.filter(condition)
        if since is not None:
            candidates = candidates.filter(new_since[kind](since) | Q(updated_at__gte=since))
        # A referral already flagged for KIND is skipped by the unique constraint (one live flag per
        # referral and kind), with ON CONFLICT DO NOTHING: no anti-join over every live flag, whose plan
        # depends on fresh statistics.
        counts[f"raised_{kind}"] = _insert_select_in_batches(
            LateFlag,
            {
                "service": F("service_id"),
                "referral": F("pk"),
                "assessment": _open_assessment_id(),
                "kind": Value(str(kind)),
                "raised_at": _dt(now),
            },
            candidates,
        )

    late_assessments = _for_service(
        Assessment.objects.filter(status__in=OPEN_ASSESSMENT, shift_ends_at__lt=now), service_id
    )
    if since is not None:
        late_assessments = late_assessments.filter(Q(shift_ends_at__gte=since) | Q(updated_at__gte=since))
    counts[f"raised_{K.PAST_SHIFT_END}"] = _insert_select_in_batches(
        LateFlag,
        {
            "service": F("service_id"),
            "referral": F("referral_id"),
            "assessment": F("pk"),
            "kind": Value(str(K.PAST_SHIFT_END)),
            "raised_at": _dt(now),
        },
        late_assessments,
    )

    # Clear: one UPDATE per kind, for flags whose condition no longer holds. Time passing never
    # clears a flag (past due stays past due), so within a window only flags whose referral
    # changed (or, for past shift end, whose assessment changed) need checking.
    live = _for_service(LateFlag.objects.filter(cleared_at__isnull=True), service_id)
    live_by_referral, live_by_assessment = live, live
    if since is not None:
        # One semi-join each (an OR of the two would make the database test every live flag). With no
        # referral (or assessment) changed in the window, its UPDATEs could match nothing, and are not run.
        live_by_referral = live.filter(referral_id__in=_changed_since(Referral, since))
        live_by_assessment = live.filter(assessment_id__in=_changed_since(Assessment, since))
    still_holds = {
        K.PAST_DUE: Q(due_at__lt=now),
        # Stays live once the power has ended (the breach flag joins it); clears if the clock moved out.
        K.NEAR_STATUTORY_EXPIRY: Q(statutory_expires_at__lte=now + margin),
        K.STATUTORY_BREACH: Q(statutory_expires_at__lte=now),
    }
    cleared = 0
    if referrals_changed:
        for kind, condition in still_holds.items():
            holding = Referral.objects.filter(condition, pk=OuterRef("referral_id"), status__in=OPEN_REFERRAL)
            cleared += live_by_referral.filter(kind=kind).filter(~Exists(holding)).update(cleared_at=now)
    if assessments_changed:
        holding_assessment = Assessment.objects.filter(
            referral_id=OuterRef("referral_id"), status__in=OPEN_ASSESSMENT, shift_ends_at__lt=now
        )
        cleared += (
            live_by_assessment.filter(kind=K.PAST_SHIFT_END).filter(~Exists(holding_assessment)).update(cleared_at=now)
        )
    counts["cleared"] = cleared
    _mark_swept("flag_late_work", service_id, now, full=since is None)
    return counts


def _late_flag_title() -> Any:
    label = models.Case(
        *[models.When(kind=value, then=Value(str(text))) for value, text in KIND_LABELS.items()],
        default=F("kind"),
        output_field=models.CharField(),
    )
    # Statutory flags name the deadline the referral watches (its earliest unmet one) and its provision.
    deadline = models.Case(
        *[
            models.When(
                Q(kind__in=STATUTORY_KINDS, referral__deadline_rule=rule), then=Value(f" ({provision}: {what})")
            )
            for rule, (provision, what) in deadlines.RULES.items()
        ],
        default=Value(""),
        output_field=models.CharField(),
    )
    return Concat(Value("Running late: "), F("referral__reference"), Value(": "), label, deadline)


def notify_new_late_flags(*, now: datetime, service_id: int | None = None) -> int:
    """Notify in-app about late flags not yet notified: one notification per person per run; return how many.

    Recipients: the AMHP of the flag's open assessment (if any) and the service's consultants.
    Someone with one new flag gets it named ("Running late: R-1: Past due"); someone with more
    gets one digest ("Running late: 3 referrals") linking to where they are listed, so an
    outage that raises 100,000 flags sends each consultant one notification, not 100,000.
    Every flag up to the highest id seen at the start is then marked notified, in the same
    transaction, so a flag raised meanwhile waits for the next run and a retry notifies once
    (the dedupe key names the run's last flag). Six statements, whatever the number of flags;
    a second runner at the same time returns 0 at once.
    """
    with exclusive_run("notify_new_late_flags", service_id) as mine, transaction.atomic():
        return _notify_new_late_flags(now, service_id) if mine else 0


DIGEST_NAMED = 10  # flags a consultant's digest names before "and N more"


def _notify_new_late_flags(now: datetime, service_id: int | None) -> int:
    pending = _for_service(LateFlag.objects.filter(notified_at__isnull=True), service_id)
    cutoff = pending.aggregate(m=models.Max("id"))["m"]
    if cutoff is None:
        return 0
    batch = pending.filter(id__lte=cutoff, cleared_at__isnull=True).order_by()
    # (recipient user, service) -> (flags, first flag), grouped in the database: one row a person.
    groups: dict[tuple[int, int], tuple[int, int, bool]] = {}
    sources = (
        (
            batch.filter(assessment__isnull=False, assessment__status__in=OPEN_ASSESSMENT),
            "assessment__amhp__user_id",
            True,
        ),
        (batch.filter(service__staff__role=Role.CONSULTANT), "service__staff__user_id", False),
    )
    for rows, recipient, is_amhp in sources:
        for user_id, service, n, first in (
            rows.values(user=F(recipient), svc=F("service_id"))
            .annotate(n=Count("id"), first=models.Min("id"))
            .values_list("user", "svc", "n", "first")
        ):
            had = groups.get((user_id, service))
            if had is None:
                groups[(user_id, service)] = (n, first, is_amhp)
            else:  # an AMHP who is also a consultant of the service: one notification
                groups[(user_id, service)] = (had[0] + n, min(had[1], first), had[2] and is_amhp)
    singles = {key for key, (n, _, _) in groups.items() if n == 1}
    named = (
        {
            flag_id: (title, referral_id)
            for flag_id, title, referral_id in LateFlag.objects.filter(
                id__in=[groups[key][1] for key in singles]
            ).values_list("id", _late_flag_title(), "referral_id")
        }
        if singles
        else {}
    )
    # The digest names the first flags of the run (one query, at most DIGEST_NAMED rows) for the desk,
    # who see every flag of the service; an AMHP's digest points to their allocations.
    if any(n > 1 and not is_amhp for n, _, is_amhp in groups.values()):
        first_titles = list(batch.order_by("id").values_list(_late_flag_title(), flat=True)[: DIGEST_NAMED + 1])
    else:
        first_titles = []
    queue_url = reverse("referrals:queue")
    allocations_url = reverse("assessments:my_allocations")
    rows_out = []
    for (user_id, service), (n, first, is_amhp) in groups.items():
        if n == 1:
            title, referral_id = named[first]
            url, body, key = reverse("referrals:detail", args=[referral_id]), "", f"lateflag:{first}"
        else:
            title = f"Running late: {n} referrals"
            body = "Referrals have passed their due time, their AMHP's shift end or come close to a statutory limit."
            if not is_amhp and first_titles:
                named_lines = [t.removeprefix("Running late: ") for t in first_titles[:DIGEST_NAMED]]
                more = n - len(named_lines)
                body = "\n".join([body, *named_lines, *([f"and {more} more"] if more > 0 else [])])
            url, key = (allocations_url if is_amhp else queue_url), f"lateflags:{cutoff}"
        rows_out.append(
            Notification(
                recipient_id=user_id,
                service_id=service,
                kind="late_flag",
                title=title[:200],
                body=body,
                url=url,
                dedupe_key=key,
                created_at=now,
            )
        )
    created = len(Notification.objects.bulk_create(rows_out, ignore_conflicts=True))
    pending.filter(id__lte=cutoff).update(notified_at=now)
    return created


# --- TOIL -----------------------------------------------------------------------------


month_start = toil.month_start
_next_month = toil.next_month_start


def accrued_by_month(staff_ids: Collection[Any], first: datetime, last: datetime) -> dict[tuple[str, datetime], int]:
    """Minutes of TOIL accrued (not rejected) per (AMHP id as text, month start) in FIRST's..LAST's months.

    One indexed read (`toil_accrual_staff_month`) of those months' accruals only, however long the
    ledger, summed in the database per AMHP and start of work (shift ends repeat: a few hundred rows,
    not one per entry); the calendar month of each start is ``month_start``'s.
    """
    totals: dict[tuple[str, datetime], int] = defaultdict(int)
    rows = (
        ToilEntry.objects.filter(
            staff_id__in=staff_ids,
            kind=ToilEntry.Kind.ACCRUAL,
            worked_from__gte=month_start(first),
            worked_from__lt=_next_month(month_start(last)),
        )
        .exclude(status=ToilEntry.Status.REJECTED)
        .order_by()
        .values("staff_id", "worked_from")
        .annotate(staff_text=UuidText("staff_id"), total=models.Sum("minutes"))
        .values_list("staff_text", "worked_from", "total")
    )
    for staff_id, worked_from, minutes in rows:
        totals[(staff_id, month_start(cast(datetime, worked_from)))] += minutes  # the filter excludes null
    return totals


def toil_plan(
    new: Sequence[tuple[Any, Any, datetime, datetime | None, datetime]],
    booked: Iterable[tuple[Any, datetime, datetime | None, datetime]],
    month_totals: dict[tuple[Any, datetime], int],
) -> list[tuple[Any, int, int]]:
    """The booking plan of ``assessments.toil.booking_plan`` with the service's block and monthly cap settings."""
    return toil.booking_plan(
        new,
        booked,
        month_totals,
        block_minutes=settings.TOIL_BLOCK_MINUTES,
        monthly_cap_minutes=settings.TOIL_MONTHLY_CAP_HOURS * 60,
    )


def toil_note(minutes: int, over_cap: int) -> str:
    if over_cap:
        return f"Worked past shift end; {toil.format_minutes(over_cap)} over the monthly cap not booked"[:200]
    if minutes == 0:
        return "Worked past shift end; overlaps other work after the same shift end, counted once"
    return "Worked past shift end"


def book_toil(*, now: datetime, service_id: int | None = None) -> int:
    """Book a pending TOIL accrual for each completed assessment that ran past its shift end.

    Overtime of one AMHP after one shift end is the union of the late intervals of all their
    work past it, never the sum (DOMAIN.md, "TOIL overlap"): each new piece of work books what
    it adds to the union, rounded down to whole TOIL_BLOCK_MINUTES blocks, so overlapping work
    books 0 minutes (the entry says why). Each AMHP's accruals in a Europe/London calendar month
    stop at TOIL_MONTHLY_CAP_HOURS. An assessment already booked is skipped, so a second run
    books nothing. Return the entries booked.

    Each batch is five statements: the new work, a lock on its AMHPs (so two workers never both
    book the same overlap), the work of the same shifts already booked (read under the lock, so
    work another worker booked meanwhile drops out of the new), the month totals, and one bulk
    INSERT. Within a sweep window the new work is what changed since, in one batch.

    A full sweep walks the completed assessments in order of shift end, TOIL_SWEEP_BATCH at a
    time (a batch never splits one shift end), each batch in its own short transaction and
    with one more statement to find where it ends, so the first sweep of a large service never
    holds one statement for minutes. In shift-end order a batch reads only its own shifts and
    months, never what earlier batches booked for other months, so every batch costs the same
    however much is booked; and the monthly cap is reached in the order the work was done, as
    one batch of everything would reach it. The unique constraint `toil_one_accrual_each`
    backs the bulk INSERT (ON CONFLICT DO NOTHING).
    """
    with exclusive_run("book_toil", service_id) as mine:
        return _book_toil(now, service_id) if mine else 0


TOIL_SWEEP_BATCH = 20_000


def _book_toil(now: datetime, service_id: int | None) -> int:
    block = settings.TOIL_BLOCK_MINUTES
    since = _window_start("book_toil", service_id, now)
    completed = _for_service(Assessment.objects.filter(status=AssessmentStatus.COMPLETED), service_id)
    booked_count = 0
    if since is not None:  # completing an assessment changes it, so new work is what changed since
        booked_count = _book_toil_batch(completed.filter(updated_at__gte=since), block)
    else:
        # Index `assessment_completed_shift_end`: each bound is an index-only scan of one batch.
        after: datetime | None = None
        while True:
            rest = completed if after is None else completed.filter(shift_ends_at__gt=after)
            ends = rest.filter(shift_ends_at__isnull=False).order_by("shift_ends_at").values_list("shift_ends_at")
            bound = ends[TOIL_SWEEP_BATCH - 1 : TOIL_SWEEP_BATCH].first()
            upper = None if bound is None else bound[0]
            chunk = rest if upper is None else rest.filter(shift_ends_at__lte=upper)
            booked_count += _book_toil_batch(chunk, block, shifts=(after, upper))
            if upper is None:
                break
            after = upper
    _mark_swept("book_toil", service_id, now, full=since is None)
    return booked_count


def _accrual_of(pk: Any) -> Subquery:
    """The assessment's accrual, if booked: a probe of `toil_one_accrual_each` for each row.

    A scalar subquery, not EXISTS: PostgreSQL may answer an EXISTS by hashing every accrual in
    the ledger, a cost that grows with everything booked before; this one stays with the batch.
    """
    return Subquery(
        ToilEntry.objects.filter(assessment=pk, kind=ToilEntry.Kind.ACCRUAL).order_by().values("assessment_id")[:1]
    )


def _ids_as_text() -> dict[str, UuidText]:
    """The assessment's id and AMHP id as text: a UUID object for each id of each row costs more to
    build, hash and sort than the booking itself (the text sorts as str() of the UUID does)."""
    return {"pk_text": UuidText("pk"), "amhp_text": UuidText("amhp_id")}


def _book_toil_batch(
    candidates: models.QuerySet[Any],
    block: int,
    *,
    shifts: tuple[datetime | None, datetime | None] | None = None,
) -> int:
    """Book the union-of-overtime TOIL for the unbooked completed work in CANDIDATES; return how many.

    SHIFTS, (after, up to), bounds the shift ends of CANDIDATES (a batch of a full sweep): the
    booked work of the same shifts is then read by that range, else by the shift ends themselves.
    """
    new = list(
        candidates.filter(
            shift_ends_at__isnull=False,
            work_ended_at__isnull=False,
            work_ended_at__gte=F("shift_ends_at") + timedelta(minutes=block),
        )
        .alias(accrual=_accrual_of(OuterRef("pk")))
        .filter(accrual__isnull=True)
        .order_by()
        .annotate(**_ids_as_text())
        .values_list("pk_text", "amhp_text", "shift_ends_at", "work_started_at", "work_ended_at", "service_id")
    )
    if not new:
        return 0
    with transaction.atomic():
        amhp_ids = sorted({row[1] for row in new})
        list(StaffProfile.objects.select_for_update().filter(pk__in=amhp_ids).order_by("pk").values_list("pk"))
        same_shifts = Assessment.objects.filter(
            status=AssessmentStatus.COMPLETED, amhp_id__in=amhp_ids, work_ended_at__isnull=False
        )
        if shifts is not None:
            after, upper = shifts
            if after is not None:
                same_shifts = same_shifts.filter(shift_ends_at__gt=after)
            if upper is not None:
                same_shifts = same_shifts.filter(shift_ends_at__lte=upper)
        else:
            same_shifts = same_shifts.filter(shift_ends_at__in={row[2] for row in new})
        # Read under the lock: work another worker booked meanwhile is booked work now, not new.
        booked_rows = list(
            same_shifts.alias(accrual=_accrual_of(OuterRef("pk")))
            .filter(accrual__isnull=False)
            .order_by()
            .annotate(**_ids_as_text())
            .values_list("pk_text", "amhp_text", "shift_ends_at", "work_started_at", "work_ended_at")
        )
        taken = {row[0] for row in booked_rows}
        new = [row for row in new if row[0] not in taken]
        if not new:
            return 0
        shift_ends = {row[2] for row in new}
        month_totals = accrued_by_month(amhp_ids, min(shift_ends), max(shift_ends))
        by_pk = {row[0]: row for row in new}
        # The filters above exclude null shift ends and ends of work.
        plan = toil_plan(
            cast(list[tuple[Any, Any, datetime, datetime | None, datetime]], [row[:5] for row in new]),
            cast(list[tuple[Any, datetime, datetime | None, datetime]], [row[1:] for row in booked_rows]),
            defaultdict(int, month_totals),
        )
        entries = [
            (by_pk[pk][1], by_pk[pk][5], pk, minutes, by_pk[pk][2], by_pk[pk][4], toil_note(minutes, over_cap))
            for pk, minutes, over_cap in plan
        ]
        return insert_new(
            ToilEntry,
            ("staff", "service", "assessment", "minutes", "worked_from", "worked_to", "note"),
            entries,
            same={"kind": ToilEntry.Kind.ACCRUAL.value, "status": ToilEntry.Status.PENDING.value},
        )


# --- Warnings -------------------------------------------------------------------------


def _local_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def warn_expiring_warrants(*, now: datetime, service_id: int | None = None) -> int:
    """Warn each AMHP whose warrant ends within WARRANT_WARNING_DAYS, and their service's managers.

    One notification per recipient per warrant (dedupe key warrant:<staff>:<expiry date>),
    however often this runs. Return the notifications created. Two statements.
    """
    today, horizon = warrant_warning_window(_local_today(now))

    def columns(prefix: str, recipient: str) -> dict[str, Any]:
        expires = _text(F(f"{prefix}warrant_expires_on"))
        name = Concat(F(f"{prefix}user__first_name"), Value(" "), F(f"{prefix}user__last_name"))
        return {
            "recipient": F(recipient),
            "service": F(f"{prefix}service_id"),
            "kind": Value("warrant_expiring"),
            "title": Concat(Value("AMHP warrant ends on "), expires, Value(": "), name),
            "body": Value("Arrange reapproval training and the renewal panel before the warrant ends."),
            "url": Value(""),
            "dedupe_key": Concat(Value("warrant:"), _text(F(f"{prefix}id")), Value(":"), expires),
            "created_at": _dt(now),
        }

    amhps = _for_service(
        StaffProfile.objects.filter(role=Role.AMHP, warrant_expires_on__gte=today, warrant_expires_on__lte=horizon),
        service_id,
    )
    created = insert_select(Notification, columns("", "user_id"), amhps)
    # One row per (manager, AMHP) pair of the same service, through the service's staff.
    managers = _for_service(
        StaffProfile.objects.filter(
            role=Role.MANAGER,
            service__staff__role=Role.AMHP,
            service__staff__warrant_expires_on__gte=today,
            service__staff__warrant_expires_on__lte=horizon,
        ),
        service_id,
    )
    created += insert_select(Notification, columns("service__staff__", "user_id"), managers)
    return created


def warn_rota_gaps(*, now: datetime, service_id: int | None = None) -> int:
    """Warn managers of shifts in the next ROTA_GAP_DAYS with fewer available AMHPs than required.

    The gaps are rota.selectors.cover_gaps, the rule the rota page shows: an AMHP on leave
    during a shift does not cover it, and weekday-only shift types are not needed at weekends
    or on bank holidays. One notification per manager per (shift type, day). Return the
    notifications created. One query for the services, two for the gaps, one for the managers,
    one bulk INSERT and two counts.
    """
    today = _local_today(now)
    last = today + timedelta(days=settings.ROTA_GAP_DAYS - 1)
    services = sorted(
        set(
            _for_service(ShiftType.objects.filter(required_cover__gt=0), service_id).values_list(
                "service_id", flat=True
            )
        )
    )
    gaps = cover_gaps(service_ids=services, start=today, end=last)
    if not gaps:
        return 0
    managers: dict[int, list[int]] = {}
    for service, user_id in StaffProfile.objects.filter(
        role=Role.MANAGER, service_id__in={g.shift_type.service_id for g in gaps}
    ).values_list("service_id", "user_id"):
        managers.setdefault(service, []).append(user_id)
    rows = [
        Notification(
            recipient_id=user_id,
            service_id=gap.shift_type.service_id,
            kind="rota_gap",
            title=(
                f"Rota gap: {gap.shift_type.name} on {gap.day:%a} {gap.day.day} {gap.day:%b %Y}: "
                f"{gap.filled} of {gap.required} AMHPs"
            ),
            body="Place AMHPs on this shift or arrange cover.",
            url=f"/rota/?week={gap.day.isoformat()}",
            dedupe_key=f"gap:{gap.shift_type.pk}:{gap.day.isoformat()}",
        )
        for gap in gaps
        for user_id in managers.get(gap.shift_type.service_id, [])
    ]
    before = Notification.objects.filter(kind="rota_gap", dedupe_key__in={r.dedupe_key for r in rows}).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    after = Notification.objects.filter(kind="rota_gap", dedupe_key__in={r.dedupe_key for r in rows}).count()
    return after - before


# --- Swap notices -----------------------------------------------------------------------


def _name(prefix: str) -> Any:
    return Concat(F(f"{prefix}user__first_name"), Value(" "), F(f"{prefix}user__last_name"))


def notify_swaps(*, now: datetime, service_id: int | None = None) -> int:
    """Notify the right people of swap requests and decisions; return the notifications created.

    A new request goes to the service's managers (who decide it) and to the AMHP asked to take
    the shift; a decision (approved or rejected) goes to the AMHP who asked and the one asked.
    One notification per recipient per swap and event (dedupe keys swap:<id>:requested and
    swap:<id>:<status>), so a rerun creates nothing. Within a sweep window only swaps asked
    or decided since are read. Four INSERT ... SELECT statements.
    """
    since = _window_start("notify_swaps", service_id, now)
    swaps = _for_service(SwapRequest.objects.all(), service_id, "shift__service_id")
    asked = swaps if since is None else swaps.filter(created_at__gte=since)
    decided = swaps.filter(status__in=[SwapRequest.Status.APPROVED, SwapRequest.Status.REJECTED])
    if since is not None:
        decided = decided.filter(decided_at__gte=since)
    shift_text = Concat(F("shift__shift_type__name"), Value(" on "), _text(F("shift__day")))
    url = Value(reverse("rota:swaps"))

    def columns(recipient: str, kind: str, title: Any, event: Any) -> dict[str, Any]:
        return {
            "recipient": F(recipient),
            "service": F("shift__service_id"),
            "kind": Value(kind),
            "title": title,
            "body": F("reason"),
            "url": url,
            "dedupe_key": Concat(Value("swap:"), _text(F("id")), Value(":"), event),
            "created_at": _dt(now),
        }

    ask_title = Concat(
        Value("Swap requested: "),
        _name("requested_by__"),
        Value(" asks "),
        _name("proposed_staff__"),
        Value(" to take "),
        shift_text,
    )
    created = insert_select(
        Notification,
        columns("shift__service__staff__user_id", "swap_requested", ask_title, Value("requested")),
        asked.filter(shift__service__staff__role=Role.MANAGER),
    )
    created += insert_select(
        Notification, columns("proposed_staff__user_id", "swap_requested", ask_title, Value("requested")), asked
    )
    decision_title = Concat(
        Value("Swap "),
        F("status"),
        Value(": "),
        _name("proposed_staff__"),
        Value(" for "),
        _name("requested_by__"),
        Value(", "),
        shift_text,
    )
    for recipient in ("requested_by__user_id", "proposed_staff__user_id"):
        created += insert_select(Notification, columns(recipient, "swap_decided", decision_title, F("status")), decided)
    _mark_swept("notify_swaps", service_id, now, full=since is None)
    return created
