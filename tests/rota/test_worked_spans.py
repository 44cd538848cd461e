"""Each AMHP's recorded work beyond the rota is kept merged (WorkedSpan) as it is recorded.

The working-time checks (Working Time Regulations 1998, regs. 4, 10 and 11) judge the union of an
AMHP's shifts and their recorded work. The spans are that recorded work with overlapping or
touching periods joined, so the checks read a few rows instead of merging every late finish.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rota import services
from rota.models import WorkedPeriod, WorkedSpan
from rota.selectors import worked_intervals
from rota.timefmt import LONDON
from rota.working_time import Interval, merge_intervals

pytestmark = pytest.mark.django_db


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in January 2027 (GMT, clear of the clock changes)."""
    return datetime(2027, 1, day, hour, minute, tzinfo=LONDON)


def record(staff: Any, source_id: str, start: datetime, end: datetime) -> None:
    services.record_worked_period(
        staff_id=staff.pk, started_at=start, ended_at=end, source="assessment", source_id=source_id
    )


def spans(staff: Any) -> list[tuple[datetime, datetime]]:
    return [
        (s.astimezone(LONDON), e.astimezone(LONDON))
        for s, e in WorkedSpan.objects.filter(staff=staff).order_by("started_at").values_list("started_at", "ended_at")
    ]


def test_overlapping_and_touching_work_is_one_span_and_separate_work_another(amhp: Any) -> None:
    # Two assessments after a 17:00 shift end on Mon 11 Jan: 17:00-19:00 and 18:30-21:00 overlap;
    # a third, 21:00-22:00, starts as the second ends (no rest between them at all).
    record(amhp, "a", at(11, 17), at(11, 19))
    record(amhp, "b", at(11, 18, 30), at(11, 21))
    record(amhp, "c", at(11, 21), at(11, 22))
    # Tuesday evening's is apart from them.
    record(amhp, "d", at(12, 17), at(12, 18))

    assert spans(amhp) == [(at(11, 17), at(11, 22)), (at(12, 17), at(12, 18))]


def test_moving_or_removing_a_period_splits_the_span_it_held_together(amhp: Any) -> None:
    record(amhp, "a", at(11, 17), at(11, 19))
    record(amhp, "b", at(11, 18), at(11, 21))  # bridges a and c
    record(amhp, "c", at(11, 20), at(11, 23))
    assert spans(amhp) == [(at(11, 17), at(11, 23))]

    # b's times are corrected to the next evening: Monday falls apart into two spans.
    record(amhp, "b", at(12, 18), at(12, 19))
    assert spans(amhp) == [(at(11, 17), at(11, 19)), (at(11, 20), at(11, 23)), (at(12, 18), at(12, 19))]

    services.remove_worked_period(source="assessment", source_id="c")
    assert spans(amhp) == [(at(11, 17), at(11, 19)), (at(12, 18), at(12, 19))]
    # Removing what was never recorded changes nothing.
    services.remove_worked_period(source="assessment", source_id="never")
    assert WorkedPeriod.objects.count() == 2


def test_work_handed_to_another_amhp_leaves_the_first_and_joins_the_second(
    amhp: Any, make_staff: Any, service: Any
) -> None:
    other = make_staff("amhp", service=service, username="other")
    record(amhp, "a", at(11, 17), at(11, 19))
    record(other, "x", at(11, 19), at(11, 20))

    record(other, "a", at(11, 17), at(11, 19))  # the same record, now the other AMHP's

    assert spans(amhp) == []
    assert spans(other) == [(at(11, 17), at(11, 20))]


def test_spans_kept_piece_by_piece_equal_a_rebuild_and_the_plain_union(amhp: Any) -> None:
    # Random evenings of overlapping work over three weeks, recorded, moved and removed in any order.
    rng = random.Random(7)
    recorded: dict[str, Interval] = {}
    for _ in range(120):
        source_id = f"r{rng.randrange(40)}"
        if source_id in recorded and rng.random() < 0.25:
            services.remove_worked_period(source="assessment", source_id=source_id)
            del recorded[source_id]
            continue
        start = at(4 + rng.randrange(21), 16) + timedelta(minutes=15 * rng.randrange(24))
        end = start + timedelta(minutes=15 * (1 + rng.randrange(16)))
        record(amhp, source_id, start, end)
        recorded[source_id] = Interval(start, end)
    union = [(i.start, i.end) for i in merge_intervals(recorded.values())]
    assert spans(amhp) == union

    assert services.rebuild_worked_spans(service_id=amhp.service_id) == len(union)
    assert spans(amhp) == union


def test_the_checks_read_shifts_and_spans_in_one_query_however_much_work_was_recorded(amhp: Any) -> None:
    for n in range(60):  # sixty overlapping late finishes on one evening
        record(amhp, f"late-{n}", at(11, 17) + timedelta(minutes=n), at(11, 19) + timedelta(minutes=n))

    with CaptureQueriesContext(connection) as queries:
        worked = worked_intervals(staff_ids=[amhp.pk], start=at(4, 0), end=at(18, 0))

    assert len(queries) == 1  # the shifts and the spans, together
    assert worked[amhp.pk] == [Interval(at(11, 17), at(11, 19) + timedelta(minutes=59))]


def test_the_worked_time_is_the_live_shifts_not_lost_to_leave_and_the_spans_beyond_them(amhp: Any) -> None:
    from datetime import time

    from rota.models import Leave, Shift, ShiftType

    day_type = ShiftType.objects.create(
        service=amhp.service, code="day", name="Day", start_time=time(9), end_time=time(17), required_cover=1
    )

    def shift(day: int, **extra: Any) -> None:
        Shift.objects.create(
            service=amhp.service,
            shift_type=day_type,
            staff=amhp,
            day=at(day, 9).date(),
            starts_at=at(day, 9),
            ends_at=at(day, 17),
            **extra,
        )

    shift(11)
    record(amhp, "late-11", at(11, 17), at(11, 19))  # a late finish after it
    shift(12, cancelled_at=at(1, 0))  # cancelled: not worked
    shift(13)
    Leave.objects.create(staff=amhp, starts_at=at(13, 0), ends_at=at(14, 0))  # lost to a day's leave

    with CaptureQueriesContext(connection) as queries:
        worked = worked_intervals(staff_ids=[amhp.pk], start=at(4, 0), end=at(18, 0))

    assert len(queries) == 1
    assert sorted(worked[amhp.pk], key=lambda i: i.start) == [
        Interval(at(11, 9), at(11, 17)),
        Interval(at(11, 17), at(11, 19)),
    ]
