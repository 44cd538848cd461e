from __future__ import annotations

from datetime import date

import pytest

from rota.bank_holidays import english_bank_holidays, is_bank_holiday

# GOV.UK, England and Wales, 2026.
EXPECTED_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),
}


def test_it_lists_the_2026_england_and_wales_bank_holidays() -> None:
    assert set(english_bank_holidays([2026])) == EXPECTED_2026


def test_it_returns_dates_in_order() -> None:
    days = list(english_bank_holidays([2027, 2026]))
    assert days == sorted(days)


@pytest.mark.parametrize(
    ("day", "name_part"),
    [
        (date(2026, 12, 25), "Christmas"),
        (date(2026, 12, 28), "Boxing Day"),
        (date(2026, 8, 31), "Summer"),
        (date(2026, 5, 4), "May"),
        (date(2026, 4, 3), "Good Friday"),
    ],
)
def test_it_names_the_holidays(day: date, name_part: str) -> None:
    assert name_part in english_bank_holidays([2026])[day]
    assert is_bank_holiday(day)


def test_it_marks_the_boxing_day_substitute() -> None:
    assert english_bank_holidays([2026])[date(2026, 12, 28)] == "Boxing Day (substitute day)"


def test_it_leaves_out_a_holiday_date_falling_on_a_saturday() -> None:
    assert date(2026, 12, 26) not in english_bank_holidays([2026])
    assert not is_bank_holiday(date(2026, 12, 26))


def test_it_leaves_out_scottish_holidays() -> None:
    assert not is_bank_holiday(date(2026, 1, 2))  # 2 January, Scotland only
    assert not is_bank_holiday(date(2026, 11, 30))  # St Andrew's Day
    assert not is_bank_holiday(date(2026, 8, 3))  # Scottish summer bank holiday


def test_it_leaves_out_northern_irish_holidays() -> None:
    assert not is_bank_holiday(date(2026, 3, 17))  # St Patrick's Day
    assert not is_bank_holiday(date(2026, 7, 13))  # Battle of the Boyne (substitute)


def test_ordinary_days_are_not_bank_holidays() -> None:
    assert not is_bank_holiday(date(2026, 6, 10))
    assert not is_bank_holiday(date(2026, 12, 24))


def test_christmas_on_a_sunday_moves_to_the_tuesday() -> None:
    # 2022: Christmas Day Sunday, Boxing Day Monday, substitute Tuesday 27 December.
    days = english_bank_holidays([2022])
    assert date(2022, 12, 25) not in days
    assert date(2022, 12, 26) in days
    assert days[date(2022, 12, 27)] == "Christmas Day (substitute day)"


def test_it_includes_one_off_holidays() -> None:
    assert is_bank_holiday(date(2023, 5, 8))  # coronation of King Charles III
    assert is_bank_holiday(date(2022, 9, 19))  # state funeral of Queen Elizabeth II


def test_it_combines_several_years_and_ignores_repeats() -> None:
    days = english_bank_holidays([2026, 2027, 2026])
    assert {day.year for day in days} == {2026, 2027}
    assert len(days) == len(english_bank_holidays([2026])) + len(english_bank_holidays([2027]))


def test_no_years_gives_no_holidays() -> None:
    assert english_bank_holidays([]) == {}


def test_every_bank_holiday_is_a_weekday() -> None:
    assert all(day.weekday() < 5 for day in english_bank_holidays(range(2015, 2031)))


def test_callers_may_change_the_result_without_affecting_later_calls() -> None:
    days = english_bank_holidays([2026])
    days.clear()
    assert english_bank_holidays([2026])
