"""The rota designer's pure part: shift sets, building a rota from one, and choosing the best.

No database. A shift set is a list of daily shifts (Europe/London wall-clock start and
end, and how many AMHPs each needs). ``build_rota`` staffs it from the same people over
the same days, fairly and within the 11 h daily rest; ``recommend`` picks the best set
that the headcount can staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from planning.simulation import Practitioner, Report, ShiftSlot
from rota.shift_times import shift_bounds

REST = timedelta(hours=11)  # WTR reg. 10
WEEKLY_HOURS = 37.0  # a full-time contract; part-timers are counted as full-time by the designer


@dataclass(frozen=True)
class DailyShift:
    name: str
    start: time
    end: time
    cover: int

    def hours(self) -> float:
        start = self.start.hour + self.start.minute / 60
        end = self.end.hour + self.end.minute / 60
        return (end - start) % 24 or 24.0


@dataclass(frozen=True)
class ShiftSet:
    code: str
    name: str
    shifts: tuple[DailyShift, ...]

    def weekly_hours(self) -> float:
        """AMHP hours a week the set needs to be fully covered."""
        return sum(s.hours() * s.cover for s in self.shifts) * 7

    def headcount_needed(self) -> int:
        return -int(-self.weekly_hours() // WEEKLY_HOURS)

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "shifts": [[s.name, s.start.strftime("%H:%M"), s.end.strftime("%H:%M"), s.cover] for s in self.shifts],
        }

    @classmethod
    def from_json(cls, data: dict) -> ShiftSet:
        return cls(
            code=data["code"],
            name=data["name"],
            shifts=tuple(
                DailyShift(name, time.fromisoformat(start), time.fromisoformat(end), int(cover))
                for name, start, end, cover in data["shifts"]
            ),
        )


def _t(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


PRESETS: dict[str, ShiftSet] = {
    s.code: s
    for s in (
        ShiftSet(
            "nine_to_five",
            "09:00-17:00 only, with the EDT night",
            (DailyShift("Day", _t(9), _t(17), 6), DailyShift("EDT night", _t(17), _t(9), 2)),
        ),
        ShiftSet(
            "staggered",
            "Staggered 08:00-16:00 and 12:00-20:00, EDT from 20:00",
            (
                DailyShift("Early", _t(8), _t(16), 3),
                DailyShift("Late", _t(12), _t(20), 3),
                DailyShift("EDT night", _t(20), _t(8), 2),
            ),
        ),
        ShiftSet(
            "later_edt",
            "Day 09:00-17:00, late 12:00-20:00, EDT from 22:00",
            (
                DailyShift("Day", _t(9), _t(17), 3),
                DailyShift("Late", _t(12), _t(22), 3),
                DailyShift("EDT night", _t(22), _t(9), 2),
            ),
        ),
        ShiftSet(
            "current_shape",
            "Early, day, late and EDT night as the demo rota",
            (
                DailyShift("Early", _t(8), _t(16), 1),
                DailyShift("Day", _t(9), _t(17), 3),
                DailyShift("Late", _t(12), _t(20), 2),
                DailyShift("EDT night", _t(17), _t(9), 2),
            ),
        ),
    )
}


_SHIFT = re.compile(r"^(?P<name>.*?)\s*(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*[x×]\s*(?P<cover>\d+)$")


def parse_shift_set(code: str, name: str, text: str) -> ShiftSet:
    """Read "Early 08:00-16:00 x3, Late 12:00-20:00 x2" (name, wall-clock times, cover).

    Raise ValueError saying what is wrong.
    """
    shifts = []
    for part in [p.strip() for p in text.split(",") if p.strip()]:
        match = _SHIFT.match(part)
        try:
            if match is None:
                raise ValueError(part)
            shifts.append(
                DailyShift(
                    match["name"].strip() or "Shift",
                    time.fromisoformat(match["start"].zfill(5)),
                    time.fromisoformat(match["end"].zfill(5)),
                    int(match["cover"]),
                )
            )
        except ValueError as exc:
            raise ValueError(
                f"Write each shift as a name, HH:MM-HH:MM and xCOVER, e.g. Late 12:00-20:00 x2 (not {part!r})"
            ) from exc
    if not shifts:
        raise ValueError("Enter at least one shift, e.g. Late 12:00-20:00 x2")
    if any(not 1 <= s.cover <= 30 for s in shifts):
        raise ValueError("Cover must be 1 to 30 AMHPs a shift")
    if any(s.start == s.end for s in shifts):
        raise ValueError("A shift must end at a different time from its start")
    return ShiftSet(code=code, name=name, shifts=tuple(shifts))


def build_rota(shift_set: ShiftSet, people: Sequence[Practitioner], *, start: date, end: date) -> list[ShiftSlot]:
    """Staff SHIFT_SET on local days START..END from PEOPLE.

    Each shift goes to whoever has worked least so far among those approved that day, not
    on leave during it and with 11 h rest since their last shift; ties by name. A shift
    nobody can take is left uncovered (the simulation then finds fewer people on duty).
    """
    worked: dict[str, float] = {p.id: 0.0 for p in people}
    last_end: dict[str, datetime] = {}
    slots: list[ShiftSlot] = []
    day = start
    while day <= end:
        for shift in sorted(shift_set.shifts, key=lambda s: s.start):
            s_at, e_at = shift_bounds(day, shift.start, shift.end)
            free = [
                p
                for p in people
                if p.approved_on(day)
                and not p.on_leave(s_at, e_at)
                and (p.id not in last_end or last_end[p.id] + REST <= s_at)
            ]
            free.sort(key=lambda p: (worked[p.id], p.name, p.id))
            for person in free[: shift.cover]:
                slots.append(
                    ShiftSlot(
                        id=f"{shift_set.code}-{day.isoformat()}-{shift.name}-{person.id}",
                        amhp_id=person.id,
                        start=s_at,
                        end=e_at,
                        label=shift.name,
                    )
                )
                worked[person.id] += (e_at - s_at) / timedelta(hours=1)
                last_end[person.id] = e_at
        day += timedelta(days=1)
    return slots


def score(report: Report) -> tuple:
    """Lexicographic: statutory breaches, then 11 h rest breaks, then TOIL, then late finishes, then waits."""
    return (
        report.statutory_breaches,
        report.rest_breaches,
        report.toil_minutes,
        report.late_finishes,
        report.median_wait_hours or 0.0,
    )


def recommend(results: Iterable[tuple[ShiftSet, Report]], headcount: int) -> str | None:
    """The code of the best set the headcount can staff (``ShiftSet.headcount_needed``), or None."""
    fits = [(score(report), s.code) for s, report in results if s.headcount_needed() <= headcount]
    return min(fits)[1] if fits else None
