"""Writes to services, staff and the rota. Every rota change writes an audit row in the same transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.text import slugify

from amhp_hub.common.audit import audit, diff, snapshot
from amhp_hub.common.errors import ConflictError, RuleError, WarningsToConfirm
from rota import approval, selectors, working_time
from rota.models import (
    ApprovalRecord,
    CalendarToken,
    Leave,
    LeaveKind,
    Role,
    RotaPattern,
    Service,
    Shift,
    ShiftKind,
    ShiftType,
    StaffProfile,
    SwapRequest,
    TrainingRecord,
    WorkedPeriod,
    WorkedSpan,
)
from rota.shift_times import expand_pattern, shift_bounds
from rota.timefmt import format_day, format_local


def service_get_or_create(*, name: str) -> Service:
    name = name.strip()
    if not name:
        raise ValidationError({"service": ["Enter the service's name"]})
    service, _ = Service.objects.get_or_create(name=name, defaults={"slug": slugify(name)[:120] or "service"})
    return service


@transaction.atomic
def staff_create(
    *,
    username: str,
    service: Service,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    check_password: bool = True,
    password_hash: str | None = None,
    **profile: Any,
) -> StaffProfile:
    """Create a user with ROLE in SERVICE. Raise ValidationError on a taken username, bad role or weak password.

    PASSWORD_HASH, if given, is PASSWORD already hashed (demo data hashes its one password once).
    """
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}"]
    if User.objects.filter(username=username).exists():
        errors["username"] = [f"A user called {username!r} already exists"]
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    created = StaffProfile.objects.create(user=user, service=service, role=role, **profile)
    if role == Role.AMHP and created.warrant_expires_on is not None:
        ApprovalRecord.objects.create(
            staff=created, expires_on=created.warrant_expires_on, note="Approval on joining", recorded_at=timezone.now()
        )
    return created


@transaction.atomic
def staff_set_approval(
    *, staff: StaffProfile, actor: Any, expires_on: date | None, note: str = "", now: datetime | None = None
) -> ApprovalRecord:
    """Set an AMHP's approval end date (None: not approved) and add it to their approval history.

    Raise RuleError when the end is more than 5 years ahead (SI 2008/1206 reg. 5), ValidationError
    for a member of staff who is not an AMHP.
    """
    now = _now(now)
    if staff.role != Role.AMHP:
        raise ValidationError({"staff": ["Only AMHPs have an approval"]})
    if expires_on is not None:
        problem = approval.approval_expiry_error(expires_on, timezone.localdate(now))
        if problem:
            raise RuleError([(approval.PROVISION, "expires_on", problem)])
    locked = StaffProfile.objects.select_for_update().get(pk=staff.pk)
    before = locked.warrant_expires_on
    locked.warrant_expires_on = expires_on
    locked.save(update_fields=["warrant_expires_on"])
    record = ApprovalRecord.objects.create(
        staff=locked, expires_on=expires_on, note=note.strip(), recorded_by=actor, recorded_at=now
    )
    audit(
        actor=actor,
        service_id=locked.service_id,
        action="update",
        obj=locked,
        changes={"approval_expires_on": [str(before or ""), str(expires_on or "")], "note": note.strip()},
    )
    staff.warrant_expires_on = expires_on
    return record


@transaction.atomic
def training_record(
    *, staff: StaffProfile, actor: Any, completed_on: date, hours: Any, title: str, now: datetime | None = None
) -> TrainingRecord:
    """Add relevant training to an AMHP's log. Raise ValidationError for no title, hours not above 0, a future date."""
    now = _now(now)
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = ["Enter what the training was"]
    if hours is None or hours <= 0:
        errors["hours"] = ["Enter the hours, more than 0"]
    if completed_on > timezone.localdate(now):
        errors["completed_on"] = ["The training date must be today or in the past"]
    if errors:
        raise ValidationError(errors)
    record = TrainingRecord.objects.create(
        staff=staff, completed_on=completed_on, hours=hours, title=title.strip(), recorded_at=now
    )
    audit(actor=actor, service_id=staff.service_id, action="create", obj=record, changes={"hours": str(hours)})
    return record


