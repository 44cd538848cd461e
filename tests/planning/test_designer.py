"""The rota designer: shift sets, staffing them fairly within the 11 h rest, runs kept, compared, and CSV."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from planning import designer, services
from planning.models import DesignRun
from rota.models import Service, StaffProfile
from tests.planning.helpers import person


def test_a_shift_set_is_read_from_plain_text_and_bad_text_says_how_to_write_it() -> None:
    parsed = designer.parse_shift_set("c", "Mine", "Early 08:00-16:00 x2, Late 12:00-20:00 x3")
    assert [(s.name, s.start, s.end, s.cover) for s in parsed.shifts] == [
        ("Early", time(8), time(16), 2),
        ("Late", time(12), time(20), 3),
    ]
    with pytest.raises(ValueError, match="HH:MM-HH:MM and xCOVER"):
        designer.parse_shift_set("c", "Mine", "Early from eight")


def test_headcount_needed_is_the_weekly_hours_over_a_full_time_week() -> None:
    # 09:00-17:00 x6 and 17:00-09:00 x2: (8*6 + 16*2) h a day = 80 h, 560 h a week, / 37 = 15.1, so 16.
    assert designer.PRESETS["nine_to_five"].weekly_hours() == 560
    assert designer.PRESETS["nine_to_five"].headcount_needed() == 16


def test_build_rota_keeps_the_11_hour_rest_and_shares_shifts_evenly() -> None:
    people = [person(f"p{i}") for i in range(6)]
    shift_set = designer.parse_shift_set("s", "S", "Late 12:00-20:00 x1, Early 08:00-16:00 x1")
    slots = designer.build_rota(shift_set, people, start=date(2026, 12, 1), end=date(2026, 12, 14))
    by_person: dict[str, list] = {}
    for slot in slots:
        by_person.setdefault(slot.amhp_id, []).append(slot)
    for own in by_person.values():
        own.sort(key=lambda s: s.start)
        assert all(b.start - a.end >= timedelta(hours=11) for a, b in zip(own, own[1:], strict=False))
    counts = sorted(len(v) for v in by_person.values())
    assert counts[-1] - counts[0] <= 1
    assert len(slots) == 28


def test_build_rota_leaves_no_one_on_a_shift_during_their_leave() -> None:
    away = person("p0", leave=((datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 8, tzinfo=UTC)),))
    slots = designer.build_rota(
        designer.parse_shift_set("s", "S", "Day 09:00-17:00 x1"),
        [away, person("p1")],
        start=date(2026, 12, 1),
        end=date(2026, 12, 7),
    )
    assert {s.amhp_id for s in slots} == {"p1"}


@pytest.mark.django_db
def test_a_run_is_queued_after_commit_and_its_results_are_kept_with_a_recommendation(
    service: Service,
    manager: StaffProfile,
    make_staff: Callable[..., StaffProfile],
    django_capture_on_commit_callbacks: Any,
) -> None:
    for _ in range(3):
        make_staff("amhp", service, warrant_expires_on=date(2030, 1, 1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.design_run_create(
            actor=manager.user,
            service=service,
            name="Winter",
            headcount=20,
            shift_sets=[designer.PRESETS["nine_to_five"], designer.PRESETS["staggered"]],
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 7),
        )
    assert len(callbacks) == 1  # the Celery job, sent only once the run is saved
    assert run.status == DesignRun.Status.QUEUED
    services.design_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == DesignRun.Status.DONE and run.progress == 100
    assert set(run.results["options"]) == {"nine_to_five", "staggered"}
    assert run.recommended in {"nine_to_five", "staggered"}
    assert len(run.results["options"]["staggered"]["cover_needed_by_hour"]) == 24
    services.design_run_execute(run_id=run.pk)  # a repeat delivery changes nothing
    assert DesignRun.objects.get(pk=run.pk).results == run.results


@pytest.mark.django_db
def test_nothing_is_recommended_when_the_headcount_cannot_staff_any_set(
    service: Service, manager: StaffProfile
) -> None:
    run = services.design_run_create(
        actor=manager.user,
        service=service,
        name="Short",
        headcount=2,
        shift_sets=[designer.PRESETS["nine_to_five"]],
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 2),
    )
    services.design_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == DesignRun.Status.DONE
    assert run.recommended == ""


@pytest.mark.django_db
def test_a_run_with_bad_input_is_refused_with_field_messages(service: Service, manager: StaffProfile) -> None:
    with pytest.raises(ValidationError) as caught:
        services.design_run_create(
            actor=manager.user,
            service=service,
            name=" ",
            headcount=0,
            shift_sets=[],
            period_start=date(2026, 11, 7),
            period_end=date(2026, 11, 1),
        )
    assert set(caught.value.message_dict) == {"name", "options", "period_end", "headcount"}


@pytest.mark.django_db
def test_the_designer_pages_show_progress_results_side_by_side_and_csv(
    logged_in_client: Callable[[StaffProfile], Any],
    manager: StaffProfile,
    consultant: StaffProfile,
    service: Service,
) -> None:
    client = logged_in_client(manager)
    page = client.get("/planning/designer/")
    assert page.status_code == 200
    bad = client.post(
        "/planning/designer/",
        {
            "name": "X",
            "period_start": "2026-11-01",
            "period_end": "2026-11-02",
            "headcount": "10",
            "custom": "nonsense",
        },
    )
    assert bad.status_code == 400
    assert "HH:MM-HH:MM and xCOVER" in bad.content.decode()
    assert 'value="nonsense"' in bad.content.decode()  # what was typed is kept
    response = client.post(
        "/planning/designer/",
        {
            "name": "Autumn",
            "period_start": "2026-11-01",
            "period_end": "2026-11-03",
            "headcount": "20",
            "options": ["staggered"],
            "custom": "Day 09:00-17:00 x4",
        },
    )
    assert response.status_code == 302
    run = DesignRun.objects.get(name="Autumn")
    progress = client.get(f"/planning/designer/{run.pk}/progress/")
    assert 'hx-trigger="every 2s"' in progress.content.decode()
    services.design_run_execute(run_id=run.pk)
    other = services.design_run_create(
        actor=manager.user,
        service=service,
        name="Other",
        headcount=20,
        shift_sets=[designer.PRESETS["later_edt"]],
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 3),
    )
    services.design_run_execute(run_id=other.pk)
    both = client.get(f"/planning/designer/{run.pk}/?with={other.pk}")
    html = both.content.decode()
    assert "Autumn: Your shift set" in html and "Other: Day 09:00-17:00, late 12:00-20:00, EDT from 22:00" in html
    assert 'data-chart="chart-comparison"' in html and "style=" not in html.split("<main", 1)[1]
    csv_response = client.get(f"/planning/designer/{run.pk}/comparison.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().splitlines()[0].startswith("Shift set,Headcount needed,TOIL hours")
    assert client.get(f"/planning/designer/{run.pk}/nothing.csv").status_code == 404
    assert logged_in_client(consultant).get("/planning/designer/").status_code == 403
