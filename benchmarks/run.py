"""Benchmark the queue page, the queue API, candidate ranking and the late-work sweeps on PostgreSQL.

Not a test: run it by hand against a PostgreSQL database (see benchmarks/README.md):

    DATABASE_URL=postgres://... SECRET_KEY=dev python benchmarks/run.py [--scale 500] [--open 100000] [--requests 200]

The first run seeds the "Benchmark AMHP Service" through ``seed_demo`` (2,000 referrals a
year per unit of scale); later runs reuse it. Requests go through Django's test client in
this process, so the figures are the application and database time without a network.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SERVICE_NAME = "Benchmark AMHP Service"
QUEUE_P95_GOAL_MS = 25.0
SEARCH_P95_GOAL_MS = 25.0
SWEEP_GOAL_MS = 50.0
PLAN_GOAL_S = 1.0
PLAN_REFERRALS = 200
REPLAY_ERROR_GOAL = 0.15
PLANNER_REPLAY_CASES = 1500


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=500, help="2,000 referrals per unit (default 500: 1M)")
    parser.add_argument("--open", type=int, default=100_000, dest="open_count", help="open referrals (default 100,000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement (default 200)")
    parser.add_argument("--sweeps", type=int, default=5, help="timed runs of each sweep (default 5)")
    return parser.parse_args(argv)


def setup_django() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "benchmarks/run.py needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/dbname "
            "(the figures mean nothing on SQLite)."
        )
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ.setdefault("DEBUG", "0")
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
    os.environ["ALLOWED_HOSTS"] = ",".join(dict.fromkeys([*hosts, "testserver", "localhost"]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amhp_hub.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def ms(seconds: float) -> float:
    return seconds * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower, upper = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def timed(call: Callable[[], Any], n: int) -> tuple[list[float], Any]:
    """Call N times; return the durations in ms and the last result."""
    durations, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = call()
        durations.append(ms(time.perf_counter() - started))
    return durations, result


def seed(scale: int, open_count: int) -> None:
    from django.core.management import call_command

    from rota.models import Service

    if Service.objects.filter(name=SERVICE_NAME).exists():
        print(f"Reusing the seeded {SERVICE_NAME!r}.")
        return
    print(f"Seeding {SERVICE_NAME!r}: scale {scale} ({2000 * scale:,} referrals), {open_count:,} open …", flush=True)
    started = time.monotonic()
    call_command("seed_demo", scale=scale, open_count=open_count, service=SERVICE_NAME)
    print(f"Seeded in {time.monotonic() - started:.0f} s.")
    from django.db import connection

    with connection.cursor() as cursor:
        # Set the visibility map and statistics, as autovacuum would on a live system.
        cursor.execute("VACUUM ANALYZE")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    setup_django()
    from django.test import Client
    from django.utils import timezone

    from referrals.constants import QUEUE_STATUSES
    from referrals.models import Referral
    from rota.models import Role, Service, StaffProfile

    seed(args.scale, args.open_count)
    service = Service.objects.get(name=SERVICE_NAME)
    consultant = StaffProfile.objects.filter(service=service, role=Role.CONSULTANT).select_related("user").first()
    if consultant is None:
        sys.exit(f"{SERVICE_NAME!r} has no consultant; drop the service and run again.")
    total = Referral.objects.filter(service=service).count()
    open_now = Referral.objects.filter(service=service, status__in=QUEUE_STATUSES).count()
    print(f"{total:,} referrals, {open_now:,} in the queue; {args.requests} requests per measurement.\n")

    client = Client()
    client.force_login(consultant.user)
    rows: list[tuple[str, str, str, str]] = []

    # Queue page.
    client.get("/queue/")  # warm up
    durations, response = timed(lambda: client.get("/queue/"), args.requests)
    if response.status_code != 200:
        sys.exit(f"GET /queue/ answered {response.status_code}")
    p95 = percentile(durations, 0.95)
    rows.append(
        (
            "Queue page GET /queue/",
            f"p50 {percentile(durations, 0.5):.1f} ms, p95 {p95:.1f} ms, max {max(durations):.1f} ms",
            f"p95 <= {QUEUE_P95_GOAL_MS:.0f} ms",
            "PASS" if p95 <= QUEUE_P95_GOAL_MS else "MISS",
        )
    )

    # Search results pages: an NHS number, a reference, a surname and a date of birth, each saved
    # once (POST) and read back through its opaque id, as a consultant would. The floor is a page
    # that does no search (the search form), measured in the same run.
    sample = Referral.objects.filter(service=service).select_related("person").order_by("received_at").first()
    if sample is not None:
        client.get("/search/")
        floor, _ = timed(lambda: client.get("/search/"), args.requests)
        texts = [sample.reference, sample.person.family_name or "Smith"]
        if sample.person.nhs_number:
            texts.append(sample.person.nhs_number_display)
        if sample.person.date_of_birth:
            texts.append(sample.person.date_of_birth.strftime("%d/%m/%Y"))
        urls = [client.post("/search/", {"text": text})["Location"] for text in texts]
        for url in urls:
            client.get(url)
        durations = []
        for url in urls:
            more, response = timed(functools.partial(client.get, url), max(1, args.requests // len(urls)))
            if response.status_code != 200:
                sys.exit(f"GET {url} answered {response.status_code}")
            durations.extend(more)
        p95 = percentile(durations, 0.95)
        rows.append(
            (
                "Search results GET /search/<id>/ (NHS number, reference, surname, date of birth)",
                f"p50 {percentile(durations, 0.5):.1f} ms, p95 {p95:.1f} ms; floor (search form) p95 "
                f"{percentile(floor, 0.95):.1f} ms",
                f"p95 <= {SEARCH_P95_GOAL_MS:.0f} ms",
                "PASS" if p95 <= SEARCH_P95_GOAL_MS else "MISS",
            )
        )

    # Queue API throughput.
    client.get("/api/v1/queue/")
    started = time.perf_counter()
    durations, response = timed(lambda: client.get("/api/v1/queue/"), args.requests)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        sys.exit(f"GET /api/v1/queue/ answered {response.status_code}")
    rows.append(
        (
            "Queue API GET /api/v1/queue/",
            f"{args.requests / elapsed:.0f} req/s (p50 {percentile(durations, 0.5):.1f} ms, "
            f"p95 {percentile(durations, 0.95):.1f} ms)",
            "",
            "",
        )
    )

    # Candidate ranking.
    referral = (
        Referral.objects.filter(service=service, status__in=QUEUE_STATUSES).order_by("priority_rank", "due_at").first()
    )
    if referral is None:
        rows.append(("Candidates", "no open referral to rank", "", ""))
    else:
        url = f"/api/v1/referrals/{referral.pk}/candidates/"
        response = client.get(url)
        if response.status_code == 404:
            rows.append(("Candidates", "candidates: endpoint not available", "", ""))
        elif response.status_code != 200:
            rows.append(("Candidates", f"candidates: answered {response.status_code}", "", ""))
        else:
            durations, _ = timed(lambda: client.get(url), args.requests)
            rows.append(
                (
                    "Candidates GET …/candidates/",
                    f"p50 {percentile(durations, 0.5):.1f} ms, p95 {percentile(durations, 0.95):.1f} ms",
                    "",
                    "",
                )
            )

    # Sweeps: run twice, time the second run (nothing new to do).
    try:
        from assessments import jobs
    except ImportError:
        jobs = None  # type: ignore[assignment]
    for name in ("flag_late_work", "book_toil"):
        sweep = getattr(jobs, name, None) if jobs is not None else None
        if sweep is None:
            rows.append((f"Sweep {name}", "not available (assessments.jobs is missing it)", "", ""))
            continue
        now = timezone.now()
        sweep(now=now)  # the first run may be a full sweep that writes many rows...
        from django.db import connection

        with connection.cursor() as cursor:  # ...after which autovacuum would refresh the statistics
            cursor.execute("ANALYZE assessments_lateflag, assessments_toilentry, assessments_sweepmark")
        durations = []
        for i in range(args.sweeps):
            at = now + timedelta(seconds=i + 1)
            sweep(now=at)  # catch up with anything the clock made due
            run, _ = timed(lambda at=at, sweep=sweep: sweep(now=at), 1)  # type: ignore[misc]
            durations.extend(run)
        p50 = statistics.median(durations)
        rows.append(
            (
                f"Sweep {name} (nothing new)",
                f"p50 {p50:.1f} ms over {len(durations)} runs",
                f"<= {SWEEP_GOAL_MS:.0f} ms",
                "PASS" if p50 <= SWEEP_GOAL_MS else "MISS",
            )
        )

    # Manager dashboards over the default period (last 90 days): not a stated goal, reported for reference.
    manager = StaffProfile.objects.filter(service=service, role=Role.MANAGER).select_related("user").first()
    if manager is not None:
        from dashboards.reports import SECTIONS

        client.force_login(manager.user)
        for slug in SECTIONS:
            url = f"/dashboards/{slug}/"
            client.get(url)
            durations, response = timed(lambda url=url: client.get(url), max(3, args.requests // 20))  # type: ignore[misc]
            result = f"p50 {percentile(durations, 0.5):.1f} ms, max {max(durations):.1f} ms"
            if response.status_code != 200:
                result = f"answered {response.status_code}"
            rows.append((f"Dashboard {url}", result, "", ""))

    rows.extend(planning_figures(service))

    widths = [max(len(row[i]) for row in [("Measure", "Result", "Goal", ""), *rows]) for i in range(4)]
    header = ("Measure", "Result", "Goal", "")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 1 if any(row[3] == "MISS" for row in rows) else 0


def planning_figures(service: Any) -> list[tuple[str, str, str, str]]:
    """Plan time at 200 open referrals, a year of simulation, and the replay error against what was booked."""
    from django.utils import timezone

    from assessments import jobs
    from planning import designer, replay, selectors, simulation, solver
    from referrals.constants import QUEUE_STATUSES
    from referrals.models import Referral
    from rota import ranking
    from rota.models import Role, StaffProfile
    from rota.timefmt import LONDON

    rows: list[tuple[str, str, str, str]] = []
    now = timezone.now()
    amhps = StaffProfile.objects.filter(service=service, role=Role.AMHP).count()
    open_count = Referral.objects.filter(service=service, status__in=QUEUE_STATUSES).count()
    n = min(PLAN_REFERRALS, open_count)

    # Whole-queue plan: the most urgent 200 open referrals and all the service's AMHPs, end to end (reads + solve).
    selectors.current_plan(service_id=service.pk, now=now, limit=n)  # warm up
    durations = []
    for _ in range(5):
        started = time.perf_counter()
        context = selectors.current_plan(service_id=service.pk, now=now, limit=n)
        durations.append(time.perf_counter() - started)
    plan = context.plan
    worst = max(durations)
    rows.append(
        (
            f"Plan {n} open referrals x {amhps} AMHPs",
            f"max {worst:.2f} s, p50 {statistics.median(durations):.2f} s (solver {plan.seconds:.2f} s, "
            f"{plan.stages[0] if plan.stages else ''}; {plan.missed_deadlines} deadlines no plan meets, "
            f"{plan.unassigned} unplanned)",
            f"<= {PLAN_GOAL_S:.0f} s",
            "PASS" if worst <= PLAN_GOAL_S else "MISS",
        )
    )
    # The floor: the same queue ranked one at a time (today's greedy), in the same run.
    cases = [selectors._case_for(r, service) for r in context.referrals.values()]
    sim_service = simulation.Service(
        shifts=tuple(context.shifts.values()),
        practitioners=tuple(selectors.practitioners(service_id=service.pk, start=now, end=now + timedelta(hours=48))),
    )
    started = time.perf_counter()
    simulation.simulate(cases, sim_service)
    rows.append((f"  floor: rank-and-take-best for the same {n}", f"{time.perf_counter() - started:.3f} s", "", ""))

    # A year of a service: the demo shape (2,000 referrals, 30 AMHPs) through a year of rota, pure.
    import random

    rng = random.Random(1)
    people = [
        simulation.Practitioner(id=f"p{i}", name=f"AMHP {i:02d}", approval_expires_on=now.date() + timedelta(days=800))
        for i in range(30)
    ]
    first_day = (now - timedelta(days=365)).astimezone(LONDON).date()
    year_rota = designer.build_rota(
        designer.PRESETS["current_shape"], people, start=first_day, end=first_day + timedelta(days=366)
    )
    legal = ["community", "s136", "s5_2", "s2", "informal_inpatient", "nr_request", "police_custody"]
    year_cases = []
    for i in range(2000):
        status = rng.choice(legal)
        received = now - timedelta(days=365) + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
        started_at = received - timedelta(hours=1) if status in ("s136", "s5_2") else None
        if status == "s2":
            started_at = received - timedelta(days=10)
        year_cases.append(
            simulation.Case(
                id=f"y{i}",
                received_at=received,
                legal_status=status,
                expected_hours=ranking.expected_hours(status),
                legal_power_started_at=started_at,
            )
        )
    year_service = simulation.Service(shifts=tuple(year_rota), practitioners=tuple(people))
    started = time.perf_counter()
    year = simulation.simulate(year_cases, year_service, seed=1)
    year_s = time.perf_counter() - started
    started = time.perf_counter()
    sorted(year_cases, key=lambda c: (c.received_at, c.id))
    floor_s = time.perf_counter() - started
    rows.append(
        (
            "Simulate a year (2,000 referrals, 30 AMHPs, greedy)",
            f"{year_s:.2f} s ({len(year_rota):,} shifts; TOIL {year.toil_hours:.0f} h, "
            f"{year.statutory_breaches} breaches)",
            "",
            "",
        )
    )
    rows.append(("  floor: ordering the year's referrals", f"{floor_s * 1000:.1f} ms", "", ""))

    # Replay honesty: the seeded history over the rota's past days, against the TOIL job's bookings.
    period = selectors.rota_period(service_id=service.pk)
    if period is None:
        rows.append(("Replay error", "no rota", "", ""))
        return rows
    jobs.book_toil(now=now, service_id=service.pk)
    today = now.astimezone(LONDON).date()
    history = selectors.history(
        service_id=service.pk, start=period[0] + timedelta(days=1), end=today - timedelta(days=2)
    )
    started = time.perf_counter()
    comparison = replay.replay(history)
    replay_s = time.perf_counter() - started
    for label, error, simulated, recorded in (
        ("TOIL", comparison.toil_error, comparison.report.toil_hours, history.toil_booked_minutes / 60),
        ("late finishes", comparison.late_finish_error, comparison.report.late_finishes, history.late_finishes),
    ):
        ok = error is not None and error <= REPLAY_ERROR_GOAL
        rows.append(
            (
                f"Replay error, {label} ({len(history.cases):,} assessments, {replay_s:.1f} s)",
                f"{0 if error is None else error:.1%} (simulated {simulated:,.1f}, recorded {recorded:,.1f})",
                f"<= {REPLAY_ERROR_GOAL:.0%}",
                "PASS" if ok else "MISS",
            )
        )
    # The planner over the same history (its latest cases, so the run stays short), against the greedy.
    recent = history.cases[-PLANNER_REPLAY_CASES:]
    greedy = simulation.simulate(recent, history.service)
    started = time.perf_counter()
    planned = simulation.simulate(recent, history.service, policy=solver.planner_policy_factory())
    planner_s = time.perf_counter() - started
    cut = 1 - planned.hours_past_shift_end / greedy.hours_past_shift_end if greedy.hours_past_shift_end else 0.0
    rows.append(
        (
            f"Planner vs ranking over {len(recent):,} replayed assessments ({planner_s:.0f} s)",
            f"work past shift end {greedy.hours_past_shift_end:,.0f} h -> {planned.hours_past_shift_end:,.0f} h "
            f"({cut:.0%} less); breaches {greedy.statutory_breaches} -> {planned.statutory_breaches}",
            "breaches not worse",
            "PASS" if planned.statutory_breaches <= greedy.statutory_breaches else "MISS",
        )
    )
    return rows


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