# --- Rota: shift types, shifts, patterns, leave, swaps and calendar tokens -------------------------------------

SHIFT_FIELDS = ["staff_id", "shift_type_id", "day", "starts_at", "ends_at", "source"]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@transaction.atomic
def shift_type_create(
    *,
    actor: Any,
    service: Service,
    code: str,
    name: str,
    start_time: time,
    end_time: time,
    kind: str = ShiftKind.DAY,
    required_cover: int = 1,
    weekdays_only: bool = False,
) -> ShiftType:
    """Create a shift type with Europe/London wall-clock bounds.

    Raise ValidationError on a blank or taken code, a blank name, cover outside 0 to 20 or equal start and end.
    """
    name = name.strip()
    errors = _shift_type_field_errors(name=name, required_cover=required_cover)
    if not code:
        errors["code"] = ["Enter a short code, like day or night"]
    elif ShiftType.objects.filter(service=service, code=code).exists():
        errors["code"] = [f"The service already has a shift type called {code!r}"]
    if start_time == end_time:
        errors["end_time"] = ["A shift must end at a different time from its start"]
    if kind not in ShiftKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(ShiftKind.values)}"]
    if errors:
        raise ValidationError(errors)
    shift_type = ShiftType.objects.create(
        service=service,
        code=code,
        name=name,
        kind=kind,
        start_time=start_time,
        end_time=end_time,
        required_cover=required_cover,
        weekdays_only=weekdays_only,
    )
    audit(
        actor=actor,
        service_id=service.pk,
        action="create",
        obj=shift_type,
        changes={"code": code, "start_time": str(start_time), "end_time": str(end_time)},
    )
    return shift_type


MAX_REQUIRED_COVER = 20
SHIFT_TYPE_EDITABLE = ["name", "required_cover", "weekdays_only"]


