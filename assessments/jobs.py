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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse

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
from rota.bank_holidays import is_bank_holiday
from rota.models import Role, Shift, ShiftType, StaffProfile

logger = logging.getLogger(__name__)

__all__ = [
    "book_toil",
    "flag_late_work",
    "notify_new_late_flags",
    "send_pending_emails",
    "warn_expiring_warrants",
    "warn_rota_gaps",
]

LONDON = ZoneInfo("Europe/London")
OPEN_REFERRAL = [str(s) for s in OPEN_STATUSES]
OPEN_ASSESSMENT = [str(s) for s in OPEN_ASSESSMENT_STATUSES]
KIND_LABELS = dict(LateFlag.Kind.choices)
STATUTORY_KINDS = [str(LateFlag.Kind.NEAR_STATUTORY_EXPIRY), str(LateFlag.Kind.STATUTORY_BREACH)]


# --- SQL helpers ----------------------------------------------------------------------


class WholeBlockMinutes(models.Expression):
    """Minutes from START to END rounded down to whole blocks (SQL twin of toil.overrun_minutes).

    Both columns hold UTC instants, so the difference is elapsed time across clock changes.
    """

    output_field = models.IntegerField()

    def __init__(self, start: str, end: str, block_minutes: int) -> None:
        super().__init__()
        self.start, self.end = F(start), F(end)
        self.block_minutes = int(block_minutes)

    def get_source_expressions(self) -> list[Any]:
        return [self.start, self.end]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.start, self.end = exprs

    def resolve_expression(self, *args: Any, **kwargs: Any) -> WholeBlockMinutes:
        clone = self.copy()
        clone.start = self.start.resolve_expression(*args, **kwargs)
        clone.end = self.end.resolve_expression(*args, **kwargs)
        return clone

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        start_sql, start_params = compiler.compile(self.start)
        end_sql, end_params = compiler.compile(self.end)
        block = self.block_minutes
        if connection.vendor == "postgresql":
            sql = f"(FLOOR(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / {block * 60}) * {block})::integer"
        elif connection.vendor == "sqlite":
            # Exact whole microseconds from the stored text "YYYY-MM-DD HH:MM:SS[.ffffff]": whole
            # seconds of the first 19 characters (SQLite's own parsing rounds fractions to the
            # millisecond; the percent is doubled for the driver) plus the fraction as an integer.
            # Integer division then rounds down, exactly as toil.overrun_minutes does.
            def micros(col: str) -> str:
                return (
                    f"(CAST(strftime('%%s', substr({col}, 1, 19)) AS INTEGER) * 1000000"
                    f" + CAST(substr({col} || '.000000', 21, 6) AS INTEGER))"
                )

            sql = f"((({micros(end_sql)} - {micros(start_sql)}) / {block * 60_000_000}) * {block})"
            return sql, [*end_params, *end_params, *start_params, *start_params]
        else:  # pragma: no cover - the hub runs on PostgreSQL or SQLite only
            raise NotImplementedError(f"no TOIL arithmetic for {connection.vendor}")
        return sql, [*end_params, *start_params]


class UuidText(models.Func):
    """A UUID column as its canonical dashed text (SQLite stores 32 hex digits)."""

    output_field = models.CharField()

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            parts = [f"substr({sql}, {a}, {n})" for a, n in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))]
            return " || '-' || ".join(parts), params * 5
        return f"CAST({sql} AS text)", params


def _text(expr: Any) -> Any:
    return Cast(expr, output_field=models.CharField())


