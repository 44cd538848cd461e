"""The after-5pm part of a stretch of work, worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planning.demand import after_5pm_seconds as after_hours_seconds

H = 3600


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 15:00-19:00 GMT on 5 January: 4 h, of which 17:00-19:00 = 2 h after 5pm.
        (datetime(2026, 1, 5, 15, tzinfo=UTC), datetime(2026, 1, 5, 19, tzinfo=UTC), (4 * H, 2 * H)),
        # 15:00-19:00 UTC on 1 July is 16:00-20:00 BST: 3 h after 5pm.
        (datetime(2026, 7, 1, 15, tzinfo=UTC), datetime(2026, 7, 1, 19, tzinfo=UTC), (4 * H, 3 * H)),
        # 22:00 GMT 28 March to 03:00 BST 29 March (02:00 UTC): 4 elapsed hours (the 01:00 hour never was);
        # after 5pm: 22:00-24:00 on the 28th = 2 h; nothing of the 29th's small hours.
        (datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC), (4 * H, 2 * H)),
        # 16:00 BST 25 October (15:00 UTC) to 01:00 GMT 26 October: 10 elapsed hours (01:00 came twice
        # that morning, not that evening); after 5pm: 17:00-24:00 GMT on the 25th = 7 h.
        (datetime(2026, 10, 25, 15, tzinfo=UTC), datetime(2026, 10, 26, 1, tzinfo=UTC), (10 * H, 7 * H)),
        # Two evenings: 16:00 on 5 January to 18:00 on 6 January (GMT): 26 h; 7 h + 1 h after 5pm.
        (datetime(2026, 1, 5, 16, tzinfo=UTC), datetime(2026, 1, 6, 18, tzinfo=UTC), (26 * H, 8 * H)),
        # A daytime stretch, and one ending before it starts.
        (datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 12, tzinfo=UTC), (3 * H, 0)),
        (datetime(2026, 1, 5, 12, tzinfo=UTC), datetime(2026, 1, 5, 9, tzinfo=UTC), (0, 0)),
    ],
)
def test_after_hours_seconds(start: datetime, end: datetime, expected: tuple[int, int]) -> None:
    assert after_hours_seconds(start, end) == expected


def test_after_hours_seconds_needs_aware_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        after_hours_seconds(datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 12, tzinfo=UTC))