def _shift_type_field_errors(*, name: str, required_cover: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter the shift type's name"]
    elif len(name) > (ShiftType._meta.get_field("name").max_length or 0):
        errors["name"] = ["The name must be 60 characters or fewer"]
    if not 0 <= required_cover <= MAX_REQUIRED_COVER:
        errors["required_cover"] = [f"Required cover must be between 0 and {MAX_REQUIRED_COVER} AMHPs"]
    return errors


@transaction.atomic
def shift_type_update(
    *, actor: Any, shift_type: ShiftType, name: str, required_cover: int, weekdays_only: bool
) -> ShiftType:
    """Change a shift type's name, required cover and weekdays-only flag.

    Start and end times cannot change here: existing shifts keep the instants they were placed with. Raise
    ValidationError on a blank name or cover outside 0 to 20. Writes an audit row of what changed.
    """
    name = name.strip()
    errors = _shift_type_field_errors(name=name, required_cover=required_cover)
    if errors:
        raise ValidationError(errors)
    shift_type = ShiftType.objects.select_for_update().get(pk=shift_type.pk)
    before = snapshot(shift_type, SHIFT_TYPE_EDITABLE)
    shift_type.name = name
    shift_type.required_cover = required_cover
    shift_type.weekdays_only = weekdays_only
    changes = diff(before, snapshot(shift_type, SHIFT_TYPE_EDITABLE))
    if changes:
        shift_type.save(update_fields=sorted(changes))
        audit(actor=actor, service_id=shift_type.service_id, action="update", obj=shift_type, changes=changes)
    return shift_type


def _leave_overlapping(staff_id: Any, start: datetime, end: datetime) -> Leave | None:
    return (
        Leave.objects.filter(staff_id=staff_id, cancelled_at__isnull=True, starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at")
        .first()
    )


def _check_placeable(*, staff: StaffProfile, shift_type: ShiftType, day: date) -> tuple[datetime, datetime]:
    """Return the shift's bounds, or raise: ValidationError for a bad placement, ConflictError for a duplicate."""
    errors: dict[str, list[str]] = {}
    if staff.service_id != shift_type.service_id:
        errors["staff"] = ["Choose an AMHP from this service"]
    elif staff.role != Role.AMHP:
        errors["staff"] = [f"{staff.display_name} is not an AMHP, so cannot be placed on a shift"]
    if errors:
        raise ValidationError(errors)
    try:
        starts_at, ends_at = shift_bounds(day, shift_type.start_time, shift_type.end_time)
    except ValueError as exc:
        raise ValidationError({"day": [str(exc)]}) from exc
    if Shift.objects.filter(staff=staff, shift_type=shift_type, day=day, cancelled_at__isnull=True).exists():
        raise ConflictError(f"{staff.display_name} is already on the {shift_type.name} shift on {format_day(day)}")
    leave = _leave_overlapping(staff.pk, starts_at, ends_at)
    if leave is not None:
        raise ValidationError(
            {
                "staff": [
                    f"{staff.display_name} is on {leave.get_kind_display().lower()} "
                    f"from {format_local(leave.starts_at)} to {format_local(leave.ends_at)}"
                ]
            }
        )
    clash = (
        Shift.objects.filter(staff=staff, cancelled_at__isnull=True, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("shift_type")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "day": [
                    f"{staff.display_name} is already on the {clash.shift_type.name} shift "
                    f"{format_local(clash.starts_at)} to {format_local(clash.ends_at)}"
                ]
            }
        )
    return starts_at, ends_at


@transaction.atomic
def shift_place(
    *,
    actor: Any,
    staff: StaffProfile,
    shift_type: ShiftType,
    day: date,
    source: str = Shift.Source.MANUAL,
    channel: str = "web",
    rest_confirmed: bool = True,
) -> Shift:
    """Place STAFF (an AMHP) on SHIFT_TYPE starting on local DAY; bounds from the type's wall-clock times.

    Raise ValidationError if STAFF is not an AMHP of the type's service, is on leave during the shift or already
    works an overlapping shift; raise ConflictError if they already have a live shift of this type on DAY.
    Unless REST_CONFIRMED, raise WarningsToConfirm (field "confirm") and place nothing when the shift would break
    the Working Time Regulations 1998 rests (11 h daily, reg. 10; 24 h weekly, reg. 11), judged from the rota and
    the work recorded (selectors.placement_warnings).
    """
    starts_at, ends_at = _check_placeable(staff=staff, shift_type=shift_type, day=day)
    if not rest_confirmed:
        breaches = selectors.placement_warnings(staff_id=staff.pk, starts_at=starts_at, ends_at=ends_at)
        if breaches:
            raise WarningsToConfirm(
                [
                    f"{staff.display_name}, Working Time Regulations 1998: {b.message} "
                    f"({working_time.PROVISIONS[b.rule]})"
                    for b in breaches
                ]
            )
    shift = Shift(
        service_id=shift_type.service_id,
        shift_type=shift_type,
        staff=staff,
        day=day,
        starts_at=starts_at,
        ends_at=ends_at,
        source=source,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError as exc:  # a concurrent placement of the same person, type and day won
        raise ConflictError(
            f"{staff.display_name} is already on the {shift_type.name} shift on {format_day(day)}"
        ) from exc
    audit(
        actor=actor,
        service_id=shift.service_id,
        action="create",
        obj=shift,
        changes={name: str(getattr(shift, name)) for name in SHIFT_FIELDS},
        channel=channel,
    )
    return shift


@transaction.atomic
def shift_cancel(*, actor: Any, shift: Shift, now: datetime | None = None, channel: str = "web") -> Shift:
    """Cancel a shift that has not started (soft: cancelled_at). Raise ConflictError if started or cancelled."""
    now = _now(now)
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.cancelled_at is not None:
        raise ConflictError("This shift is already cancelled")
    if shift.starts_at <= now:
        raise ConflictError("Shifts that have started or finished cannot be changed")
    shift.cancelled_at = now
    shift.save(update_fields=["cancelled_at"])
    audit(
        actor=actor,
        service_id=shift.service_id,
        action="delete",
        obj=shift,
        changes={"cancelled_at": [None, now.isoformat()]},
        channel=channel,
    )
    return shift


def _parse_cycle(service: Service, cycle: Sequence[str | None]) -> list[str | None]:
    codes = set(ShiftType.objects.filter(service=service).values_list("code", flat=True))
    cleaned: list[str | None] = [None if c in (None, "", "off", "-") else str(c).strip() for c in cycle]
    if not cleaned:
        raise ValidationError({"cycle": ["Enter at least one day, like: day, day, off, late"]})
    unknown = sorted({c for c in cleaned if c is not None and c not in codes})
    if unknown:
        known = ", ".join(sorted(codes))
        raise ValidationError({"cycle": [f"Unknown shift types: {', '.join(unknown)} (use {known} or off)"]})
    if all(c is None for c in cleaned):
        raise ValidationError({"cycle": ["A pattern needs at least one working day"]})
    return cleaned


@transaction.atomic
def pattern_create(
    *,
    actor: Any,
    staff: StaffProfile,
    name: str,
    cycle: Sequence[str | None],
    starts_on: date,
    ends_on: date | None = None,
) -> RotaPattern:
    """Create a repeating pattern for an AMHP: CYCLE lists one shift code (or None, "off") a day from STARTS_ON."""
    if staff.role != Role.AMHP:
        raise ValidationError({"staff": [f"{staff.display_name} is not an AMHP"]})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": ["The end date must be on or after the start date"]})
    cleaned = _parse_cycle(staff.service, cycle)
    pattern = RotaPattern.objects.create(
        service_id=staff.service_id,
        staff=staff,
        name=name.strip() or f"Pattern for {staff.display_name}",
        cycle=cleaned,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    audit(
        actor=actor,
        service_id=staff.service_id,
        action="create",
        obj=pattern,
        changes={"cycle": cleaned, "starts_on": starts_on.isoformat()},
    )
    return pattern


@dataclass
class PatternResult:
    """What applying a pattern did: the shifts created and the days skipped, with why."""

    created: list[Shift] = field(default_factory=list)
    skipped: list[tuple[date, str, str]] = field(default_factory=list)  # (day, code, reason)


@transaction.atomic
def pattern_apply(*, actor: Any, pattern: RotaPattern, start: date, end: date, channel: str = "web") -> PatternResult:
    """Create the pattern's shifts for local days START..END (inclusive), clamped to the pattern's own dates.

    Days on leave, days where the AMHP already has this shift (from any source) or an overlapping one are
    skipped, so applying twice creates nothing more. A handful of queries whatever the range.
    """
    if end < start:
        raise ValidationError({"end": ["The end date must be on or after the start date"]})
    if (end - start).days > 366:
        raise ValidationError({"end": ["Apply a pattern over at most a year at a time"]})
    first = max(start, pattern.starts_on)
    last = min(end, pattern.ends_on) if pattern.ends_on else end
    result = PatternResult()
    wanted = expand_pattern(pattern_start=pattern.starts_on, cycle=pattern.cycle, start=first, end=last)
    if not wanted:
        return result
    types = {t.code: t for t in ShiftType.objects.filter(service_id=pattern.service_id)}
    planned: list[tuple[date, ShiftType, datetime, datetime]] = []
    for day, code in wanted:
        shift_type = types.get(code)
        if shift_type is None:
            result.skipped.append((day, code, "unknown shift type"))
            continue
        try:
            starts_at, ends_at = shift_bounds(day, shift_type.start_time, shift_type.end_time)
        except ValueError:
            result.skipped.append((day, code, "no duration across the clock change"))
            continue
        planned.append((day, shift_type, starts_at, ends_at))
    if not planned:
        return result
    window_start, window_end = planned[0][2], max(p[3] for p in planned)
    existing = list(
        Shift.objects.filter(
            staff_id=pattern.staff_id, cancelled_at__isnull=True, starts_at__lt=window_end, ends_at__gt=window_start
        ).values_list("shift_type_id", "day", "starts_at", "ends_at")
    )
    taken = {(type_id, day) for type_id, day, _, _ in existing}
    busy = [(s, e) for _, _, s, e in existing]
    leave = list(
        Leave.objects.filter(
            staff_id=pattern.staff_id, cancelled_at__isnull=True, starts_at__lt=window_end, ends_at__gt=window_start
        ).values_list("starts_at", "ends_at")
    )
    user = actor if getattr(actor, "is_authenticated", False) else None
    new: list[Shift] = []
    for day, shift_type, starts_at, ends_at in planned:
        if (shift_type.pk, day) in taken:
            result.skipped.append((day, shift_type.code, "already on this shift"))
        elif any(s < ends_at and e > starts_at for s, e in leave):
            result.skipped.append((day, shift_type.code, "on leave"))
        elif any(s < ends_at and e > starts_at for s, e in busy):
            result.skipped.append((day, shift_type.code, "already on an overlapping shift"))
        else:
            busy.append((starts_at, ends_at))
            taken.add((shift_type.pk, day))
            new.append(
                Shift(
                    service_id=pattern.service_id,
                    shift_type=shift_type,
                    staff_id=pattern.staff_id,
                    day=day,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    source=Shift.Source.PATTERN,
                    pattern=pattern,
                    created_by=user,
                )
            )
    if new:
        result.created = Shift.objects.bulk_create(new)
        audit(
            actor=actor,
            service_id=pattern.service_id,
            action="create",
            object_type="shift",
            object_ids=[s.pk for s in result.created],
            changes={"pattern": pattern.pk, "from": first.isoformat(), "to": last.isoformat()},
            channel=channel,
        )
    return result


@transaction.atomic
def leave_record(
    *,
    actor: Any,
    staff: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = LeaveKind.ANNUAL,
    note: str = "",
    gaps_confirmed: bool = True,
    now: datetime | None = None,
) -> Leave:
    """Record leave or unavailability. It blocks duty: placements refuse it and on-duty and cover leave it out.

    Unless GAPS_CONFIRMED, raise WarningsToConfirm (field "confirm") and record nothing when the leave would
    open or widen a cover gap from today on (the rota's one cover rule: selectors.gaps_opened_by_leave).
    """
    errors: dict[str, list[str]] = {}
    if kind not in LeaveKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(LeaveKind.values)}"]
    if ends_at <= starts_at:
        errors["ends_at"] = ["The end must be after the start"]
    if errors:
        raise ValidationError(errors)
    if not gaps_confirmed:
        today = timezone.localdate(_now(now))
        gaps = selectors.gaps_opened_by_leave(staff=staff, starts_at=starts_at, ends_at=ends_at, today=today)
        if gaps:
            raise WarningsToConfirm(
                [
                    f"{g.shift_type.name} on {format_day(g.day)} would have {g.filled} of the {g.required} "
                    f"AMHP{'s' if g.required != 1 else ''} it needs"
                    for g in gaps
                ]
            )
    leave = Leave.objects.create(
        staff=staff,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit(
        actor=actor,
        service_id=staff.service_id,
        action="create",
        obj=leave,
        changes={
            "staff": str(staff.pk),
            "kind": kind,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return leave


@transaction.atomic
def leave_cancel(*, actor: Any, leave: Leave, now: datetime | None = None) -> Leave:
    """Cancel recorded leave (soft). Raise ConflictError if it is already cancelled."""
    now = _now(now)
    leave = Leave.objects.select_for_update().select_related("staff").get(pk=leave.pk)
    if leave.cancelled_at is not None:
        raise ConflictError("This leave is already cancelled")
    leave.cancelled_at = now
    leave.save(update_fields=["cancelled_at"])
    audit(
        actor=actor,
        service_id=leave.staff.service_id,
        action="delete",
        obj=leave,
        changes={"cancelled_at": [None, now.isoformat()]},
    )
    return leave


@transaction.atomic
def swap_request_create(
    *, actor: Any, shift: Shift, proposed_staff: StaffProfile, reason: str, now: datetime | None = None
) -> SwapRequest:
    """The AMHP on SHIFT asks to hand it to PROPOSED_STAFF; nothing changes until a manager approves.

    Raise ValidationError if the requester is not the shift's AMHP, the colleague is not another AMHP of the
    service or the reason is blank; ConflictError if the shift has started, is cancelled or already has an
    open request.
    """
    now = _now(now)
    requester = getattr(actor, "staff_profile", None)
    errors: dict[str, list[str]] = {}
    if requester is None or requester.pk != shift.staff_id:
        errors["shift"] = ["Only the AMHP on a shift can ask to swap it"]
    if (
        proposed_staff.service_id != shift.service_id
        or proposed_staff.role != Role.AMHP
        or proposed_staff.pk == shift.staff_id
    ):
        errors["proposed_staff"] = ["Choose another AMHP in this service"]
    if not reason.strip():
        errors["reason"] = ["Say why you want to swap"]
    if errors:
        raise ValidationError(errors)
    if shift.cancelled_at is not None:
        raise ConflictError("This shift has been cancelled")
    if shift.starts_at <= now:
        raise ConflictError("Shifts that have started or finished cannot be swapped")
    if SwapRequest.objects.filter(shift=shift, status=SwapRequest.Status.OPEN).exists():
        raise ConflictError("There is already an open swap request for this shift")
    swap = SwapRequest.objects.create(  # type: ignore[misc]
        shift=shift, requested_by=requester, proposed_staff=proposed_staff, reason=reason.strip()
    )
    audit(
        actor=actor,
        service_id=shift.service_id,
        action="create",
        obj=swap,
        changes={"shift": str(shift.pk), "proposed_staff": str(proposed_staff.pk)},
    )
    return swap


def _lock_open_swap(swap: SwapRequest) -> SwapRequest:
    swap = SwapRequest.objects.select_for_update().get(pk=swap.pk)
    if swap.status != SwapRequest.Status.OPEN:
        raise ConflictError(f"This swap request is already {swap.get_status_display().lower()}")
    return swap


@transaction.atomic
def swap_approve(*, actor: Any, swap: SwapRequest, note: str = "", now: datetime | None = None) -> Shift:
    """Approve a swap: cancel the original shift and give the colleague the same shift (source=swap).

    Raise ConflictError if the request is no longer open, the shift has started or been cancelled, or the
    colleague is on leave or on another shift at the time. Return the colleague's new shift.
    """
    now = _now(now)
    swap = _lock_open_swap(swap)
    shift = Shift.objects.select_for_update().select_related("shift_type").get(pk=swap.shift_id)
    colleague = StaffProfile.objects.select_related("user").get(pk=swap.proposed_staff_id)
    if shift.cancelled_at is not None:
        raise ConflictError("The shift has been cancelled since the request was made")
    if shift.starts_at <= now:
        raise ConflictError("The shift has already started, so it can no longer be swapped")
    leave = _leave_overlapping(colleague.pk, shift.starts_at, shift.ends_at)
    if leave is not None:
        raise ConflictError(f"{colleague.display_name} is on {leave.get_kind_display().lower()} during this shift")
    if Shift.objects.filter(
        staff=colleague, cancelled_at__isnull=True, starts_at__lt=shift.ends_at, ends_at__gt=shift.starts_at
    ).exists():
        raise ConflictError(f"{colleague.display_name} is already on a shift at that time")
    shift.cancelled_at = now
    shift.save(update_fields=["cancelled_at"])
    new_shift = Shift.objects.create(
        service_id=shift.service_id,
        shift_type=shift.shift_type,
        staff=colleague,
        day=shift.day,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        source=Shift.Source.SWAP,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    swap.status = SwapRequest.Status.APPROVED
    swap.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    swap.decided_at = now
    swap.decision_note = note.strip()
    swap.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit(
        actor=actor,
        service_id=shift.service_id,
        action="update",
        obj=swap,
        changes={"status": ["open", "approved"], "old_shift": str(shift.pk), "new_shift": str(new_shift.pk)},
    )
    audit(actor=actor, service_id=shift.service_id, action="delete", obj=shift, changes={"cancelled_by_swap": swap.pk})
    audit(
        actor=actor,
        service_id=shift.service_id,
        action="create",
        obj=new_shift,
        changes={name: str(getattr(new_shift, name)) for name in SHIFT_FIELDS},
    )
    return new_shift


@transaction.atomic
def swap_reject(*, actor: Any, swap: SwapRequest, note: str, now: datetime | None = None) -> SwapRequest:
    """Reject an open swap request with a note saying why. Raise ValidationError without a note."""
    if not note.strip():
        raise ValidationError({"note": ["Say why the swap is rejected"]})
    now = _now(now)
    swap = _lock_open_swap(swap)
    swap.status = SwapRequest.Status.REJECTED
    swap.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    swap.decided_at = now
    swap.decision_note = note.strip()
    swap.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    service_id = Shift.objects.filter(pk=swap.shift_id).values_list("service_id", flat=True).get()
    audit(actor=actor, service_id=service_id, action="update", obj=swap, changes={"status": ["open", "rejected"]})
    return swap


@transaction.atomic
def swap_withdraw(*, swap: SwapRequest, actor: Any, now: datetime | None = None) -> SwapRequest:
    """The requester withdraws their own open swap request (status cancelled); the shift stays theirs.

    Raise PermissionDenied if ACTOR did not make the request; ConflictError if it is no longer open.
    """
    now = _now(now)
    requester = getattr(actor, "staff_profile", None)
    if requester is None or requester.pk != swap.requested_by_id:
        raise PermissionDenied("Only the AMHP who asked for a swap can withdraw it")
    swap = _lock_open_swap(swap)
    swap.status = SwapRequest.Status.CANCELLED
    swap.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    swap.decided_at = now
    swap.save(update_fields=["status", "decided_by", "decided_at"])
    audit(
        actor=actor,
        service_id=requester.service_id,
        action="update",
        obj=swap,
        changes={"status": ["open", "cancelled"]},
    )
    return swap


@transaction.atomic
def calendar_token_issue(*, actor: Any, staff: StaffProfile, now: datetime | None = None) -> CalendarToken:
    """Give STAFF a new calendar feed token, revoking any earlier one (its URL stops working)."""
    now = _now(now)
    revoked = list(CalendarToken.objects.filter(staff=staff, revoked_at__isnull=True).values_list("pk", flat=True))
    CalendarToken.objects.filter(pk__in=revoked).update(revoked_at=now)
    token = CalendarToken.objects.create(staff=staff, token=secrets.token_urlsafe(32))
    audit(
        actor=actor,
        service_id=staff.service_id,
        action="create",
        obj=token,
        changes={"staff": str(staff.pk), "revoked": revoked},
    )
    return token


@transaction.atomic
def calendar_token_revoke(*, actor: Any, staff: StaffProfile, now: datetime | None = None) -> int:
    """Revoke STAFF's calendar feed tokens; return how many were live."""
    now = _now(now)
    revoked = list(CalendarToken.objects.filter(staff=staff, revoked_at__isnull=True).values_list("pk", flat=True))
    CalendarToken.objects.filter(pk__in=revoked).update(revoked_at=now)
    if revoked:
        audit(
            actor=actor,
            service_id=staff.service_id,
            action="update",
            object_type="calendartoken",
            object_ids=revoked,
            changes={"revoked_at": [None, now.isoformat()]},
        )
    return len(revoked)


@transaction.atomic
def staff_deactivate(*, actor: Any, profile: StaffProfile) -> StaffProfile:
    """Switch a leaver's account off: every session and API token ends at once, and sign-in is refused.

    Raise ValidationError when the actor would switch themselves off. The account and its history stay.
    """
    from rest_framework.authtoken.models import Token

    if profile.user_id == getattr(actor, "pk", None):
        raise ValidationError({"staff": ["You cannot switch off your own account"]})
    user = profile.user
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    # Every session ends on its next request: Django's auth backend refuses an inactive user's session.
    Token.objects.filter(user=user).delete()
    audit(
        actor=actor,
        service_id=profile.service_id,
        action="deactivate",
        obj=profile,
        changes={"is_active": [True, False]},
    )
    return profile


# --- Recorded work beyond the rota (the working-time checks' late finishes) ----------------------


def record_worked_period(
    *, staff_id: Any, started_at: datetime, ended_at: datetime, source: str, source_id: str
) -> None:
    """Record that STAFF_ID worked from STARTED_AT to ENDED_AT for SOURCE/SOURCE_ID (one row a source,
    moved in place when recorded again), and re-merge that person's spans around the old and new times."""
    with transaction.atomic():
        old = WorkedPeriod.objects.select_for_update().filter(source=source, source_id=source_id).first()
        WorkedPeriod.objects.update_or_create(
            source=source,
            source_id=source_id,
            defaults={"staff_id": staff_id, "started_at": started_at, "ended_at": ended_at},
        )
        if old is not None:
            _remerge_spans(old.staff_id, old.started_at, old.ended_at)
        _remerge_spans(staff_id, started_at, ended_at)


def remove_worked_period(*, source: str, source_id: str) -> None:
    """Forget the work recorded for SOURCE/SOURCE_ID, if any, and re-merge that person's spans there."""
    with transaction.atomic():
        old = WorkedPeriod.objects.select_for_update().filter(source=source, source_id=source_id).first()
        if old is not None:
            old.delete()
            _remerge_spans(old.staff_id, old.started_at, old.ended_at)


def _remerge_spans(staff_id: Any, start: datetime, end: datetime) -> None:
    """Rebuild STAFF_ID's spans that overlap or touch [START, END] from their periods there.

    The spans touching the changed time and the time itself form one stretch; every period that
    overlaps that stretch lies within it (it was in one of those spans, or is the changed one), so
    re-merging just those periods leaves every other span as it was. The person's row is locked so
    that two records of their work at once cannot interleave. Four queries.
    """
    StaffProfile.objects.select_for_update().filter(pk=staff_id).values_list("pk", flat=True).first()
    touching = WorkedSpan.objects.filter(staff_id=staff_id, started_at__lte=end, ended_at__gte=start)
    bounds = touching.aggregate(lo=Min("started_at"), hi=Max("ended_at"))
    lo = min(start, bounds["lo"] or start)
    hi = max(end, bounds["hi"] or end)
    touching.delete()
    periods = WorkedPeriod.objects.filter(staff_id=staff_id, started_at__lte=hi, ended_at__gte=lo)
    merged = working_time.merge_intervals(
        working_time.Interval(s, e) for s, e in periods.values_list("started_at", "ended_at")
    )
    WorkedSpan.objects.bulk_create(WorkedSpan(staff_id=staff_id, started_at=i.start, ended_at=i.end) for i in merged)


def rebuild_worked_spans(*, service_id: int) -> int:
    """Rebuild every span of SERVICE_ID's staff from their periods in one set-based pass; return how many.

    For work recorded in bulk (the demo seeding). Gaps and islands, as working_time.merge_intervals
    merges: a period starts a new island unless it begins by the latest end before it (touching
    periods join). Two statements, whatever the number of periods.
    """
    with transaction.atomic():
        WorkedSpan.objects.filter(staff__service_id=service_id).delete()
        inner, params = (
            WorkedPeriod.objects.filter(staff__service_id=service_id)
            .values("id", "staff_id", "started_at", "ended_at")
            .query.sql_with_params()
        )
        sql = f"""
            INSERT INTO {WorkedSpan._meta.db_table} (staff_id, started_at, ended_at)
            SELECT staff_id, MIN(started_at), MAX(ended_at) FROM (
                SELECT staff_id, started_at, ended_at,
                       SUM(CASE WHEN prev_end IS NULL OR started_at > prev_end THEN 1 ELSE 0 END) OVER (
                           PARTITION BY staff_id ORDER BY started_at, ended_at, id ROWS UNBOUNDED PRECEDING
                       ) AS island
                FROM (
                    SELECT w.id, w.staff_id, w.started_at, w.ended_at,
                           MAX(w.ended_at) OVER (
                               PARTITION BY w.staff_id ORDER BY w.started_at, w.ended_at, w.id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                           ) AS prev_end
                    FROM ({inner}) w
                ) ordered
            ) islands
            GROUP BY staff_id, island
        """  # noqa: S608 - the table is the model's and the inner query Django's own, its parameters kept apart
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
