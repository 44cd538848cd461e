"""Statutory clocks, due times and MHA date rules (DOMAIN.md, "Rules with numbers").

UK clock changes used below: 2026-03-29 01:00 UTC (GMT to BST) and 2026-10-25 01:00 UTC
(BST to GMT).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from amhp_hub.common.zone import LONDON
from referrals import clocks
from referrals.clocks import (
    MAX_EXTENSION_HOURS,
    ClockError,
    add_months,
    applicant_saw_patient_in_time,
    check_extension,
    conveyance_deadline,
    countdown,
    default_priority,
    due_at,
    is_breached,
    medical_examinations_close_enough,
    statutory_expiry,
)
from referrals.constants import LegalStatus, Priority

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON, fold=fold)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- values match referrals.constants ---------------------------------------------------


def test_clock_statuses_are_exactly_the_legal_status_choices() -> None:
    assert clocks.LEGAL_STATUSES == set(LegalStatus.values)


def test_clock_priorities_are_exactly_the_priority_choices() -> None:
    assert clocks.PRIORITIES == set(Priority.values)


def test_every_legal_status_has_a_default_priority() -> None:
    for status in LegalStatus.values:
        assert default_priority(status, statutory_expires_at=None, now=NOW) in Priority.values


# --- statutory_expiry: every status ------------------------------------------------------

START = utc(2026, 6, 10, 9, 30)  # BST, 10:30 local, no clock change nearby


@pytest.mark.parametrize(
    "status, hours",
    [
        ("s136", 24),
        ("s135_1", 24),
        ("s5_2", 72),
        ("s5_4", 6),
        ("s4", 72),
    ],
)
def test_hour_clocks_expire_after_their_elapsed_hours(status: str, hours: int) -> None:
    assert statutory_expiry(status, START) == START + timedelta(hours=hours)


@pytest.mark.parametrize(
    "status, expected",
    [
        ("s2", london(2026, 7, 8)),  # 10 June + 28 days
        ("s3", london(2026, 12, 10)),  # 10 June + 6 months, now GMT
    ],
)
def test_day_clocks_expire_at_london_midnight(status: str, expected: datetime) -> None:
    assert statutory_expiry(status, START) == expected


@pytest.mark.parametrize("status", ["informal_inpatient", "community", "police_custody", "nr_request"])
def test_statuses_without_a_clock_have_no_expiry(status: str) -> None:
    assert statutory_expiry(status, START) is None


@pytest.mark.parametrize("status", LegalStatus.values)
def test_no_start_time_means_no_expiry(status: str) -> None:
    assert statutory_expiry(status, None) is None


@pytest.mark.parametrize("status", ["", "S136", "s135", "section_2", "s5"])
def test_unknown_status_is_an_error(status: str) -> None:
    with pytest.raises(ClockError, match="Unknown legal status"):
        statutory_expiry(status, START)
    with pytest.raises(ClockError, match="Unknown legal status"):
        statutory_expiry(status, None)


@pytest.mark.parametrize("status", ["s136", "s2", "s3", "s5_4"])
def test_naive_start_is_rejected(status: str) -> None:
    with pytest.raises(ClockError, match="timezone-aware"):
        statutory_expiry(status, datetime(2026, 6, 10, 9, 30))


def test_expiry_is_returned_in_utc_whatever_the_input_zone() -> None:
    expiry = statutory_expiry("s136", london(2026, 6, 10, 10, 30))
    assert expiry is not None
    assert expiry.tzinfo is UTC
    assert expiry == utc(2026, 6, 11, 9, 30)


def test_fixed_offset_start_gives_the_same_instant() -> None:
    plus_five = timezone(timedelta(hours=5))
    assert statutory_expiry("s4", datetime(2026, 6, 10, 14, 30, tzinfo=plus_five)) == START + timedelta(hours=72)


# --- hour clocks across both UK clock changes --------------------------------------------


def test_s136_expires_24_elapsed_hours_after_arrival_across_spring_forward() -> None:
    expiry = statutory_expiry("s136", london(2026, 3, 28, 12, 0))
    assert expiry is not None
    local = expiry.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == (date(2026, 3, 29), 13, 0)
    assert local.tzname() == "BST"


def test_s136_expires_24_elapsed_hours_after_arrival_across_fall_back() -> None:
    expiry = statutory_expiry("s136", london(2026, 10, 24, 12, 0))
    assert expiry is not None
    local = expiry.astimezone(LONDON)
    assert (local.date(), local.hour, local.minute) == (date(2026, 10, 25), 11, 0)
    assert local.tzname() == "GMT"


@pytest.mark.parametrize("status", ["s135_1"])
@pytest.mark.parametrize(
    "start, local_expiry",
    [
        (london(2026, 3, 28, 12, 0), (2026, 3, 29, 13, 0)),
        (london(2026, 10, 24, 12, 0), (2026, 10, 25, 11, 0)),
    ],
)
def test_s135_warrants_expire_24_elapsed_hours_across_clock_changes(
    status: str, start: datetime, local_expiry: tuple[int, int, int, int, int]
) -> None:
    expiry = statutory_expiry(status, start)
    assert expiry is not None
    assert expiry.astimezone(LONDON).replace(tzinfo=None) == datetime(*local_expiry)
    assert expiry - start == timedelta(hours=24)


@pytest.mark.parametrize("status", ["s5_2", "s4"])
@pytest.mark.parametrize(
    "start, local_expiry",
    [
        # Friday 18:00 GMT + 72 h = Monday 18:00 UTC = 19:00 BST
        (london(2026, 3, 27, 18, 0), (2026, 3, 30, 19, 0)),
        # Friday 18:00 BST + 72 h = Monday 17:00 UTC = 17:00 GMT
        (london(2026, 10, 23, 18, 0), (2026, 10, 26, 17, 0)),
    ],
)
def test_72_hour_powers_run_72_elapsed_hours_spanning_a_clock_change(
    status: str, start: datetime, local_expiry: tuple[int, int, int, int, int]
) -> None:
    expiry = statutory_expiry(status, start)
    assert expiry is not None
    assert expiry.astimezone(LONDON).replace(tzinfo=None) == datetime(*local_expiry)
    assert expiry - start == timedelta(hours=72)


@pytest.mark.parametrize(
    "start, expected_utc, local_wall",
    [
        # 22:00 GMT Saturday: 6 h later is 04:00 UTC = 05:00 BST
        (london(2026, 3, 28, 22, 0), utc(2026, 3, 29, 4, 0), (5, 0)),
        # 00:30 GMT, just before the change: 06:30 UTC = 07:30 BST
        (london(2026, 3, 29, 0, 30), utc(2026, 3, 29, 6, 30), (7, 30)),
        # 22:00 BST Saturday: 21:00 UTC + 6 h = 03:00 UTC = 03:00 GMT
        (london(2026, 10, 24, 22, 0), utc(2026, 10, 25, 3, 0), (3, 0)),
        # 01:30 happens twice on 25 October: the first (BST) and the second (GMT) one
        (london(2026, 10, 25, 1, 30, fold=0), utc(2026, 10, 25, 6, 30), (6, 30)),
        (london(2026, 10, 25, 1, 30, fold=1), utc(2026, 10, 25, 7, 30), (7, 30)),
    ],
)
def test_s5_4_runs_6_elapsed_hours_across_0100_utc_on_change_night(
    start: datetime, expected_utc: datetime, local_wall: tuple[int, int]
) -> None:
    expiry = statutory_expiry("s5_4", start)
    assert expiry == expected_utc
    assert expiry is not None
    local = expiry.astimezone(LONDON)
    assert (local.hour, local.minute) == local_wall


def test_wall_clock_addition_would_be_wrong_so_it_is_not_used() -> None:
    start = london(2026, 3, 28, 12, 0)
    naive_wall_clock_answer = start + timedelta(hours=24)  # zoneinfo adds wall-clock time
    assert statutory_expiry("s136", start) != naive_wall_clock_answer


# --- s2: 28 days beginning with the day of admission -------------------------------------


@pytest.mark.parametrize(
    "admitted, expected_local_midnight",
    [
        (london(2026, 6, 10, 0, 0), date(2026, 7, 8)),
        (london(2026, 6, 10, 23, 59), date(2026, 7, 8)),
        (london(2026, 2, 1, 9, 0), date(2026, 3, 1)),  # February, not a leap year
        (london(2028, 2, 1, 9, 0), date(2028, 2, 29)),  # leap year
        (london(2026, 12, 20, 15, 0), date(2027, 1, 17)),  # over the new year
    ],
)
def test_s2_expires_at_local_midnight_28_days_after_admission_day(
    admitted: datetime, expected_local_midnight: date
) -> None:
    assert statutory_expiry("s2", admitted) == datetime(
        expected_local_midnight.year, expected_local_midnight.month, expected_local_midnight.day, tzinfo=LONDON
    )


def test_s2_admitted_late_evening_before_spring_forward_expires_at_bst_midnight() -> None:
    expiry = statutory_expiry("s2", london(2026, 3, 28, 23, 30))
    assert expiry == utc(2026, 4, 24, 23, 0)  # 00:00 BST on 25 April
    assert expiry is not None
    assert expiry.astimezone(LONDON).tzname() == "BST"


def test_s2_admitted_late_evening_before_fall_back_expires_at_gmt_midnight() -> None:
    expiry = statutory_expiry("s2", london(2026, 10, 24, 23, 30))
    assert expiry == utc(2026, 11, 21, 0, 0)  # 00:00 GMT on 21 November


def test_s2_period_spanning_fall_back_is_one_hour_longer_than_28_times_24() -> None:
    admitted = london(2026, 10, 10, 0, 0)
    expiry = statutory_expiry("s2", admitted)
    assert expiry is not None
    assert expiry - admitted == timedelta(days=28, hours=1)


def test_s2_period_spanning_spring_forward_is_one_hour_shorter_than_28_times_24() -> None:
    admitted = london(2026, 3, 10, 0, 0)
    expiry = statutory_expiry("s2", admitted)
    assert expiry is not None
    assert expiry - admitted == timedelta(days=27, hours=23)


def test_s2_uses_the_london_date_not_the_utc_date() -> None:
    # 00:30 BST on 10 June is still 9 June in UTC
    admitted = utc(2026, 6, 9, 23, 30)
    assert statutory_expiry("s2", admitted) == london(2026, 7, 8)


# --- s3: 6 months beginning with the day of admission ------------------------------------


@pytest.mark.parametrize(
    "admitted_on, expires_on",
    [
        (date(2026, 1, 15), date(2026, 7, 15)),
        (date(2026, 9, 15), date(2027, 3, 15)),  # over the new year
        (date(2026, 7, 31), date(2027, 1, 31)),
        (date(2026, 8, 31), date(2027, 2, 28)),  # clamped, not a leap year
        (date(2027, 8, 31), date(2028, 2, 29)),  # clamped, leap year
        (date(2027, 8, 29), date(2028, 2, 29)),  # real date in a leap year
        (date(2026, 8, 29), date(2027, 2, 28)),  # clamped: no 29 February 2027
        (date(2026, 8, 28), date(2027, 2, 28)),
        (date(2028, 2, 29), date(2028, 8, 29)),  # from a leap day
        (date(2026, 10, 31), date(2027, 4, 30)),  # 30-day month
        (date(2026, 12, 31), date(2027, 6, 30)),
        (date(2026, 3, 31), date(2026, 9, 30)),
        (date(2099, 12, 1), date(2100, 6, 1)),
    ],
)
def test_s3_expires_at_local_midnight_on_the_same_date_six_months_later(admitted_on: date, expires_on: date) -> None:
    admitted = datetime(admitted_on.year, admitted_on.month, admitted_on.day, 14, 0, tzinfo=LONDON)
    expected = datetime(expires_on.year, expires_on.month, expires_on.day, tzinfo=LONDON)
    assert statutory_expiry("s3", admitted) == expected


def test_s3_admitted_in_winter_expires_at_bst_midnight() -> None:
    assert statutory_expiry("s3", london(2026, 1, 15, 10, 0)) == utc(2026, 7, 14, 23, 0)


def test_s3_admitted_in_summer_expires_at_gmt_midnight() -> None:
    assert statutory_expiry("s3", london(2026, 7, 15, 10, 0)) == utc(2027, 1, 15, 0, 0)


@pytest.mark.parametrize(
    "start, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 5, 31), -3, date(2026, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
        (date(1900, 8, 31), 6, date(1901, 2, 28)),
        (date(1999, 8, 31), 6, date(2000, 2, 29)),  # 2000 is a leap year
        (date(2099, 8, 31), 6, date(2100, 2, 28)),  # 2100 is not
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# --- s136B extensions --------------------------------------------------------------------

ARRIVED = utc(2026, 6, 10, 9, 0)


@pytest.mark.parametrize("status", ["s136", "s135_1"])
@pytest.mark.parametrize("extension, total_hours", [(0, 24), (1, 25), (6, 30), (12, 36)])
def test_extension_adds_hours_to_s136_and_s135(status: str, extension: int, total_hours: int) -> None:
    assert statutory_expiry(status, ARRIVED, extension_hours=extension) == ARRIVED + timedelta(hours=total_hours)


def test_extended_s136_runs_36_elapsed_hours_across_fall_back() -> None:
    expiry = statutory_expiry("s136", london(2026, 10, 24, 12, 0), extension_hours=12)
    assert expiry == utc(2026, 10, 25, 23, 0)
    assert expiry is not None
    assert expiry.astimezone(LONDON).hour == 23


@pytest.mark.parametrize("extension", [-1, 13, 24])
def test_extension_outside_0_to_12_hours_is_an_error(extension: int) -> None:
    with pytest.raises(ClockError, match="0 to 12"):
        statutory_expiry("s136", ARRIVED, extension_hours=extension)


@pytest.mark.parametrize("status", ["s5_2", "s5_4", "s4", "s2", "s3", "community", "police_custody", "s135_2"])
def test_extension_on_a_status_that_cannot_be_extended_is_an_error(status: str) -> None:
    with pytest.raises(ClockError, match="Only s136 and s135"):
        statutory_expiry(status, ARRIVED, extension_hours=1)


def test_max_extension_is_twelve_hours() -> None:
    assert MAX_EXTENSION_HOURS == 12


@pytest.mark.parametrize("status", ["s136", "s135_1"])
@pytest.mark.parametrize(
    "requested, already, at",
    [
        (12, 0, ARRIVED + timedelta(hours=20)),
        (1, 0, ARRIVED),  # at the moment of arrival
        (6, 6, ARRIVED + timedelta(hours=23)),  # a second extension, still within the first 24 h
        (1, 11, ARRIVED + timedelta(hours=23, minutes=59, seconds=59)),
    ],
)
def test_extension_allowed_within_twelve_hours_total_before_24_hours_expire(
    status: str, requested: int, already: int, at: datetime
) -> None:
    check_extension(status, ARRIVED, requested_hours=requested, at=at, already_extended_hours=already)


@pytest.mark.parametrize("requested, already", [(13, 0), (7, 6), (1, 12), (12, 1)])
def test_extension_over_twelve_hours_total_is_refused(requested: int, already: int) -> None:
    with pytest.raises(ClockError, match="most allowed is 12 .36 hours in all"):
        check_extension(
            "s136",
            ARRIVED,
            requested_hours=requested,
            at=ARRIVED + timedelta(hours=10),
            already_extended_hours=already,
        )


@pytest.mark.parametrize(
    "at",
    [
        ARRIVED + timedelta(hours=24),  # exactly at expiry
        ARRIVED + timedelta(hours=24, seconds=1),
        ARRIVED + timedelta(hours=30),
    ],
)
def test_extension_after_24_hours_expire_is_refused(at: datetime) -> None:
    with pytest.raises(ClockError, match="only be made before the first 24 hours expire"):
        check_extension("s136", ARRIVED, requested_hours=6, at=at)


def test_further_extension_during_an_extension_already_granted_is_refused() -> None:
    # 6 h granted; at hour 26 the detention is still lawful but the 24 h have expired.
    with pytest.raises(ClockError, match="before the first 24 hours expire"):
        check_extension("s136", ARRIVED, requested_hours=6, at=ARRIVED + timedelta(hours=26), already_extended_hours=6)


def test_extension_before_the_detention_began_is_refused() -> None:
    with pytest.raises(ClockError, match="before the detention began"):
        check_extension("s136", ARRIVED, requested_hours=6, at=ARRIVED - timedelta(minutes=1))


@pytest.mark.parametrize(
    "status", ["s5_2", "s5_4", "s4", "s2", "s3", "informal_inpatient", "community", "police_custody", "nr_request"]
)
def test_extension_refused_for_statuses_other_than_s136_and_s135(status: str) -> None:
    with pytest.raises(ClockError, match="Only s136 and s135 detentions can be extended"):
        check_extension(status, ARRIVED, requested_hours=1, at=ARRIVED)


def test_extension_refused_for_unknown_status() -> None:
    with pytest.raises(ClockError, match="Unknown legal status"):
        check_extension("s999", ARRIVED, requested_hours=1, at=ARRIVED)


def test_extension_refused_without_a_start_time() -> None:
    with pytest.raises(ClockError, match="Record when the detention began"):
        check_extension("s136", None, requested_hours=1, at=ARRIVED)


@pytest.mark.parametrize("requested", [0, -1])
def test_extension_must_be_at_least_one_hour(requested: int) -> None:
    with pytest.raises(ClockError, match="at least 1 hour"):
        check_extension("s136", ARRIVED, requested_hours=requested, at=ARRIVED)


def test_negative_hours_already_extended_is_an_error() -> None:
    with pytest.raises(ClockError, match="cannot be negative"):
        check_extension("s136", ARRIVED, requested_hours=1, at=ARRIVED, already_extended_hours=-1)


@pytest.mark.parametrize(
    "started_at, at",
    [
        (datetime(2026, 6, 10, 9, 0), ARRIVED),
        (ARRIVED, datetime(2026, 6, 10, 10, 0)),
    ],
)
def test_extension_rejects_naive_datetimes(started_at: datetime, at: datetime) -> None:
    with pytest.raises(ClockError, match="timezone-aware"):
        check_extension("s136", started_at, requested_hours=1, at=at)


def test_extension_check_across_spring_forward_uses_elapsed_hours() -> None:
    arrived = london(2026, 3, 28, 12, 0)
    # 12:30 BST on 29 March is only 23.5 elapsed hours later: still in time.
    check_extension("s136", arrived, requested_hours=12, at=london(2026, 3, 29, 12, 30))
    with pytest.raises(ClockError):
        check_extension("s136", arrived, requested_hours=12, at=london(2026, 3, 29, 13, 0))


# --- due_at ------------------------------------------------------------------------------

TARGETS = {
    "emergency": timedelta(hours=1),
    "urgent": timedelta(hours=4),
    "soon": timedelta(hours=24),
    "routine": timedelta(days=5),
}
RECEIVED = utc(2026, 6, 10, 9, 0)
MARGIN = timedelta(hours=2)


@pytest.mark.parametrize(
    "priority, expires_at, expected",
    [
        # target comes first
        ("emergency", RECEIVED + timedelta(hours=24), RECEIVED + timedelta(hours=1)),
        ("urgent", RECEIVED + timedelta(hours=24), RECEIVED + timedelta(hours=4)),
        # margin before the statutory expiry comes first
        ("soon", RECEIVED + timedelta(hours=6), RECEIVED + timedelta(hours=4)),
        ("routine", RECEIVED + timedelta(days=2), RECEIVED + timedelta(days=2, hours=-2)),
        # both the same instant
        ("urgent", RECEIVED + timedelta(hours=6), RECEIVED + timedelta(hours=4)),
        # no statutory clock: target alone
        ("routine", None, RECEIVED + timedelta(days=5)),
        ("emergency", None, RECEIVED + timedelta(hours=1)),
        # received with less than the margin left: already due
        ("soon", RECEIVED + timedelta(hours=1), RECEIVED - timedelta(hours=1)),
        ("urgent", RECEIVED - timedelta(hours=3), RECEIVED - timedelta(hours=5)),
    ],
)
def test_due_at_is_the_earlier_of_margin_before_expiry_and_response_target(
    priority: str, expires_at: datetime | None, expected: datetime
) -> None:
    result = due_at(
        received_at=RECEIVED,
        priority=priority,
        statutory_expires_at=expires_at,
        safety_margin=MARGIN,
        targets=TARGETS,
    )
    assert result == expected
    assert result.tzinfo is UTC


def test_due_at_with_zero_margin_is_the_statutory_expiry() -> None:
    expires = RECEIVED + timedelta(hours=3)
    result = due_at(
        received_at=RECEIVED, priority="soon", statutory_expires_at=expires, safety_margin=timedelta(0), targets=TARGETS
    )
    assert result == expires


def test_due_at_uses_elapsed_time_for_targets_across_a_clock_change() -> None:
    received = london(2026, 3, 28, 12, 0)
    result = due_at(
        received_at=received, priority="soon", statutory_expires_at=None, safety_margin=MARGIN, targets=TARGETS
    )
    assert result.astimezone(LONDON).hour == 13  # 24 elapsed hours later is 13:00 BST


@pytest.mark.parametrize("priority", ["", "EMERGENCY", "critical", "p1"])
def test_due_at_rejects_unknown_priority(priority: str) -> None:
    with pytest.raises(ClockError, match="Unknown priority"):
        due_at(
            received_at=RECEIVED, priority=priority, statutory_expires_at=None, safety_margin=MARGIN, targets=TARGETS
        )


def test_due_at_rejects_a_priority_with_no_target() -> None:
    with pytest.raises(ClockError, match="No response target"):
        due_at(
            received_at=RECEIVED,
            priority="routine",
            statutory_expires_at=None,
            safety_margin=MARGIN,
            targets={"emergency": timedelta(hours=1)},
        )


def test_due_at_rejects_negative_margin_and_targets() -> None:
    with pytest.raises(ClockError, match="safety_margin"):
        due_at(
            received_at=RECEIVED,
            priority="urgent",
            statutory_expires_at=None,
            safety_margin=timedelta(minutes=-1),
            targets=TARGETS,
        )
    with pytest.raises(ClockError, match="cannot be negative"):
        due_at(
            received_at=RECEIVED,
            priority="urgent",
            statutory_expires_at=None,
            safety_margin=MARGIN,
            targets={"urgent": timedelta(hours=-1)},
        )


@pytest.mark.parametrize(
    "received, expires",
    [
        (datetime(2026, 6, 10, 9, 0), None),
        (RECEIVED, datetime(2026, 6, 11, 9, 0)),
    ],
)
def test_due_at_rejects_naive_datetimes(received: datetime, expires: datetime | None) -> None:
    with pytest.raises(ClockError, match="timezone-aware"):
        due_at(
            received_at=received, priority="urgent", statutory_expires_at=expires, safety_margin=MARGIN, targets=TARGETS
        )


# --- default_priority --------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, expected",
    [
        ("s136", "emergency"),
        ("s5_4", "emergency"),
        ("s135_1", "urgent"),
        ("s135_2", "urgent"),
        ("s5_2", "urgent"),
        ("s4", "urgent"),
        ("police_custody", "urgent"),
        ("s2", "soon"),
        ("s3", "soon"),
        ("nr_request", "soon"),
        ("informal_inpatient", "soon"),
        ("community", "routine"),
    ],
)
def test_default_priority_by_status_when_the_clock_is_far_off(status: str, expected: str) -> None:
    assert default_priority(status, statutory_expires_at=NOW + timedelta(days=10), now=NOW) == expected
    assert default_priority(status, statutory_expires_at=None, now=NOW) == expected


@pytest.mark.parametrize("status", ["s135_1", "s5_2", "s4", "s2", "s3", "community", "nr_request"])
@pytest.mark.parametrize(
    "remaining",
    [timedelta(hours=12), timedelta(hours=11, minutes=59), timedelta(minutes=1), timedelta(0), timedelta(hours=-3)],
)
def test_default_priority_is_emergency_when_the_clock_runs_out_within_12_hours(
    status: str, remaining: timedelta
) -> None:
    assert default_priority(status, statutory_expires_at=NOW + remaining, now=NOW) == "emergency"


@pytest.mark.parametrize("status, expected", [("s4", "urgent"), ("s2", "soon"), ("community", "routine")])
def test_default_priority_just_over_12_hours_follows_the_status(status: str, expected: str) -> None:
    expires = NOW + timedelta(hours=12, seconds=1)
    assert default_priority(status, statutory_expires_at=expires, now=NOW) == expected


def test_default_priority_for_real_clocks() -> None:
    admitted = NOW - timedelta(days=27, hours=14)
    s2_expiry = statutory_expiry("s2", admitted)
    assert s2_expiry is not None and s2_expiry - NOW <= timedelta(hours=12)
    assert default_priority("s2", statutory_expires_at=s2_expiry, now=NOW) == "emergency"
    s4_expiry = statutory_expiry("s4", NOW - timedelta(hours=1))
    assert default_priority("s4", statutory_expires_at=s4_expiry, now=NOW) == "urgent"


def test_default_priority_rejects_unknown_status_and_naive_datetimes() -> None:
    with pytest.raises(ClockError, match="Unknown legal status"):
        default_priority("s99", statutory_expires_at=None, now=NOW)
    with pytest.raises(ClockError, match="timezone-aware"):
        default_priority("s2", statutory_expires_at=None, now=datetime(2026, 6, 1, 12, 0))
    with pytest.raises(ClockError, match="timezone-aware"):
        default_priority("s2", statutory_expires_at=datetime(2026, 6, 1, 12, 0), now=NOW)


# --- countdown and is_breached -----------------------------------------------------------


@pytest.mark.parametrize(
    "delta, text",
    [
        (timedelta(hours=3, minutes=12), "due in 3 h 12 min"),
        (timedelta(hours=3, minutes=12, seconds=59), "due in 3 h 12 min"),  # rounded down
        (timedelta(minutes=45), "due in 45 min"),
        (timedelta(days=2, hours=4), "due in 2 days 4 h"),
        (timedelta(days=2, hours=4, minutes=59), "due in 2 days 4 h"),
        (timedelta(days=1, hours=1), "due in 1 day 1 h"),
        (timedelta(days=1), "due in 1 day"),
        (timedelta(days=27, hours=23), "due in 27 days 23 h"),
        (timedelta(hours=1), "due in 1 h"),
        (timedelta(hours=23, minutes=59), "due in 23 h 59 min"),
        (timedelta(minutes=1), "due in 1 min"),
        (timedelta(seconds=59), "due in less than 1 min"),
        (timedelta(0), "due in less than 1 min"),
        (timedelta(seconds=-30), "overdue by less than 1 min"),
        (timedelta(minutes=-1), "overdue by 1 min"),
        (-timedelta(hours=1, minutes=5), "overdue by 1 h 5 min"),
        (-timedelta(hours=1, minutes=5, seconds=40), "overdue by 1 h 5 min"),
        (-timedelta(hours=2), "overdue by 2 h"),
        (-timedelta(days=3, hours=2, minutes=7), "overdue by 3 days 2 h"),
    ],
)
def test_countdown_wording(delta: timedelta, text: str) -> None:
    assert countdown(NOW + delta, NOW) == text


def test_countdown_counts_elapsed_time_across_a_clock_change() -> None:
    now = london(2026, 10, 24, 12, 0)
    assert countdown(london(2026, 10, 25, 12, 0), now) == "due in 1 day 1 h"


def test_countdown_compares_instants_in_different_zones() -> None:
    assert countdown(london(2026, 6, 1, 14, 0), NOW) == "due in 1 h"  # 14:00 BST is 13:00 UTC


def test_countdown_rejects_naive_datetimes() -> None:
    with pytest.raises(ClockError):
        countdown(datetime(2026, 6, 1, 12, 0), NOW)
    with pytest.raises(ClockError):
        countdown(NOW, datetime(2026, 6, 1, 12, 0))


@pytest.mark.parametrize(
    "expires_at, breached",
    [
        (None, False),
        (NOW + timedelta(seconds=1), False),
        (NOW + timedelta(days=1), False),
        (NOW, True),  # the power ends at the expiry instant
        (NOW - timedelta(seconds=1), True),
        (london(2026, 6, 1, 13, 0), True),  # 13:00 BST is 12:00 UTC
        (london(2026, 6, 1, 13, 1), False),
    ],
)
def test_is_breached_at_or_after_expiry(expires_at: datetime | None, breached: bool) -> None:
    assert is_breached(expires_at, NOW) is breached


def test_is_breached_rejects_naive_datetimes() -> None:
    with pytest.raises(ClockError):
        is_breached(datetime(2026, 6, 1, 12, 0), NOW)
    with pytest.raises(ClockError):
        is_breached(None, datetime(2026, 6, 1, 12, 0))


# --- s12(1), s11(5), s6(1) date rules ----------------------------------------------------


@pytest.mark.parametrize(
    "first, second, ok",
    [
        (date(2026, 6, 1), date(2026, 6, 1), True),
        (date(2026, 6, 1), date(2026, 6, 2), True),
        (date(2026, 6, 1), date(2026, 6, 7), True),  # 5 clear days: 2nd to 6th
        (date(2026, 6, 1), date(2026, 6, 8), False),
        (date(2026, 6, 7), date(2026, 6, 1), True),  # order does not matter
        (date(2026, 6, 8), date(2026, 6, 1), False),
        (date(2026, 2, 26), date(2026, 3, 4), True),  # over a short month end
        (date(2026, 2, 26), date(2026, 3, 5), False),
        (date(2028, 2, 26), date(2028, 3, 3), True),  # leap year
        (date(2028, 2, 26), date(2028, 3, 4), False),
        (date(2026, 12, 29), date(2027, 1, 4), True),
        (date(2026, 3, 26), date(2026, 4, 1), True),  # across the spring clock change
    ],
)
def test_medical_examinations_no_more_than_five_clear_days_apart(first: date, second: date, ok: bool) -> None:
    assert medical_examinations_close_enough(first, second) is ok


@pytest.mark.parametrize(
    "seen_on, application_on, ok",
    [
        (date(2026, 6, 15), date(2026, 6, 15), True),  # same day
        (date(2026, 6, 2), date(2026, 6, 15), True),  # first of the 14 days
        (date(2026, 6, 1), date(2026, 6, 15), False),  # 15 days ending with the application
        (date(2026, 6, 16), date(2026, 6, 15), False),  # seen after the application
        (date(2026, 2, 17), date(2026, 3, 2), True),
        (date(2026, 2, 16), date(2026, 3, 2), False),
        (date(2028, 2, 18), date(2028, 3, 2), True),  # leap year: 29 February counts
        (date(2028, 2, 17), date(2028, 3, 2), False),
    ],
)
def test_applicant_saw_patient_within_14_days_ending_with_application(
    seen_on: date, application_on: date, ok: bool
) -> None:
    assert applicant_saw_patient_in_time(seen_on, application_on) is ok


@pytest.mark.parametrize(
    "examined_on, last_day",
    [
        (date(2026, 6, 1), date(2026, 6, 14)),
        (date(2026, 6, 20), date(2026, 7, 3)),
        (date(2026, 2, 20), date(2026, 3, 5)),
        (date(2028, 2, 20), date(2028, 3, 4)),  # leap year
        (date(2026, 12, 25), date(2027, 1, 7)),
    ],
)
def test_conveyance_deadline_is_the_14th_day_beginning_with_the_last_examination(
    examined_on: date, last_day: date
) -> None:
    assert conveyance_deadline(examined_on) == last_day


def test_date_rules_refuse_datetimes() -> None:
    moment = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    with pytest.raises(ClockError, match="must be a date"):
        medical_examinations_close_enough(moment, date(2026, 6, 2))
    with pytest.raises(ClockError, match="must be a date"):
        applicant_saw_patient_in_time(date(2026, 6, 1), moment)
    with pytest.raises(ClockError, match="must be a date"):
        conveyance_deadline(moment)


# --- same-zone datetimes are compared as instants ----------------------------------------
# Python compares and subtracts two datetimes that share a tzinfo by wall clock, ignoring
# the offset; every function must still work in instants.


def test_is_breached_compares_instants_in_the_repeated_autumn_hour() -> None:
    expires = london(2026, 10, 25, 1, 30, fold=1)  # second 01:30, GMT: 01:30 UTC
    assert not is_breached(expires, london(2026, 10, 25, 1, 45, fold=0))  # first 01:45, BST: 00:45 UTC
    assert is_breached(expires, london(2026, 10, 25, 1, 30, fold=1))


def test_default_priority_measures_12_hours_elapsed_across_spring_forward() -> None:
    now = london(2026, 3, 28, 14, 30)  # GMT
    expires = london(2026, 3, 29, 3, 0)  # BST: 11.5 h later though the clock moves 12.5 h
    assert default_priority("s2", statutory_expires_at=expires, now=now) == "emergency"


def test_extension_start_check_compares_instants_in_the_repeated_autumn_hour() -> None:
    arrived = london(2026, 10, 25, 1, 50, fold=0)  # 00:50 UTC
    check_extension("s136", arrived, requested_hours=1, at=london(2026, 10, 25, 1, 10, fold=1))  # 01:10 UTC
    with pytest.raises(ClockError, match="before the detention began"):
        check_extension("s136", arrived, requested_hours=1, at=london(2026, 10, 25, 1, 10, fold=0))


def test_countdown_in_the_repeated_autumn_hour() -> None:
    assert countdown(london(2026, 10, 25, 1, 10, fold=1), london(2026, 10, 25, 1, 50, fold=0)) == "due in 20 min"


# --- held_past_expiry: a breach is being held after the power ends, not being seen after it ---------------------

# An s136 detention from 02:00 GMT on Saturday 28 March 2026 ends 24 elapsed hours later: 02:00 UTC on
# Sunday 29 March, which is 03:00 BST (the clocks went forward at 01:00 UTC).
S136_END = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("application_at", "released_at", "now", "breached"),
    [
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), None, datetime(2026, 3, 30, tzinfo=UTC), False),  # 02:30 BST
        (datetime(2026, 3, 29, 2, 30, tzinfo=UTC), None, datetime(2026, 3, 30, tzinfo=UTC), True),  # 03:30 BST
        (S136_END, None, datetime(2026, 3, 30, tzinfo=UTC), True),  # at the instant the power ends
        (None, datetime(2026, 3, 29, 1, 59, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), False),  # released
        (None, datetime(2026, 3, 29, 2, 1, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), True),  # released late
        (None, None, datetime(2026, 3, 29, 1, 59, tzinfo=UTC), False),  # still held, a minute left
        (None, None, S136_END, True),  # still held when the power ends
    ],
)
def test_held_past_expiry_is_the_breach_across_the_clock_change(
    application_at: datetime | None, released_at: datetime | None, now: datetime, breached: bool
) -> None:
    from referrals.clocks import held_past_expiry

    assert held_past_expiry(S136_END, application_at=application_at, released_at=released_at, now=now) is breached


def test_held_past_expiry_without_a_time_limit_is_never_a_breach() -> None:
    from referrals.clocks import held_past_expiry

    assert held_past_expiry(None, application_at=None, released_at=None, now=S136_END) is False


def test_s135_2_retaking_warrant_has_no_clock_of_its_own() -> None:
    # s135(2) retakes a patient already liable to be detained: the underlying deadline applies.
    assert statutory_expiry("s135_2", ARRIVED) is None
