"""The deadline rules, each case worked by hand from the Act (UK clocks change 2026-03-29 and 2026-10-25)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

import pytest

from referrals.deadlines import (
    BREACHED,
    MET,
    NOT_APPLICABLE,
    RULES,
    RUNNING,
    CaseFacts,
    Deadline,
    LegalPeriod,
    case_deadlines,
    earliest_running,
    earliest_unmet,
    s2_deadline,
    s6_conveyance_deadline,
    s11_5_deadline,
)

LONDON = ZoneInfo("Europe/London")


class FactFields(TypedDict, total=False):
    """The CaseFacts fields a worked case sets besides its legal status history."""

    extension_hours: int
    examinations: Sequence[datetime]
    applicant_seen_at: datetime | None
    application_section: str
    application_signed_at: datetime | None
    conveyed_at: datetime | None
    admitted_at: datetime | None
    ended_at: datetime | None
    s29_ground: str
    s29_applied_on: date | None
    s29_decided_on: date | None
    s29_order_made: bool


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def one(deadlines: list[Deadline], rule: str) -> Deadline:
    found = [d for d in deadlines if d.rule == rule]
    assert len(found) == 1, [d.rule for d in deadlines]
    return found[0]


def facts(*history: tuple[str, datetime | None], **kwargs: Unpack[FactFields]) -> CaseFacts:
    return CaseFacts(history=[LegalPeriod(s, t) for s, t in history], **kwargs)


def test_rule_codes_and_provisions_are_the_contract() -> None:
    assert {rule: provision for rule, (provision, _) in RULES.items()} == {
        "detention_s136": "s136(2A)",
        "detention_s135": "s135(3ZA)",
        "holding_s5_4": "s5(4)",
        "holding_s5_2": "s5(2)",
        "emergency_s4": "s4(4)",
        "conveyance_s4": "s6(1)(b)",
        "conveyance_s6": "s6(1)(a)",
        "applicant_seen_s11_5": "s11(5)",
        "detention_s2": "s2(4)",
        "cto_recall_s17e": "s17F(8)",
    }


@pytest.mark.parametrize(
    "arrived, extension, due",
    [
        # s136(2A): 12:00 GMT on Sat 28 March + 24 elapsed hours = 12:00 UTC Sunday = 13:00 BST.
        (london(2026, 3, 28, 12, 0), 0, utc(2026, 3, 29, 12, 0)),
        # 12:00 BST (11:00 UTC) on Sat 24 October + 24 h = 11:00 UTC Sunday = 11:00 GMT.
        (london(2026, 10, 24, 12, 0), 0, utc(2026, 10, 25, 11, 0)),
        # s136B: + 12 h = 36 h: 11:00 UTC Sat + 36 h = 23:00 UTC Sunday = 23:00 GMT.
        (london(2026, 10, 24, 12, 0), 12, utc(2026, 10, 25, 23, 0)),
    ],
)
def test_s136_detention_runs_24_elapsed_hours_plus_s136b_across_clock_changes(
    arrived: datetime, extension: int, due: datetime
) -> None:
    deadline = one(case_deadlines(facts(("s136", arrived), extension_hours=extension), now=arrived), "detention_s136")
    assert (deadline.provision, deadline.due_at, deadline.state) == ("s136(2A)", due, RUNNING)


def test_s135_1_detention_runs_24_hours_s135_3za() -> None:
    # Arrival 09:00 UTC 10 June + 24 h = 09:00 UTC 11 June.
    deadline = one(case_deadlines(facts(("s135_1", utc(2026, 6, 10, 9))), now=utc(2026, 6, 10, 9)), "detention_s135")
    assert deadline.due_at == utc(2026, 6, 11, 9)


def test_s135_2_retaking_warrant_has_no_clock_of_its_own() -> None:
    deadline = one(case_deadlines(facts(("s135_2", utc(2026, 6, 10, 9))), now=utc(2026, 6, 12)), "detention_s135")
    assert (deadline.due_at, deadline.state) == (None, NOT_APPLICABLE)


def test_s5_2_after_s5_4_counts_72_hours_from_the_s5_4_record_s5_5() -> None:
    # s5(4) nurse's record 08:00 BST = 07:00 UTC 10 June; doctor's s5(2) report 12:00 BST = 11:00 UTC.
    # s5(5): 72 h from 07:00 UTC 10 June = 07:00 UTC 13 June (not 11:00 UTC from the report).
    result = case_deadlines(
        facts(("s5_4", london(2026, 6, 10, 8)), ("s5_2", london(2026, 6, 10, 12))), now=utc(2026, 6, 11)
    )
    assert one(result, "holding_s5_2").due_at == utc(2026, 6, 13, 7)
    s5_4 = one(result, "holding_s5_4")
    # s5(4): 6 h from 07:00 UTC = 13:00 UTC; the doctor arrived (s5(2) report) at 11:00 UTC: met.
    assert (s5_4.due_at, s5_4.state, s5_4.met_at) == (utc(2026, 6, 10, 13), MET, utc(2026, 6, 10, 11))


def test_s5_2_alone_runs_72_elapsed_hours_across_spring_forward() -> None:
    # Report 10:00 GMT Fri 27 March = 10:00 UTC; + 72 h = 10:00 UTC Mon 30 March = 11:00 BST.
    deadline = one(case_deadlines(facts(("s5_2", london(2026, 3, 27, 10))), now=utc(2026, 3, 28)), "holding_s5_2")
    assert deadline.due_at == utc(2026, 3, 30, 10)
    assert deadline.due_at.astimezone(LONDON).hour == 11


def test_s4_emergency_runs_72_hours_from_admission_across_fall_back() -> None:
    # Admitted 20:00 BST Sat 24 October = 19:00 UTC; + 72 h = 19:00 UTC Tue 27 October = 19:00 GMT.
    deadline = one(case_deadlines(facts(("s4", london(2026, 10, 24, 20))), now=utc(2026, 10, 25)), "emergency_s4")
    assert (deadline.provision, deadline.due_at) == ("s4(4)", utc(2026, 10, 27, 19))


def test_s4_conveyance_runs_24_hours_from_the_earlier_of_examination_and_application_s6_1_b() -> None:
    # Examined 09:00 UTC, application signed 10:00 UTC 10 June: 24 h from 09:00 = 09:00 UTC 11 June.
    result = case_deadlines(
        facts(
            ("s136", utc(2026, 6, 10, 2)),
            examinations=[utc(2026, 6, 10, 9)],
            application_section="s4",
            application_signed_at=utc(2026, 6, 10, 10),
        ),
        now=utc(2026, 6, 10, 11),
    )
    assert one(result, "conveyance_s4").due_at == utc(2026, 6, 11, 9)
    assert not [d for d in result if d.rule == "conveyance_s6"]


@pytest.mark.parametrize(
    "examined, due",
    [
        # 14 days beginning with Sat 31 January: 31 Jan .. 13 Feb; lapses at midnight starting 14 Feb (GMT).
        (london(2026, 1, 31, 15), utc(2026, 2, 14, 0)),
        # Fri 20 March .. Thu 2 April; midnight starting 3 April is BST, 23:00 UTC on 2 April.
        (london(2026, 3, 20, 10), utc(2026, 4, 2, 23)),
        # Tue 20 October (BST) .. Mon 2 November; midnight starting 3 November is GMT.
        (london(2026, 10, 20, 10), utc(2026, 11, 3, 0)),
    ],
)
def test_s6_conveyance_within_14_days_beginning_with_the_last_examination_s6_1_a(
    examined: datetime, due: datetime
) -> None:
    assert s6_conveyance_deadline(examined) == due
    result = case_deadlines(
        facts(("s136", examined - timedelta(hours=3)), examinations=[examined - timedelta(days=1), examined]),
        now=examined,
    )
    assert one(result, "conveyance_s6").due_at == due


def test_s11_5_application_within_14_days_ending_with_its_date_at_a_month_end() -> None:
    # Seen Sun 15 February 2026: 15..28 February are the 14 days (2026 is not a leap year), so an
    # application dated 28 February is in time and the window closes at midnight starting 1 March.
    assert s11_5_deadline(london(2026, 2, 15, 16)) == utc(2026, 3, 1, 0)
    result = case_deadlines(
        facts(
            ("community", None),
            applicant_seen_at=london(2026, 2, 15, 16),
            application_signed_at=london(2026, 2, 28, 23),
        ),
        now=utc(2026, 3, 2),
    )
    seen = one(result, "applicant_seen_s11_5")
    assert (seen.state, seen.met_at) == (MET, utc(2026, 2, 28, 23))


def test_s11_5_breached_when_the_application_is_signed_on_day_15() -> None:
    result = case_deadlines(
        facts(
            ("community", None), applicant_seen_at=london(2026, 2, 15, 16), application_signed_at=london(2026, 3, 1, 9)
        ),
        now=utc(2026, 3, 2),
    )
    assert one(result, "applicant_seen_s11_5").state == BREACHED


def test_s2_runs_28_days_beginning_with_admission_across_fall_back() -> None:
    # Admitted Sat 10 October 2026 (BST): 10 Oct .. 6 Nov are the 28 days; ends at midnight
    # starting 7 November, which is GMT.
    assert s2_deadline(london(2026, 10, 10, 14)) == utc(2026, 11, 7, 0)


def test_s2_after_s4_counts_from_the_s4_admission_s4_4_a() -> None:
    # s4 admission 22:00 GMT Sun 1 March; second recommendation turns it to s2 on 3 March.
    # 28 days beginning with 1 March = 1..28 March; ends at midnight starting 29 March (still GMT:
    # the clocks go forward at 01:00 UTC that day).
    result = case_deadlines(facts(("s4", london(2026, 3, 1, 22)), ("s2", london(2026, 3, 3, 10))), now=utc(2026, 3, 10))
    assert one(result, "detention_s2").due_at == utc(2026, 3, 29, 0)
    s4 = one(result, "emergency_s4")
    assert (s4.state, s4.met_at) == (MET, utc(2026, 3, 3, 10))


ADMITTED = london(2026, 6, 1, 15)  # s2 ends at midnight starting 29 June BST = 23:00 UTC 28 June


@pytest.mark.parametrize(
    "ground, applied, decided, order, due",
    [
        ("a", date(2026, 6, 20), None, False, utc(2026, 6, 28, 23)),  # ground (a): no s29(4) extension
        ("c", date(2026, 6, 30), None, False, utc(2026, 6, 28, 23)),  # applied after the 28 days ended
        ("c", date(2026, 6, 20), None, False, None),  # pending: s2 continues until it is disposed of
        # Order made Fri 10 July: 7 further days, 11..17 July; ends at midnight starting 18 July BST.
        ("d", date(2026, 6, 20), date(2026, 7, 10), True, utc(2026, 7, 17, 23)),
        # No order, disposed of 10 July: ends at the start of that day (the earlier reading).
        ("c", date(2026, 6, 20), date(2026, 7, 10), False, utc(2026, 7, 9, 23)),
    ],
)
def test_s2_is_extended_while_a_s29_application_on_ground_c_or_d_is_pending_s29_4(
    ground: str, applied: date, decided: date | None, order: bool, due: datetime | None
) -> None:
    got = s2_deadline(ADMITTED, s29_ground=ground, s29_applied_on=applied, s29_decided_on=decided, s29_order_made=order)
    assert got == due


def test_cto_recall_runs_72_hours_from_detention_in_hospital_s17f_8() -> None:
    # Detained in hospital 18:00 GMT Sat 28 March = 18:00 UTC; + 72 h = 18:00 UTC Tue 31 March = 19:00 BST.
    deadline = one(
        case_deadlines(facts(("cto_recall", london(2026, 3, 28, 18))), now=utc(2026, 3, 29)), "cto_recall_s17e"
    )
    assert (deadline.provision, deadline.due_at) == ("s17F(8)", utc(2026, 3, 31, 18))


def test_s136_is_met_by_the_signed_application_and_the_conveyance_clock_takes_over() -> None:
    arrived = utc(2026, 6, 10, 1)
    result = case_deadlines(
        facts(
            ("s136", arrived),
            examinations=[utc(2026, 6, 10, 9), utc(2026, 6, 10, 11)],
            application_section="s2",
            application_signed_at=utc(2026, 6, 10, 20),
        ),
        now=utc(2026, 6, 12),
    )
    s136 = one(result, "detention_s136")
    assert (s136.state, s136.met_at) == (MET, utc(2026, 6, 10, 20))
    # 14 days beginning with 10 June: lapses at midnight starting 24 June BST = 23:00 UTC 23 June.
    assert earliest_running(result) == one(result, "conveyance_s6")
    assert one(result, "conveyance_s6").due_at == utc(2026, 6, 23, 23)


def test_unmet_deadline_past_due_on_an_open_case_is_breached_and_stays_watched() -> None:
    arrived = utc(2026, 6, 10, 1)
    result = case_deadlines(facts(("s136", arrived)), now=arrived + timedelta(hours=25))
    s136 = one(result, "detention_s136")
    assert s136.state == BREACHED
    assert earliest_running(result) is None
    assert earliest_unmet(result) == s136


def test_closing_the_case_stops_the_clocks_and_shows_no_false_breach() -> None:
    arrived = utc(2026, 6, 10, 1)
    # Released after 10 h; seen two days later the deadline is met, not breached.
    result = case_deadlines(facts(("s136", arrived), ended_at=arrived + timedelta(hours=10)), now=utc(2026, 6, 12))
    s136 = one(result, "detention_s136")
    assert (s136.state, s136.met_at) == (MET, arrived + timedelta(hours=10))
    assert earliest_unmet(result) is None


def test_a_person_held_past_the_expiry_is_a_breach_even_once_released() -> None:
    arrived = utc(2026, 6, 10, 1)
    result = case_deadlines(facts(("s136", arrived), ended_at=arrived + timedelta(hours=26)), now=utc(2026, 6, 12))
    assert one(result, "detention_s136").state == BREACHED


def test_admission_under_s2_starts_the_28_days_and_meets_the_conveyance_deadline() -> None:
    result = case_deadlines(
        facts(
            ("s136", utc(2026, 6, 10, 1)),
            examinations=[utc(2026, 6, 10, 9)],
            application_section="s2",
            application_signed_at=utc(2026, 6, 10, 12),
            admitted_at=london(2026, 6, 11, 15),
        ),
        now=utc(2026, 6, 12),
    )
    assert one(result, "conveyance_s6").state == MET
    # 28 days beginning with 11 June: ends at midnight starting 9 July BST = 23:00 UTC 8 July.
    s2 = one(result, "detention_s2")
    assert (s2.due_at, s2.state) == (utc(2026, 7, 8, 23), RUNNING)
