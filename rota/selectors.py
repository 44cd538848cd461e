"""Reads of the rota shared by pages, the API, allocation and the jobs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from rota import fairness, working_time
from rota.bank_holidays import english_bank_holidays
from rota.models import (
    CalendarToken,
    Leave,
    Role,
    RotaPattern,
    Shift,
    ShiftType,
    StaffProfile,
    SwapRequest,
    WorkedSpan,
)
from rota.shift_times import local_instant
from rota.timefmt import LONDON


def _on_leave_at(at: datetime) -> Exists:
    return Exists(
        Leave.objects.filter(staff_id=OuterRef("staff_id"), cancelled_at__isnull=True, starts_at__lt=at, ends_at__gt=at)
    )


def on_duty_at(*, service_id: int, at: datetime) -> QuerySet[Shift]:
    """Return the live shifts of AMHPs on duty in the service at instant AT, excluding anyone on leave.

    A shift covers [starts_at, ends_at): someone whose shift ends at 17:00 is not on duty at 17:00.
    """
    return (
        Shift.objects.filter(
            service_id=service_id,
            cancelled_at__isnull=True,
            starts_at__lte=at,
            ends_at__gt=at,
            staff__role=Role.AMHP,
        )
        .exclude(_on_leave_at(at))
        .select_related("staff__user", "shift_type")
        .order_by("ends_at", "staff__user__last_name")
    )


def current_shift_for(*, staff: StaffProfile, at: datetime) -> Shift | None:
    """Return STAFF's shift covering AT (the one ending last if they overlap), or None."""
    return (
        Shift.objects.filter(staff=staff, cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at)
        .order_by("-ends_at")
        .first()
    )


def day_start(day: date) -> datetime:
    """Return the UTC instant of local midnight at the start of DAY (Europe/London)."""
    return local_instant(day, time(0))


def shifts_between(*, service_id: int, start: datetime, end: datetime) -> QuerySet[Shift]:
    """Return the service's live shifts overlapping [START, END), in start order, with staff and type loaded."""
    return (
        Shift.objects.filter(service_id=service_id, cancelled_at__isnull=True, starts_at__lt=end, ends_at__gt=start)
        .select_related("staff__user", "shift_type")
        .order_by("starts_at", "shift_type__start_time", "staff__user__last_name")
    )


def _leave_during_shift() -> Exists:
    return Exists(
        Leave.objects.filter(
            staff_id=OuterRef("staff_id"),
            cancelled_at__isnull=True,
            starts_at__lt=OuterRef("ends_at"),
            ends_at__gt=OuterRef("starts_at"),
        )
    )


def shifts_on_days(*, service_id: int, first: date, last: date) -> QuerySet[Shift]:
    """Return live shifts starting on local days FIRST..LAST, each annotated `on_leave` (leave overlaps it)."""
    return (
        Shift.objects.filter(service_id=service_id, cancelled_at__isnull=True, day__gte=first, day__lte=last)
        .annotate(on_leave=_leave_during_shift())
        .select_related("staff__user", "shift_type")
        .order_by("day", "shift_type__start_time", "staff__user__last_name", "staff__user__first_name")
    )


def shift_types_for(*, service_id: int) -> QuerySet[ShiftType]:
    return ShiftType.objects.filter(service_id=service_id).order_by("start_time", "code")


