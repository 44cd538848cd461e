"""NHS number normalising, validation, formatting and demo generation.

Pure functions: no database, no Django. An NHS number is 10 digits; the last is a
modulus 11 check digit over the first nine (weights 10 down to 2). Input may contain
spaces and hyphens, as people type "943 476 5919" or "943-476-5919"; stored values
are the bare 10 digits.

Validation checks length, digits and the check digit only. It does not check the
issuing range (England and Wales issue 4xx to 9xx), so Scottish CHI numbers and the
999 test range are accepted as they pass the same check.
"""

from __future__ import annotations

import random

NHS_NUMBER_LENGTH = 10

# Weights applied to digits 1 to 9, in order.
_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)

# NHS England reserves numbers beginning 999 for testing, so demo data never
# collides with a real person's number.
TEST_RANGE_PREFIX = "999"

ERROR_EMPTY = "Enter an NHS number"
ERROR_CHARACTERS = "NHS number must only include numbers 0 to 9, spaces and hyphens"
ERROR_LENGTH = "Enter an NHS number with 10 digits"
ERROR_CHECK_DIGIT = "Enter a valid NHS number – the check digit does not match"


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit() alone accepts non-ASCII digits such as "٣" or "²".
    return value.isascii() and value.isdigit()


def normalise_nhs_number(raw: str) -> str:
    """Return ``raw`` with all whitespace and hyphens removed.

    Nothing else is changed or checked: letters and other punctuation stay, so the
    result can still be invalid. ``normalise_nhs_number(" 943-476 5919 ")`` returns
    ``"9434765919"``.
    """
    return "".join(ch for ch in raw if not ch.isspace() and ch != "-")


def nhs_check_digit(first_nine: str) -> int | None:
    """Return the check digit (0 to 9) for the first nine digits of an NHS number.

    Return None if no valid NHS number can start with these nine digits (the
    modulus 11 calculation gives 10). Raise ValueError unless ``first_nine`` is
    exactly nine ASCII digits.
    """
    if len(first_nine) != 9 or not _is_ascii_digits(first_nine):
        raise ValueError(f"Expected nine digits, got {first_nine!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_error(raw: str) -> str | None:
    """Return a message saying what is wrong with ``raw``, or None if it is valid.

    ``raw`` is normalised first, so spaces and hyphens are allowed. The checks run in
    this order and the first failure wins: empty, characters other than digits,
    length other than 10, check digit. A number whose first nine digits give a
    check value of 10 can never be valid and gets the check digit message.
    """
    value = normalise_nhs_number(raw)
    if not value:
        return ERROR_EMPTY
    if not _is_ascii_digits(value):
        return ERROR_CHARACTERS
    if len(value) != NHS_NUMBER_LENGTH:
        return ERROR_LENGTH
    if nhs_check_digit(value[:9]) != int(value[9]):
        return ERROR_CHECK_DIGIT
    return None


def is_valid_nhs_number(value: str) -> bool:
    """Return True if ``value`` is exactly 10 ASCII digits with a matching check digit.

    ``value`` is not normalised: pass the output of ``normalise_nhs_number`` for
    user input. "943 476 5919" is therefore False, "9434765919" True.
    """
    if len(value) != NHS_NUMBER_LENGTH or not _is_ascii_digits(value):
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def format_nhs_number(value: str) -> str:
    """Return the number in the 3-3-4 display form, e.g. ``"943 476 5919"``.

    ``value`` is normalised first. The check digit is not verified, so a stored
    legacy number that fails the check can still be shown. Raise ValueError unless
    the normalised value is 10 ASCII digits.
    """
    digits = normalise_nhs_number(value)
    if len(digits) != NHS_NUMBER_LENGTH or not _is_ascii_digits(digits):
        raise ValueError(f"Cannot format {value!r} as an NHS number: it needs 10 digits")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def generate_nhs_number(rng: random.Random) -> str:
    """Return a valid NHS number in the 999 test range, drawn from ``rng``.

    The result is 10 digits, starts with 999 and passes ``is_valid_nhs_number``. The
    same seed gives the same sequence of numbers. Draws whose check value is 10 are
    discarded and redrawn (about 1 in 11).
    """
    while True:
        first_nine = f"{TEST_RANGE_PREFIX}{rng.randrange(10**6):06d}"
        check = nhs_check_digit(first_nine)
        if check is not None:
            return f"{first_nine}{check}"
