"""How evenly duty is shared: per-person duty counts and hours, and a balance score.

The balance score is the one Grafana OnCall's schedule quality report uses: for every
pair of people, the smaller share divided by the larger, averaged over all pairs. It is
simple to explain ("on average, the lighter of any two people does 80% of the heavier
one's hours").

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import combinations

from rota.timefmt import require_aware


@dataclass(frozen=True)
class DutyStats:
    """One person's duty in a period: shifts touching it and elapsed hours inside it."""

    shifts: int
    hours: float


def duty_frequency(
    assignments: Iterable[tuple[str, datetime, datetime]],
    *,
    period_start: datetime,
    period_end: datetime,
    people: Iterable[str] = (),
) -> dict[str, DutyStats]:
    """Return shifts and hours per person for ``(person, start, end)`` assignments.

    Each assignment is clipped to ``[period_start, period_end)``. One that overlaps the
    period by any positive time counts as one shift, with only its hours inside the
    period; one outside it (or merely touching an edge) is ignored. Hours are elapsed,
    so a night spanning a clock change counts 15 or 17 hours. Assignments are counted as
    given: two overlapping assignments for one person both count.

    Everyone in ``people`` appears in the result, with zero shifts if they had none, so
    that the result can feed :func:`balance_score` for a whole team. The result is
    ordered by person.

    Raise ``ValueError`` for a naive datetime, an assignment that does not end after it
    starts, or a period that does not end after it starts.
    """
    require_aware(period_start, "period_start")
    require_aware(period_end, "period_end")
    if period_end <= period_start:
        raise ValueError("period_end must be after period_start")
    shifts: dict[str, int] = dict.fromkeys(people, 0)
    worked: dict[str, timedelta] = dict.fromkeys(people, timedelta(0))
    for person, start, end in assignments:
        require_aware(start, "start")
        require_aware(end, "end")
        if end <= start:
            raise ValueError(f"assignment for {person!r} must end after it starts: {start} to {end}")
        overlap = min(end, period_end) - max(start, period_start)
        if overlap <= timedelta(0):
            continue
        shifts[person] = shifts.get(person, 0) + 1
        worked[person] = worked.get(person, timedelta(0)) + overlap
    return {
        person: DutyStats(shifts=shifts[person], hours=worked[person] / timedelta(hours=1)) for person in sorted(shifts)
    }


def balance_score(hours_by_person: Mapping[str, float]) -> float:
    """Return the mean over all pairs of people of ``min(a, b) / max(a, b)``.

    1.0 means perfectly even; a pair where one person has no hours and the other has
    some scores 0. A pair where both have none counts as even (1.0). With fewer than two
    people there are no pairs and the score is 1.0. Raise ``ValueError`` for negative
    hours.
    """
    values = list(hours_by_person.values())
    if any(value < 0 for value in values):
        raise ValueError("hours cannot be negative")
    pairs = list(combinations(values, 2))
    if not pairs:
        return 1.0
    total = 0.0
    for a, b in pairs:
        larger = max(a, b)
        total += 1.0 if larger == 0 else min(a, b) / larger
    return total / len(pairs)
