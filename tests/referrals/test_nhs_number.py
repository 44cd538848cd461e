"""NHS number rules: normalising, mod 11 check digit, messages, display form, demo generator."""

from __future__ import annotations

import random

import pytest

from referrals.nhs_number import (
    ERROR_CHARACTERS,
    ERROR_CHECK_DIGIT,
    ERROR_EMPTY,
    ERROR_LENGTH,
    format_nhs_number,
    generate_nhs_number,
    is_valid_nhs_number,
    nhs_check_digit,
    nhs_number_error,
    normalise_nhs_number,
)

VALID = [
    "9434765919",
    "4010232137",
    "4505577104",
    "9000000009",
    "9990000018",
    "9990000050",  # remainder 0: check value 11 becomes 0
    "4010000090",  # remainder 0 outside the test range
]

# First nine digits whose check value is 10, so no check digit can make them valid.
CHECK_VALUE_TEN = ["400000008", "400000011", "999000000", "999000014"]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("9434765919", "9434765919"),
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        ("  943 - 476 - 5919  ", "9434765919"),
        ("943\t476\n5919", "9434765919"),
        ("943\u00a0476\u00a05919", "9434765919"),  # non-breaking spaces pasted from documents
        ("", ""),
        ("   ", ""),
        ("943/476/5919", "943/476/5919"),
        ("abc 123", "abc123"),
    ],
)
def test_normalise_removes_only_whitespace_and_hyphens(raw: str, expected: str) -> None:
    assert normalise_nhs_number(raw) == expected


@pytest.mark.parametrize("value", VALID)
def test_known_valid_numbers_are_valid(value: str) -> None:
    assert is_valid_nhs_number(value)
    assert nhs_number_error(value) is None


@pytest.mark.parametrize("value", VALID)
def test_every_other_check_digit_is_rejected(value: str) -> None:
    for digit in "0123456789":
        if digit != value[9]:
            wrong = value[:9] + digit
            assert not is_valid_nhs_number(wrong)
            assert nhs_number_error(wrong) == ERROR_CHECK_DIGIT


@pytest.mark.parametrize("first_nine", CHECK_VALUE_TEN)
def test_check_value_ten_can_never_be_valid(first_nine: str) -> None:
    assert nhs_check_digit(first_nine) is None
    for digit in "0123456789":
        assert not is_valid_nhs_number(first_nine + digit)
        assert nhs_number_error(first_nine + digit) == ERROR_CHECK_DIGIT


@pytest.mark.parametrize(
    "first_nine, expected",
    [
        ("943476591", 9),
        ("401023213", 7),
        ("999000005", 0),
        ("000000000", 0),
        ("999000000", None),
    ],
)
def test_check_digit_calculation(first_nine: str, expected: int | None) -> None:
    assert nhs_check_digit(first_nine) == expected


@pytest.mark.parametrize("bad", ["", "94347659", "9434765919", "94347659a", "９４３４７６５９１"])
def test_check_digit_needs_exactly_nine_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        nhs_check_digit(bad)


@pytest.mark.parametrize(
    "value",
    [
        "943 476 5919",  # is_valid does not normalise
        "943-476-5919",
        "943476591",  # 9 digits
        "94347659190",  # 11 digits
        "",
        "943476591X",
        "94347659l9",
        "+9434765919",
        "٩٤٣٤٧٦٥٩١٩",  # Arabic-Indic digits pass str.isdigit()
        "９４３４７６５９１９",  # full-width digits
        "9434765918",
    ],
)
def test_is_valid_rejects_anything_but_ten_ascii_digits_with_the_right_check(value: str) -> None:
    assert not is_valid_nhs_number(value)


@pytest.mark.parametrize(
    "raw, message",
    [
        ("", ERROR_EMPTY),
        ("  - ", ERROR_EMPTY),
        ("943 476 591", ERROR_LENGTH),
        ("943 476 59190", ERROR_LENGTH),
        ("1", ERROR_LENGTH),
        ("943 476 591X", ERROR_CHARACTERS),
        ("943.476.5919", ERROR_CHARACTERS),
        ("٩٤٣٤٧٦٥٩١٩", ERROR_CHARACTERS),
        ("ABC", ERROR_CHARACTERS),  # characters are reported before length
        ("943 476 5918", ERROR_CHECK_DIGIT),
        ("400-000-0080", ERROR_CHECK_DIGIT),
        ("943 476 5919", None),
        ("943-476-5919", None),
        (" 4010232137 ", None),
    ],
)
def test_nhs_number_error_gives_the_first_problem(raw: str, message: str | None) -> None:
    assert nhs_number_error(raw) == message


def test_messages_are_plain_sentences() -> None:
    assert ERROR_LENGTH == "Enter an NHS number with 10 digits"
    assert ERROR_CHECK_DIGIT == "Enter a valid NHS number – the check digit does not match"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("9434765919", "943 476 5919"),
        ("943 476 5919", "943 476 5919"),
        ("943-476-5919", "943 476 5919"),
        (" 94 3476 59 19 ", "943 476 5919"),
        ("9434765918", "943 476 5918"),  # check digit is not verified, so legacy values still display
    ],
)
def test_format_shows_three_three_four(raw: str, expected: str) -> None:
    assert format_nhs_number(raw) == expected


@pytest.mark.parametrize("raw", ["", "943476591", "94347659190", "943476591X"])
def test_format_refuses_values_without_ten_digits(raw: str) -> None:
    with pytest.raises(ValueError):
        format_nhs_number(raw)


def test_generator_always_gives_valid_test_range_numbers_over_many_seeds() -> None:
    for seed in range(500):
        rng = random.Random(seed)
        for _ in range(20):
            number = generate_nhs_number(rng)
            assert is_valid_nhs_number(number), (seed, number)
            assert number.startswith("999")
            assert nhs_number_error(number) is None


def test_generator_is_repeatable_for_a_seed_and_varies_between_draws() -> None:
    first = [generate_nhs_number(random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1
    rng = random.Random(42)
    drawn = [generate_nhs_number(rng) for _ in range(200)]
    assert drawn[0] == first[0]
    assert len(set(drawn)) > 190


def test_generator_skips_draws_whose_check_value_is_ten() -> None:
    class Scripted(random.Random):
        """Returns 000000 (prefix 999000000, check value 10) and then 000001."""

        def __init__(self) -> None:
            super().__init__(0)
            self.values = iter([0, 1])

        def randrange(self, *args: object, **kwargs: object) -> int:
            return next(self.values)

    assert generate_nhs_number(Scripted()) == "9990000018"
