"""UK wall-clock times typed by people, turned into instants (pure, no database).

Twice a year a typed Europe/London time is not one instant:

* the night the clocks go back (last Sunday of October, 02:00 BST → 01:00 GMT), 01:00-01:59
  happens twice, first in BST (UTC+1) and then in GMT (UTC+0): the user must say which;
* the night the clocks go forward (last Sunday of March, 01:00 GMT → 02:00 BST), 01:00-01:59
  never happens: such a time is refused, saying why.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from amhp_hub.common.zone import LONDON

BST = "BST"
GMT = "GMT"
CLOCKS = (BST, GMT)


class WallClockError(ValueError):
    """A typed London time that is missing, or ambiguous without saying BST or GMT."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_ambiguous(naive: datetime) -> bool:
    """Return True if NAIVE London wall time happened twice (the hour the clocks go back)."""
    return naive.replace(tzinfo=LONDON, fold=0).utcoffset() != naive.replace(tzinfo=LONDON, fold=1).utcoffset()


def is_missing(naive: datetime) -> bool:
    """Return True if NAIVE London wall time never happened (the hour the clocks go forward)."""
    there_and_back = naive.replace(tzinfo=LONDON).astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    return there_and_back != naive


def london_instant(naive: datetime, clock: str = "") -> datetime:
    """Return the UTC instant of NAIVE London wall time; CLOCK ("BST" or "GMT") picks the repeated hour.

    Raise WallClockError "missing" for a time in the spring gap and "ambiguous" for a time in the
    repeated autumn hour with no CLOCK (or a CLOCK that is neither BST nor GMT). Outside those
    hours CLOCK is ignored: there is only one such time.
    """
    if naive.tzinfo is not None:
        raise ValueError("london_instant takes a naive wall-clock time")
    when = f"{naive:%H:%M} on {naive.day} {naive:%B %Y}"
    if is_missing(naive):
        raise WallClockError(
            "missing",
            f"There was no {when}: the clocks went forward from 01:00 GMT to 02:00 BST. "
            "Enter a time before 01:00 or from 02:00.",
        )
    if is_ambiguous(naive):
        if clock not in CLOCKS:
            first = naive.replace(tzinfo=LONDON, fold=0).astimezone(UTC)
            raise WallClockError(
                "ambiguous",
                f"{when} happened twice: the clocks went back from 02:00 BST to 01:00 GMT. "
                f"Choose BST for the first ({first:%H:%M} UTC) or GMT for the second "
                f"({first + timedelta(hours=1):%H:%M} UTC).",
            )
        return naive.replace(tzinfo=LONDON, fold=0 if clock == BST else 1).astimezone(UTC)
    return naive.replace(tzinfo=LONDON).astimezone(UTC)
