"""Statutory clocks, due times and date rules for Mental Health Act referrals.

Pure functions: no database, no Django. The rules and their sources are in
DOMAIN.md, "Rules with numbers". Legal status and priority values are the strings
in ``referrals.constants`` (kept in step by the tests).

Time rules:

* Every datetime argument must be aware; a naive one raises ``ClockError``.
* Hour clocks (s136, s135, s5(2), s5(4), s4) run for elapsed hours. The arithmetic
  is done in UTC, so across a UK clock change the expiry shows a different
  wall-clock hour from the start (24 h after 12:00 GMT on the Saturday before the
  spring change is 13:00 BST).
* Day clocks (s2, s3) count calendar days in Europe/London, as all MHA day limits
  do. The period includes the day it starts and ends at local midnight.
* Returned datetimes are in UTC.
* Date rules (s12(1), s11(5), s6(1)) take ``date`` objects, not datetimes, so the
  caller decides which local day an event fell on.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

from amhp_hub.common.zone import LONDON
from referrals.constants import LegalStatus


class ClockError(ValueError):
    """A clock was asked something it cannot answer: bad input or a rule broken."""


# Legal status values: the list lives in referrals.constants.LegalStatus, and only there.
S136 = LegalStatus.S136.value
S135_1 = LegalStatus.S135_1.value
S135_2 = LegalStatus.S135_2.value
S5_2 = LegalStatus.S5_2.value
S5_4 = LegalStatus.S5_4.value
S4 = LegalStatus.S4.value
S2 = LegalStatus.S2.value
S3 = LegalStatus.S3.value
INFORMAL_INPATIENT = LegalStatus.INFORMAL_INPATIENT.value
COMMUNITY = LegalStatus.COMMUNITY.value
POLICE_CUSTODY = LegalStatus.POLICE_CUSTODY.value
NR_REQUEST = LegalStatus.NR_REQUEST.value
CTO_RECALL = LegalStatus.CTO_RECALL.value

# Priority values, as in referrals.constants.Priority.
EMERGENCY = "emergency"
URGENT = "urgent"
SOON = "soon"
ROUTINE = "routine"
PRIORITIES = frozenset({EMERGENCY, URGENT, SOON, ROUTINE})

# Maximum elapsed hours of each hour clock before any extension.
HOUR_CLOCKS: Mapping[str, int] = {
    S136: 24,  # s136(2A)
    S135_1: 24,  # s135(3ZA)
    S5_2: 72,
    S5_4: 6,
    S4: 72,
    CTO_RECALL: 72,  # s17F(8): 72 h from detention in hospital under the recall (s17E)
}
# Calendar-day clocks, counted in Europe/London.
DAY_CLOCKS = frozenset({S2, S3})
S2_DAYS = 28
S3_MONTHS = 6
# Statuses with no statutory clock of their own.
# s135(2) only retakes a patient already liable to be detained or conveyed: no clock of its own
# (the underlying s6, s17E or s18 deadline applies) and no s136B extension.
NO_CLOCK = frozenset({INFORMAL_INPATIENT, COMMUNITY, POLICE_CUSTODY, NR_REQUEST, S135_2})
LEGAL_STATUSES = frozenset(LegalStatus.values)
# Every legal status has exactly one kind of clock (or none): a new status must be placed here.
assert frozenset(HOUR_CLOCKS) | DAY_CLOCKS | NO_CLOCK == LEGAL_STATUSES, "a legal status has no clock rule"
# Statuses whose clock needs the time the legal power started.
CLOCKED_STATUSES = frozenset(HOUR_CLOCKS) | DAY_CLOCKS

# s136B(1): only s135(1) and s136 detentions can be extended, by at most 12 hours in all.
EXTENDABLE = frozenset({S136, S135_1})
MAX_EXTENSION_HOURS = 12

# A referral whose clock runs out within this time is an emergency whatever its status.
EMERGENCY_WINDOW = timedelta(hours=12)
_DEFAULT_PRIORITY: Mapping[str, str] = {
    S136: EMERGENCY,
    S5_4: EMERGENCY,
    S135_1: URGENT,
    S135_2: URGENT,
    S5_2: URGENT,
    S4: URGENT,
    CTO_RECALL: URGENT,
    POLICE_CUSTODY: URGENT,
    S2: SOON,
    S3: SOON,
    NR_REQUEST: SOON,
    INFORMAL_INPATIENT: SOON,
    COMMUNITY: ROUTINE,
}

# s12(1): no more than 5 clear days between the two examinations.
MAX_DAYS_BETWEEN_EXAMINATIONS = 6
# s11(5): seen within the 14 days ending with the application date.
APPLICANT_SEEN_WITHIN_DAYS = 14
# s6(1): conveyed within the 14 days beginning with the last medical examination.
CONVEYANCE_WITHIN_DAYS = 14


def _utc(value: datetime, name: str) -> datetime:
    """Return ``value`` in UTC; raise ClockError if it is naive.

    Everything is converted before any arithmetic or comparison: Python subtracts
    and compares two datetimes sharing a tzinfo by wall clock, ignoring the offset,
    so 12:00 BST to 12:00 GMT next day would come out as 24 h instead of 25 h.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ClockError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _require_status(legal_status: str) -> None:
    if legal_status not in LEGAL_STATUSES:
        raise ClockError(f"Unknown legal status {legal_status!r}")