def _insert_select(model: type[models.Model], columns: dict[str, Any], queryset: models.QuerySet[Any]) -> int:
    """INSERT INTO MODEL (COLUMNS) SELECT ... FROM QUERYSET ON CONFLICT DO NOTHING; return rows inserted.

    COLUMNS maps field names of MODEL to expressions over QUERYSET's model.
    """
    aliases = {f"ins_{name}": expr for name, expr in columns.items()}
    select = queryset.order_by().annotate(**aliases).values_list(*aliases)
    sql, params = select.query.sql_with_params()
    qn = connection.ops.quote_name
    target = ", ".join(qn(model._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({target}) {sql} ON CONFLICT DO NOTHING", params)
        return max(cursor.rowcount, 0)


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
    mark = SweepMark.objects.filter(job=job, scope=service_id or 0).values_list("swept_until", "full_swept_at").first()
    if mark is None:
        return None
    swept_until, full_swept_at = mark
    full_every = timedelta(minutes=settings.SWEEP_FULL_EVERY_MINUTES)
    if swept_until > now or now - full_swept_at >= full_every:
        return None
    return swept_until - SWEEP_OVERLAP


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
    return model.objects.filter(updated_at__gte=since).values("pk")


# --- Late flags -----------------------------------------------------------------------


def _open_assessment_id() -> Subquery:
    return Subquery(
        Assessment.objects.filter(referral=OuterRef("pk"), status__in=OPEN_ASSESSMENT).order_by().values("pk")[:1]
    )


def _live_flag(kind: str) -> Exists:
    return Exists(LateFlag.objects.filter(referral=OuterRef("pk"), kind=kind, cleared_at__isnull=True))


@transaction.atomic  # one commit for the run's statements, and its mark moves only if they all land
def flag_late_work(*, now: datetime, service_id: int | None = None) -> dict[str, int]:
    """Raise the late flags that hold at NOW and clear those that no longer do.

    Kinds: past_due (open referral past its due time), past_shift_end (open assessment past
    the AMHP's shift end), near_statutory_expiry (open referral whose statutory power ends
    within LATE_STATUTORY_MARGIN_HOURS, not yet ended), statutory_breach (ended). A flag
    clears when its referral closes, its assessment completes, or its time moves. Return
    {"raised_<kind>": n, ..., "cleared": n}. Eight statements, whatever the table sizes.
    """
    margin = timedelta(hours=settings.LATE_STATUTORY_MARGIN_HOURS)
    K = LateFlag.Kind
    since = _window_start("flag_late_work", service_id, now)
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
        candidates = candidates.filter(~_live_flag(kind))
        counts[f"raised_{kind}"] = _insert_select(
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
    late_assessments = late_assessments.filter(
        ~Exists(
            LateFlag.objects.filter(referral=OuterRef("referral_id"), kind=K.PAST_SHIFT_END, cleared_at__isnull=True)
        )
    )
    counts[f"raised_{K.PAST_SHIFT_END}"] = _insert_select(
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
        # One semi-join each (an OR of the two would make the database test every live flag).
        live_by_referral = live.filter(referral_id__in=_changed_since(Referral, since))
        live_by_assessment = live.filter(assessment_id__in=_changed_since(Assessment, since))
    still_holds = {
        K.PAST_DUE: Q(due_at__lt=now),
        # Stays live once the power has ended (the breach flag joins it); clears if the clock moved out.
        K.NEAR_STATUTORY_EXPIRY: Q(statutory_expires_at__lte=now + margin),
        K.STATUTORY_BREACH: Q(statutory_expires_at__lte=now),
    }
    cleared = 0
    for kind, condition in still_holds.items():
        holding = Referral.objects.filter(condition, pk=OuterRef("referral_id"), status__in=OPEN_REFERRAL)
        cleared += live_by_referral.filter(kind=kind).filter(~Exists(holding)).update(cleared_at=now)
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


def book_toil(*, now: datetime, service_id: int | None = None) -> int:
    """Book a pending TOIL accrual for each completed assessment that ran past its shift end.

    Minutes are the overrun rounded down to whole TOIL_BLOCK_MINUTES blocks (overruns under
    one block earn nothing). The unique constraint `toil_one_accrual_each` does the
    de-duplication (ON CONFLICT DO NOTHING), so a second run books nothing and no anti-join
    is planned over the whole ledger. A windowed run is one INSERT ... SELECT; a full sweep
    walks the completed assessments in batches of TOIL_SWEEP_BATCH by id, each batch its own
    short statement, so the first sweep of a large service never holds one statement for
    minutes. Return the entries booked.
    """
    with exclusive_run("book_toil", service_id) as mine:
        return _book_toil(now, service_id) if mine else 0


TOIL_SWEEP_BATCH = 20_000


def _book_toil(now: datetime, service_id: int | None) -> int:
    block = settings.TOIL_BLOCK_MINUTES
    since = _window_start("book_toil", service_id, now)
    completed = _for_service(Assessment.objects.filter(status=AssessmentStatus.COMPLETED), service_id)
    if since is not None:  # completing an assessment changes it, so new work is what changed since
        completed = completed.filter(updated_at__gte=since)
    candidates = (
        completed.filter(shift_ends_at__isnull=False, work_ended_at__isnull=False, work_ended_at__gt=F("shift_ends_at"))
        .annotate(toil_minutes=WholeBlockMinutes("shift_ends_at", "work_ended_at", block))
        .filter(toil_minutes__gte=block)
    )
    columns = {
        "staff": F("amhp_id"),
        "service": F("service_id"),
        "assessment": F("pk"),
        "kind": Value(str(ToilEntry.Kind.ACCRUAL)),
        "minutes": F("toil_minutes"),
        "worked_from": F("shift_ends_at"),
        "worked_to": F("work_ended_at"),
        "status": Value(str(ToilEntry.Status.PENDING)),
        "note": Value("Worked past shift end"),
        "created_at": _dt(now),
    }
    if since is not None:
        booked = _insert_select(ToilEntry, columns, candidates)
    else:
        booked, after = 0, None
        while True:
            ids = completed.order_by("pk").values_list("pk", flat=True)
            if after is not None:
                ids = ids.filter(pk__gt=after)
            upper = ids[TOIL_SWEEP_BATCH - 1 : TOIL_SWEEP_BATCH].first()
            chunk = candidates if after is None else candidates.filter(pk__gt=after)
            if upper is not None:
                chunk = chunk.filter(pk__lte=upper)
            booked += _insert_select(ToilEntry, columns, chunk)
            if upper is None:
                break
            after = upper
    _mark_swept("book_toil", service_id, now, full=since is None)
    return booked


# --- Warnings -------------------------------------------------------------------------


def _local_today(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def warn_expiring_warrants(*, now: datetime, service_id: int | None = None) -> int:
    """Warn each AMHP whose warrant ends within WARRANT_WARNING_DAYS, and their service's managers.

    One notification per recipient per warrant (dedupe key warrant:<staff>:<expiry date>),
    however often this runs. Return the notifications created. Two statements.
    """
    today = _local_today(now)
    horizon = today + timedelta(days=settings.WARRANT_WARNING_DAYS)

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
    created = _insert_select(Notification, columns("", "user_id"), amhps)
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
    created += _insert_select(Notification, columns("service__staff__", "user_id"), managers)
    return created


def warn_rota_gaps(*, now: datetime, service_id: int | None = None) -> int:
    """Warn managers of shifts in the next ROTA_GAP_DAYS with fewer live AMHPs than required.

    Weekday-only shift types are not needed at weekends or on bank holidays. One
    notification per manager per (shift type, day). Return the notifications created.
    Three queries (shift types, one grouped count of shifts, managers) and one bulk INSERT.
    """
    today = _local_today(now)
    days = [today + timedelta(days=n) for n in range(settings.ROTA_GAP_DAYS)]
    types = list(_for_service(ShiftType.objects.filter(required_cover__gt=0), service_id).order_by("pk"))
    if not types:
        return 0
    cover = {
        (row["shift_type_id"], row["day"]): row["n"]
        for row in _for_service(
            Shift.objects.filter(cancelled_at__isnull=True, day__gte=days[0], day__lte=days[-1]), service_id
        )
        .order_by()
        .values("shift_type_id", "day")
        .annotate(n=Count("id"))
    }
    # Bounded by shift types x days (a handful x 14), not by the size of any table.
    gaps = [
        (shift_type, day, cover.get((shift_type.pk, day), 0))
        for shift_type in types
        for day in days
        if not (shift_type.weekdays_only and (day.weekday() >= 5 or is_bank_holiday(day)))
        and cover.get((shift_type.pk, day), 0) < shift_type.required_cover
    ]
    if not gaps:
        return 0
    managers: dict[int, list[int]] = {}
    for service, user_id in StaffProfile.objects.filter(
        role=Role.MANAGER, service_id__in={t.service_id for t, _, _ in gaps}
    ).values_list("service_id", "user_id"):
        managers.setdefault(service, []).append(user_id)
    rows = [
        Notification(
            recipient_id=user_id,
            service_id=shift_type.service_id,
            kind="rota_gap",
            title=(
                f"Rota gap: {shift_type.name} on {day:%a} {day.day} {day:%b %Y}: "
                f"{have} of {shift_type.required_cover} AMHPs"
            ),
            body="Place AMHPs on this shift or arrange cover.",
            url=f"/rota/?week={day.isoformat()}",
            dedupe_key=f"gap:{shift_type.pk}:{day.isoformat()}",
        )
        for shift_type, day, have in gaps
        for user_id in managers.get(shift_type.service_id, [])
    ]
    before = Notification.objects.filter(kind="rota_gap", dedupe_key__in={r.dedupe_key for r in rows}).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    after = Notification.objects.filter(kind="rota_gap", dedupe_key__in={r.dedupe_key for r in rows}).count()
    return after - before