def amhps_of(*, service_id: int) -> QuerySet[StaffProfile]:
    return (
        StaffProfile.objects.filter(service_id=service_id, role=Role.AMHP)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def staff_of(*, service_id: int, role: str | None = None) -> QuerySet[StaffProfile]:
    """The service's staff (in ROLE if given), by name."""
    people = StaffProfile.objects.filter(service_id=service_id).select_related("user")
    if role:
        people = people.filter(role=role)
    return people.order_by("user__last_name", "user__first_name", "user__username")


def warrant_warning_window(today: date) -> tuple[date, date]:
    """Return the first and last days of the window in which a warrant's end is warned of.

    A warrant (AMHP approval, at most 5 years: SI 2008/1206) ending on any day from TODAY to
    TODAY + WARRANT_WARNING_DAYS inclusive is "ending soon": the job warns of it and the
    dashboards list it. One rule, read by both.
    """
    return today, today + timedelta(days=settings.WARRANT_WARNING_DAYS)


def warrant_ending_soon(expires_on: date | None, today: date) -> bool:
    """Return True when a warrant ending on EXPIRES_ON falls in the warning window on TODAY."""
    first, last = warrant_warning_window(today)
    return expires_on is not None and first <= expires_on <= last


def cover_required(shift_type: ShiftType, day: date, bank_holidays: dict[date, str]) -> int:
    """Return how many AMHPs SHIFT_TYPE needs on DAY: none at weekends or on bank holidays if weekdays only."""
    if shift_type.weekdays_only and (day.weekday() >= 5 or day in bank_holidays):
        return 0
    return shift_type.required_cover


@dataclass(frozen=True)
class Gap:
    day: date
    shift_type: ShiftType
    required: int
    filled: int

    @property
    def missing(self) -> int:
        return self.required - self.filled


@dataclass(frozen=True)
class LeaveSpan:
    """Leave not yet recorded: STAFF_ID away from STARTS_AT to ENDS_AT, to see what it would do to cover."""

    staff_id: UUID
    starts_at: datetime
    ends_at: datetime

    def covers(self, shift: Shift) -> bool:
        return shift.staff_id == self.staff_id and shift.starts_at < self.ends_at and shift.ends_at > self.starts_at


def cover_gaps(
    *,
    service_id: int | None = None,
    service_ids: Collection[int] = (),
    start: date,
    end: date,
    extra_leave: LeaveSpan | None = None,
) -> list[Gap]:
    """Return (day, shift type, required, filled) for each shift under cover on local days START..END.

    For SERVICE_ID, or for every service in SERVICE_IDS. The gaps are the rota grid's gap cells
    (rota_weeks), so the rota page, the rota-gap job and anything else that counts cover agree:
    filled counts live shifts whose AMHP is not on leave during them; weekday-only types need no
    cover at weekends or on English bank holidays. With EXTRA_LEAVE, as if that leave were
    recorded too. Two queries whatever the range.
    """
    ids = [service_id] if service_id is not None else list(service_ids)
    if not ids:
        return []
    grids = rota_weeks(service_ids=ids, week_start=start, days=(end - start).days + 1, extra_leave=extra_leave)
    return sorted(
        (
            Gap(day=day, shift_type=row.shift_type, required=cell.required, filled=cell.filled)
            for grid in grids.values()
            for row in grid.rows
            for day, cell in zip(grid.days, row.cells, strict=True)
            if cell.gap
        ),
        key=lambda g: (g.day, g.shift_type.service_id, g.shift_type.start_time, g.shift_type.code),
    )


def gaps_opened_by_leave(*, staff: StaffProfile, starts_at: datetime, ends_at: datetime, today: date) -> list[Gap]:
    """Return the cover gaps that recording leave for STAFF from STARTS_AT to ENDS_AT would open or widen.

    The cover rule is cover_gaps's (the rota grid's), read without and with the leave, over the days
    from TODAY on whose shifts the leave could overlap (a night starting the day before included).
    A gap counts when the leave leaves the shift more AMHPs short than it already was. Four queries.
    """
    first = max(today, starts_at.astimezone(LONDON).date() - timedelta(days=1))
    last = (ends_at - timedelta(microseconds=1)).astimezone(LONDON).date()
    if last < first:
        return []
    before = {
        (g.day, g.shift_type.pk): g.missing for g in cover_gaps(service_id=staff.service_id, start=first, end=last)
    }
    leave = LeaveSpan(staff.pk, starts_at, ends_at)
    after = cover_gaps(service_id=staff.service_id, start=first, end=last, extra_leave=leave)
    return [g for g in after if g.missing > before.get((g.day, g.shift_type.pk), 0)]


@dataclass
class RotaCell:
    shifts: list[Shift] = field(default_factory=list)
    required: int = 0

    @property
    def filled(self) -> int:
        return sum(1 for s in self.shifts if not getattr(s, "on_leave", False))

    @property
    def gap(self) -> bool:
        return self.filled < self.required


@dataclass
class RotaRow:
    shift_type: ShiftType
    cells: list[RotaCell]


@dataclass
class RotaWeek:
    days: list[date]
    bank_holidays: dict[date, str]
    rows: list[RotaRow]

    @property
    def gap_count(self) -> int:
        return sum(1 for row in self.rows for cell in row.cells if cell.gap)


def rota_weeks(
    *, service_ids: Collection[int], week_start: date, days: int = 7, extra_leave: LeaveSpan | None = None
) -> dict[int, RotaWeek]:
    """Return each service's rota grid for DAYS days from WEEK_START (see rota_week). Two queries in all.

    EXTRA_LEAVE (leave not yet recorded) marks the shifts it overlaps as on leave, as recorded leave does.
    """
    dates = [week_start + timedelta(days=i) for i in range(days)]
    holidays = english_bank_holidays({d.year for d in dates})
    holidays = {d: name for d, name in holidays.items() if d in set(dates)}
    index = {d: i for i, d in enumerate(dates)}
    rows: dict[int, dict[int, RotaRow]] = {sid: {} for sid in service_ids}
    for t in ShiftType.objects.filter(service_id__in=service_ids).order_by("start_time", "code"):
        rows[t.service_id][t.pk] = RotaRow(t, [RotaCell(required=cover_required(t, d, holidays)) for d in dates])
    shifts = (
        Shift.objects.filter(
            service_id__in=service_ids, cancelled_at__isnull=True, day__gte=dates[0], day__lte=dates[-1]
        )
        .annotate(on_leave=_leave_during_shift())
        .select_related("staff__user", "shift_type")
        .order_by("day", "shift_type__start_time", "staff__user__last_name", "staff__user__first_name")
    )
    for shift in shifts:
        if extra_leave is not None and extra_leave.covers(shift):
            shift.on_leave = True
        row = rows[shift.service_id].get(shift.shift_type_id)
        if row is not None:
            row.cells[index[shift.day]].shifts.append(shift)
    return {
        sid: RotaWeek(days=dates, bank_holidays=holidays, rows=list(by_type.values())) for sid, by_type in rows.items()
    }


def rota_week(*, service_id: int, week_start: date, days: int = 7) -> RotaWeek:
    """Return the grid for a week: a row per shift type, a cell per day with its AMHPs and required cover.

    A cell's filled count leaves out AMHPs on leave during the shift: the one cover rule, which
    cover_gaps (and so the rota-gap job) reads too.
    """
    return rota_weeks(service_ids=[service_id], week_start=week_start, days=days)[service_id]


@dataclass(frozen=True)
class FrequencyRow:
    staff: StaffProfile
    shifts: int
    hours: float
    contracted_hours: float


@dataclass(frozen=True)
class FrequencyReport:
    start: date
    end: date
    rows: list[FrequencyRow]
    balance: float


def duty_frequency(*, service_id: int, start: date, end: date) -> FrequencyReport:
    """Return each AMHP's live shifts and elapsed hours on duty over local days START..END, and a balance score.

    A shift its AMHP was on leave for (any overlap) is not duty, so it is left out. Every AMHP of the service
    appears, with zero if they had no duty. The balance score (0 to 1) is the mean over pairs of AMHPs of the
    lighter one's hours divided by the heavier one's (rota/fairness.py).
    """
    period_start, period_end = day_start(start), day_start(end + timedelta(days=1))
    staff = list(amhps_of(service_id=service_id))
    assignments = (
        Shift.objects.filter(
            service_id=service_id,
            cancelled_at__isnull=True,
            staff__role=Role.AMHP,
            starts_at__lt=period_end,
            ends_at__gt=period_start,
        )
        .exclude(_leave_during_shift())
        .values_list("staff_id", "starts_at", "ends_at")
    )
    stats = fairness.duty_frequency(
        ((str(person), s, e) for person, s, e in assignments),
        period_start=period_start,
        period_end=period_end,
        people=[str(p.pk) for p in staff],
    )
    rows = [
        FrequencyRow(
            staff=p,
            shifts=stats[str(p.pk)].shifts,
            hours=stats[str(p.pk)].hours,
            contracted_hours=float(p.contracted_hours),
        )
        for p in staff
    ]
    balance = fairness.balance_score({str(p.pk): stats[str(p.pk)].hours for p in staff})
    return FrequencyReport(start=start, end=end, rows=rows, balance=balance)


@dataclass(frozen=True)
class WorkingTimeWarning:
    staff: StaffProfile
    rule: str
    message: str
    start: datetime
    end: datetime


def worked_intervals(
    *, start: datetime, end: datetime, service_id: int | None = None, staff_ids: list[UUID] | None = None
) -> dict[UUID, list[working_time.Interval]]:
    """Return each AMHP's worked time overlapping [START, END): their shifts (not those lost to leave)
    together with the work recorded beyond them (WorkedSpan: late finishes, call-ins, merged).

    Filter by SERVICE_ID or STAFF_IDS. One query (the two read together, UNION ALL) whatever the number of people.
    """
    return intervals_by_staff(worked_rows(start=start, end=end, service_id=service_id, staff_ids=staff_ids))


def intervals_by_staff(rows: Iterable[tuple[UUID, datetime, datetime]]) -> dict[UUID, list[working_time.Interval]]:
    """worked_rows' (staff id, start, end) rows as each person's intervals."""
    intervals: dict[UUID, list[working_time.Interval]] = defaultdict(list)
    for staff_id, s, e in rows:
        intervals[staff_id].append(working_time.Interval(s, e))
    return intervals


def worked_rows(
    *, start: datetime, end: datetime, service_id: int | None = None, staff_ids: list[UUID] | None = None
) -> QuerySet[Any]:
    """(staff id, start, end) of the worked time worked_intervals reads, as one query set (UNION ALL)."""
    shifts = Shift.objects.filter(
        cancelled_at__isnull=True, staff__role=Role.AMHP, starts_at__lt=end, ends_at__gt=start
    )
    # The recorded work comes already merged (WorkedSpan, kept by rota.services), so a busy AMHP's
    # thousands of overlapping late finishes over the 17 weeks are read as a few hundred rows.
    spans = WorkedSpan.objects.filter(ended_at__gt=start, started_at__lt=end)
    if service_id is not None:
        shifts = shifts.filter(service_id=service_id)
        spans = spans.filter(staff__service_id=service_id, staff__role=Role.AMHP)
    if staff_ids is not None:
        shifts = shifts.filter(staff_id__in=staff_ids)
        spans = spans.filter(staff_id__in=staff_ids)
    return (
        shifts.exclude(_leave_during_shift())
        .values_list("staff_id", "starts_at", "ends_at")
        .order_by()
        .union(spans.values_list("staff_id", "started_at", "ended_at").order_by(), all=True)
    )


def placement_warnings(*, staff_id: UUID, starts_at: datetime, ends_at: datetime) -> list[working_time.Breach]:
    """Return the rests (11 h daily, reg. 10; 24 h weekly, reg. 11) that a shift from STARTS_AT to ENDS_AT breaks.

    Judged against the AMHP's rota and recorded work together (worked_intervals), as the week's
    warnings are, so a recorded late finish counts; only rests the new shift breaks are returned
    (working_time.added_breaches). One query.
    """
    worked = worked_intervals(
        staff_ids=[staff_id], start=starts_at - timedelta(days=8), end=ends_at + timedelta(days=8)
    )
    return working_time.added_breaches(worked.get(staff_id, []), working_time.Interval(starts_at, ends_at))


def working_time_warnings(
    *, service_id: int, start: datetime, end: datetime, weeks: int = 17
) -> list[WorkingTimeWarning]:
    """Return Working Time Regulations warnings for the service's AMHPs over [START, END).

    Worked time is the rota together with the work recorded on assessments (late finishes), so a
    late finish that cuts into the 11 h rest shows even though the rota looked fine. Daily rest
    (11 h, reg. 10) is checked for rests that end inside the range; weekly rest (24 h in each
    Monday-to-Sunday week, reg. 11) for the whole weeks inside it; the 48-hour weekly average
    (reg. 4) over the WEEKS weeks ending at END. Two queries: the worked time (shifts and recorded work), people.
    """
    reference_start = min(start, end - timedelta(weeks=weeks)) - timedelta(days=1)
    intervals = worked_intervals(service_id=service_id, start=reference_start, end=end)
    if not intervals:
        return []
    staff = {p.pk: p for p in StaffProfile.objects.filter(pk__in=intervals).select_related("user")}
    first_day = start.astimezone(LONDON).date()
    monday = first_day + timedelta(days=(7 - first_day.weekday()) % 7)
    last_day = (end - timedelta(microseconds=1)).astimezone(LONDON).date()
    warnings: list[WorkingTimeWarning] = []
    for staff_id, worked in intervals.items():
        person = staff[staff_id]
        breaches = [b for b in working_time.daily_rest_breaches(worked) if start <= b.end < end]
        breaches += working_time.weekly_rest_breaches(worked, start=monday, end=last_day)
        breaches += working_time.weekly_average_breaches(worked, reference_end=end, weeks=weeks)
        warnings += [WorkingTimeWarning(person, b.rule, b.message, b.start, b.end) for b in breaches]
    warnings.sort(key=lambda w: (w.start, w.staff.display_name))
    return warnings


def leave_visible_to(profile: StaffProfile) -> QuerySet[Leave]:
    """Return live leave the PROFILE may see: all of the service's for managers and consultants, else their own."""
    qs = Leave.objects.filter(staff__service_id=profile.service_id, cancelled_at__isnull=True)
    if profile.role == Role.AMHP:
        qs = qs.filter(staff=profile)
    return qs.select_related("staff__user").order_by("-starts_at")


def swaps_visible_to(profile: StaffProfile) -> QuerySet[SwapRequest]:
    """Return swap requests PROFILE may see: the service's for managers, else those they asked for or were offered."""
    qs = SwapRequest.objects.filter(shift__service_id=profile.service_id)
    if profile.role != Role.MANAGER:
        qs = qs.filter(Q(requested_by=profile) | Q(proposed_staff=profile))
    return qs.select_related(
        "shift__shift_type", "shift__staff__user", "requested_by__user", "proposed_staff__user", "decided_by"
    ).order_by("-created_at")


def patterns_of(*, service_id: int) -> QuerySet[RotaPattern]:
    return RotaPattern.objects.filter(service_id=service_id).select_related("staff__user").order_by("-created_at")


def upcoming_shifts_for(*, staff: StaffProfile, now: datetime, days: int = 42) -> QuerySet[Shift]:
    """Return STAFF's live shifts that have not ended, for the next DAYS days."""
    return (
        Shift.objects.filter(
            staff=staff, cancelled_at__isnull=True, ends_at__gt=now, starts_at__lt=now + timedelta(days=days)
        )
        .select_related("shift_type")
        .order_by("starts_at")
    )


def live_calendar_token(*, staff: StaffProfile) -> CalendarToken | None:
    return CalendarToken.objects.filter(staff=staff, revoked_at__isnull=True).order_by("-created_at").first()


def calendar_feed(*, token: str, since: datetime) -> tuple[StaffProfile, list[Shift]] | None:
    """Return the AMHP behind a live calendar TOKEN and their live shifts ending after SINCE, or None."""
    found = (
        CalendarToken.objects.filter(token=token, revoked_at__isnull=True)
        .select_related("staff__user", "staff__service")
        .first()
    )
    if found is None:
        return None
    shifts = list(
        Shift.objects.filter(staff=found.staff, cancelled_at__isnull=True, ends_at__gt=since)
        .select_related("shift_type")
        .order_by("starts_at")
    )
    return found.staff, shifts