def _require_date(value: date, name: str) -> None:
    # datetime is a subclass of date; refuse it so the caller picks the local day.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ClockError(f"{name} must be a date, not {type(value).__name__}")


def add_months(day: date, months: int) -> date:
    """Return the same day of the month ``months`` later (or earlier if negative).

    If that month is shorter, return its last day: 31 August plus 6 months is
    28 February, or 29 February in a leap year.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last_day))


def _london_midnight(day: date) -> datetime:
    # UK clocks change at 01:00 UTC, never at midnight, so local midnight always
    # exists exactly once.
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def statutory_expiry(legal_status: str, started_at: datetime | None, *, extension_hours: int = 0) -> datetime | None:
    """Return the instant (UTC) at which the legal power ends, or None if it has no clock.

    ``started_at`` is when the clock began: arrival at the place of safety (s136,
    s135), the report furnished to the managers (s5(2)), the nurse's record (s5(4)),
    admission (s4, s2; for an s2 converted from s4, the s4 start), detention in hospital
    under a CTO recall (cto_recall) or the start of the current period (s3). Clocks:

    * s136, s135_1: 24 elapsed hours, plus ``extension_hours`` (0 to 12).
    * s135_2: None (a retaking power: the underlying deadline applies).
    * s5_2: 72 elapsed hours. s5_4: 6 elapsed hours. s4: 72 elapsed hours.
    * cto_recall: 72 elapsed hours (s17F(8)).
    * s2: 28 days beginning with the day of admission (Europe/London), so it ends
      at local midnight at the start of admission date + 28 days.
    * s3: 6 months beginning with the day of admission, so it ends at local
      midnight at the start of the same date 6 months later; when that month is
      shorter, the last day of that month (31 August gives 28 or 29 February).
      This is the earlier, safer reading of a period with no corresponding date.
    * informal_inpatient, community, police_custody, nr_request, s135_2: None.

    The s5(4) clock is the maximum: it ends earlier if a doctor or approved
    clinician arrives, which the caller records. Return None if ``started_at`` is
    None. Raise ClockError for an unknown status, a naive ``started_at``, or
    ``extension_hours`` outside 0 to 12 or non-zero for a status that cannot be
    extended.
    """
    _require_status(legal_status)
    if extension_hours and legal_status not in EXTENDABLE:
        raise ClockError(f"Only s136 and s135 detentions can be extended, not {legal_status}")
    if not 0 <= extension_hours <= MAX_EXTENSION_HOURS:
        raise ClockError(f"Extension must be 0 to {MAX_EXTENSION_HOURS} hours, got {extension_hours}")
    if started_at is None or legal_status in NO_CLOCK:
        return None
    start = _utc(started_at, "started_at")

    if legal_status in HOUR_CLOCKS:
        # In UTC, because adding a timedelta to a zoneinfo datetime is wall-clock arithmetic.
        return start + timedelta(hours=HOUR_CLOCKS[legal_status] + extension_hours)

    admission_day = start.astimezone(LONDON).date()
    if legal_status == S2:
        return _london_midnight(admission_day + timedelta(days=S2_DAYS))
    return _london_midnight(add_months(admission_day, S3_MONTHS))


def check_extension(
    legal_status: str,
    started_at: datetime | None,
    *,
    requested_hours: int,
    at: datetime,
    already_extended_hours: int = 0,
) -> None:
    """Raise ClockError unless an s136B extension of ``requested_hours`` may be made at ``at``.

    Allowed only when all of these hold:

    * the status is s136 or s135_1 (s136B(1)) and ``started_at`` is recorded;
    * ``requested_hours`` is at least 1 and, with ``already_extended_hours``, totals
      no more than 12 (so the whole detention is at most 36 hours);
    * ``at`` is not before ``started_at`` and is strictly before the end of the
      first 24 hours. s136B allows extending only before the 24-hour period
      expires, so a further extension during an extension already granted is
      refused even if hours remain.

    The statutory grounds (the person's condition makes assessment impracticable;
    superintendent approval at a police station) are for the caller to record.
    """
    _require_status(legal_status)
    if legal_status not in EXTENDABLE:
        raise ClockError(f"Only s136 and s135 detentions can be extended (s136B), not {legal_status}")
    if started_at is None:
        raise ClockError("Record when the detention began before extending it")
    start = _utc(started_at, "started_at")
    at = _utc(at, "at")
    if requested_hours < 1:
        raise ClockError(f"An extension must be at least 1 hour, got {requested_hours}")
    if already_extended_hours < 0:
        raise ClockError(f"Hours already extended cannot be negative, got {already_extended_hours}")
    total = already_extended_hours + requested_hours
    if total > MAX_EXTENSION_HOURS:
        raise ClockError(
            f"{requested_hours} more hours would make {total} hours of extension "
            f"({already_extended_hours} already granted); the most allowed is {MAX_EXTENSION_HOURS} "
            f"({HOUR_CLOCKS[legal_status] + MAX_EXTENSION_HOURS} hours in all)"
        )
    first_expiry = start + timedelta(hours=HOUR_CLOCKS[legal_status])
    if at < start:
        raise ClockError("An extension cannot be made before the detention began")
    if at >= first_expiry:
        raise ClockError(
            f"An extension can only be made before the first {HOUR_CLOCKS[legal_status]} hours expire "
            f"({first_expiry.isoformat()})"
        )


def due_at(
    *,
    received_at: datetime,
    priority: str,
    statutory_expires_at: datetime | None,
    safety_margin: timedelta,
    targets: Mapping[str, timedelta],
) -> datetime:
    """Return when the referral must be dealt with, in UTC.

    That is the earlier of ``statutory_expires_at - safety_margin`` and
    ``received_at + targets[priority]``; with no statutory expiry, the target alone.
    The result may already be in the past (a referral received with little of its
    clock left). Raise ClockError for an unknown priority, a priority missing from
    ``targets``, a negative margin or target, or a naive datetime.
    """
    received = _utc(received_at, "received_at")
    if priority not in PRIORITIES:
        raise ClockError(f"Unknown priority {priority!r}")
    if priority not in targets:
        raise ClockError(f"No response target set for priority {priority!r}")
    if safety_margin < timedelta(0):
        raise ClockError("safety_margin cannot be negative")
    target = targets[priority]
    if target < timedelta(0):
        raise ClockError(f"Response target for {priority!r} cannot be negative")

    due = received + target
    if statutory_expires_at is not None:
        due = min(due, _utc(statutory_expires_at, "statutory_expires_at") - safety_margin)
    return due


def default_priority(legal_status: str, *, statutory_expires_at: datetime | None, now: datetime) -> str:
    """Return the priority band to suggest before a person triages the referral.

    * emergency: the statutory clock has run out or runs out within 12 hours of
      ``now`` (inclusive), or the status is s136 or s5_4 (the shortest clocks);
    * urgent: s135_1, s135_2, s5_2, s4, police_custody;
    * soon: s2, s3, nr_request, informal_inpatient;
    * routine: community.

    The clock test comes first, so a late s2 or s3 is an emergency. This is a
    suggestion; triage may set any band. Raise ClockError for an unknown status or
    a naive datetime.
    """
    _require_status(legal_status)
    now = _utc(now, "now")
    if statutory_expires_at is not None:
        if _utc(statutory_expires_at, "statutory_expires_at") - now <= EMERGENCY_WINDOW:
            return EMERGENCY
    return _DEFAULT_PRIORITY[legal_status]


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        label = f"{days} day" if days == 1 else f"{days} days"
        return f"{label} {hours} h" if hours else label
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min" if minutes else "less than 1 min"


def countdown(due: datetime, now: datetime) -> str:
    """Return how long until ``due``, or how long since, for display.

    Whole units are shown, rounded down: "due in 3 h 12 min", "due in 45 min",
    "due in 2 days 4 h" (minutes dropped once a day or more is left), "due in 1 h",
    "due in less than 1 min", "overdue by 1 h 5 min". At exactly ``due`` it reads
    "due in less than 1 min"; ``is_breached`` is the rule, this is only wording.
    Raise ClockError for a naive datetime.
    """
    delta = _utc(due, "due") - _utc(now, "now")
    if delta >= timedelta(0):
        return f"due in {_span(delta)}"
    return f"overdue by {_span(-delta)}"


def is_breached(expires_at: datetime | None, now: datetime) -> bool:
    """Return True if ``now`` is at or after ``expires_at``; False if there is no expiry.

    At the expiry instant the power has ended, so that instant counts as breached.
    Raise ClockError for a naive datetime.
    """
    now = _utc(now, "now")
    if expires_at is None:
        return False
    return now >= _utc(expires_at, "expires_at")


def held_past_expiry(
    expires_at: datetime | None,
    *,
    application_at: datetime | None,
    released_at: datetime | None,
    now: datetime,
) -> bool:
    """Return True if the person was, or still is, held after their holding power ended: a statutory breach.

    s136(2A), s135(3ZA), s5(2), s5(4), s4(4): the power lasts until its expiry and no longer. A
    breach is the person still held after it, or the application that would authorise holding
    them further not made in time; being *seen* after the expiry is not itself a breach. So:
    with an application, it breaches if made at or after the expiry; without one, the holding
    ended when the person was released (the assessment concluded), which breaches if at or after
    the expiry; with neither, the person is still held, which breaches once NOW reaches the
    expiry. At the expiry instant the power has ended (as ``is_breached``). False with no expiry.
    Reading taken: the application's signing stands for its being made, as the hub does not yet
    record when the hospital managers received it.
    """
    if expires_at is None:
        return False
    expires = _utc(expires_at, "expires_at")
    if application_at is not None:
        return _utc(application_at, "application_at") >= expires
    if released_at is not None:
        return _utc(released_at, "released_at") >= expires
    return _utc(now, "now") >= expires


def medical_examinations_close_enough(first: date, second: date) -> bool:
    """Return True if two separate medical examinations are no more than 5 clear days apart (s12(1)).

    Order does not matter. An examination on the 1st allows the other up to the 7th
    (days 2 to 6 are the 5 clear days); the 8th is too late. Same-day examinations
    are close enough. Raise ClockError if either is a datetime rather than a date.
    """
    _require_date(first, "first")
    _require_date(second, "second")
    return abs((second - first).days) <= MAX_DAYS_BETWEEN_EXAMINATIONS


def applicant_saw_patient_in_time(seen_on: date, application_on: date) -> bool:
    """Return True if the applicant saw the patient within the 14 days ending with the application date (s11(5)).

    Application on the 15th allows a visit from the 2nd to the 15th inclusive. A
    visit after the application date is False. Raise ClockError if either is a
    datetime rather than a date.
    """
    _require_date(seen_on, "seen_on")
    _require_date(application_on, "application_on")
    return 0 <= (application_on - seen_on).days < APPLICANT_SEEN_WITHIN_DAYS


def conveyance_deadline(last_medical_exam_on: date) -> date:
    """Return the last day the patient may be conveyed to hospital under a non-emergency application (s6(1)).

    The 14 days begin with the day of the last medical examination, so the last
    valid day is that date plus 13. (The s4 24-hour rule is not covered here.)
    Raise ClockError if given a datetime rather than a date.
    """
    _require_date(last_medical_exam_on, "last_medical_exam_on")
    return last_medical_exam_on + timedelta(days=CONVEYANCE_WITHIN_DAYS - 1)
