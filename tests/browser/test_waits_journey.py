"""Doctors, beds and conveyance: an AMHP on a phone (390 px) logs the calls to two directory doctors, makes the
application, logs the bed and the ambulance, and hands over to the EDT AMHP at the day shift's end (17:00);
the EDT AMHP records the ambulance's arrival; the consultant at 1280 px sees each stage change on the board.

The clock is set by data: the day shift ends, and the EDT shift starts, twenty minutes from now (the journey's
"17:00"), and the requests carry times from the last few hours. The application is made on the application
page, as the Act requires (s11(1)); the record cannot mark it signed.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Assessment, CaseRequest, Handover
from referrals.models import Referral
from referrals.nr_services import nearest_relative_save
from rota.doctor_services import doctor_create
from rota.models import Shift, ShiftType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1280


def local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def shift(staff: Any, code: str, name: str, start: time, end: time, starts_at: Any, hours: float) -> Shift:
    shift_type, _ = ShiftType.objects.get_or_create(
        service=staff.service, code=code, defaults={"name": name, "start_time": start, "end_time": end}
    )
    return Shift.objects.create(
        service=staff.service,
        shift_type=shift_type,
        staff=staff,
        day=timezone.localdate(starts_at),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
    )


def check(page: Any, axe_violations: Any, *, width: int) -> None:
    """No serious accessibility problem, and nothing wider than the screen."""
    violations = axe_violations(on=page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_calls_bed_ambulance_and_handover_to_edt_show_on_the_board_stage_by_stage(
    live_server: Any,
    browser: Any,
    page: Any,
    sign_in: Any,
    axe_violations: Any,
    consultant: Any,
    make_staff: Any,
    service: Any,
    make_referral: Any,
) -> None:
    now = timezone.now()
    five_pm = now + timedelta(minutes=20)  # the day shift's end and the EDT shift's start
    day_amhp = make_staff("amhp", service, first_name="Hassan", last_name="Lewis")
    edt_amhp = make_staff("amhp", service, first_name="Esther", last_name="Tran")
    shift(day_amhp, "day", "Day", time(9), time(17), five_pm - timedelta(hours=8), 8)
    edt_shift = shift(edt_amhp, "edt", "EDT", time(17), time(9), five_pm, 16)
    for name, gmc in (("Dr Amara Okafor", "4123456"), ("Dr Tomasz Kowalski", "5234567")):
        doctor_create(
            service_id=service.pk,
            actor=consultant.user,
            data={
                "name": name,
                "gmc_number": gmc,
                "s12_approved": True,
                "s12_approval_expires_on": timezone.localdate() + timedelta(days=400),
                "availability": [{"weekday": d, "start": "08:00", "end": "22:00"} for d in range(7)],
            },
        )
    referral = make_referral(
        service, consultant.user, given_name="Marta", family_name="Silva", received_at=now - timedelta(hours=4)
    )
    nearest_relative_save(
        person=referral.person, actor=consultant.user, relatives=[{"name": "Rui Silva", "relationship": "spouse"}]
    )
    assessment = services.assessment_allocate(
        referral=referral, amhp=day_amhp, actor=consultant.user, now=now - timedelta(hours=3)
    )
    services.assessment_accept(assessment=assessment, actor=day_amhp.user, now=now - timedelta(hours=2, minutes=55))
    record_url = f"{live_server.url}/assessments/{assessment.pk}/"

    # The consultant's board, on a desktop, in a browser of their own.
    desk_context = browser.new_context(viewport={"width": DESKTOP, "height": 900})
    desk = sign_in(consultant, on=desk_context.new_page())
    stages: list[str] = []

    def board(*, blocker: str, amhp: str = "Hassan Lewis") -> None:
        desk.goto(f"{live_server.url}/board/")
        row = desk.locator(f'tr[data-referral="{referral.pk}"]')
        row.wait_for()
        stages.append(row.locator(".app-stage").inner_text())
        assert blocker in row.locator(".app-blocker").inner_text()
        assert amhp in row.inner_text()
        check(desk, axe_violations, width=DESKTOP)

    board(blocker="Nothing")

    # The day AMHP, on a phone, opens the allocated assessment from their allocations.
    page.set_viewport_size({"width": PHONE, "height": 844})
    sign_in(day_amhp)
    page.goto(f"{live_server.url}/my/allocations/")
    card = page.locator(f'[data-assessment="{assessment.pk}"]')
    card.wait_for()
    check(page, axe_violations, width=PHONE)
    card.get_by_role("link", name="Open the record").click()
    page.get_by_role("heading", name="Marta Silva").wait_for()
    check(page, axe_violations, width=PHONE)

    labels = {
        "s12_doctor": "Section 12 doctor",
        "second_doctor": "Second doctor",
        "bed": "Bed",
        "ambulance": "Ambulance",
    }

    def log_request(kind: str, at: Any, *, doctor: str = "", to: str = "") -> None:
        page.get_by_text("Log a request", exact=True).click()
        form = page.locator("form[action$='/requests/']")
        form.get_by_label("What was requested").select_option(kind)
        if doctor:
            form.get_by_label("Doctor from the directory").select_option(label=doctor)
        if to:
            form.get_by_label("Who was asked").fill(to)
        form.get_by_label("When it was requested").fill(local(at))
        form.get_by_role("button", name="Log request").click()
        page.locator(".govuk-notification-banner--success", has_text=f"{labels[kind]} request logged").wait_for()
        check(page, axe_violations, width=PHONE)

    def record_outcome(on: Any, kind: str, who: str, outcome: str, arrived: Any = None) -> None:
        request_card = on.locator(".app-request", has_text=who)
        request_card.locator("summary").click()
        request_card.locator("select[name$='-outcome']").select_option(outcome)
        if arrived is not None:
            request_card.get_by_label("When it arrived").fill(local(arrived))
        request_card.get_by_role("button", name="Save").click()
        on.locator(".govuk-notification-banner--success", has_text=f"{labels[kind]} request updated").wait_for()
        check(on, axe_violations, width=PHONE)

    # Calls to two doctors picked from the directory.
    log_request("s12_doctor", now - timedelta(hours=2, minutes=40), doctor="Dr Amara Okafor")
    log_request("second_doctor", now - timedelta(hours=2, minutes=30), doctor="Dr Tomasz Kowalski")
    board(blocker="Section 12 doctor")
    record_outcome(page, "s12_doctor", "Dr Amara Okafor", "accepted", now - timedelta(hours=1, minutes=40))
    record_outcome(page, "second_doctor", "Dr Tomasz Kowalski", "accepted", now - timedelta(hours=1, minutes=35))
    board(blocker="Nothing")

    # Seen, then the application made on the application page with both doctors' recommendations.
    page.get_by_label("When the person was seen").fill(local(now - timedelta(hours=1, minutes=30)))
    page.get_by_role("button", name="Save the record").click()
    page.locator(".govuk-notification-banner--success", has_text="Record saved").wait_for()
    board(blocker="Nothing")
    page.get_by_role("link", name="Make or review the application").click()
    page.get_by_role("heading", name="Application for Marta Silva").wait_for()
    check(page, axe_violations, width=PHONE)
    examined = f"{timezone.localdate(now - timedelta(hours=1, minutes=35)):%Y-%m-%d}"
    signed = now - timedelta(hours=1, minutes=10)
    page.get_by_label("Section 2 (admission for assessment)").check()
    page.get_by_label("When you signed the application").fill(local(signed))
    page.get_by_label("When you last saw the person").fill(local(now - timedelta(hours=1, minutes=30)))
    for n, doctor in ((1, "Dr Amara Okafor"), (2, "Dr Tomasz Kowalski")):
        rec = page.locator("fieldset", has_text=f"Medical recommendation {n}")
        rec.get_by_label("Doctor's name").fill(doctor)
        rec.get_by_label("Date of the examination").fill(examined)
        rec.get_by_label("Date the recommendation was signed").fill(f"{timezone.localdate(signed):%Y-%m-%d}")
        rec.get_by_label("Approved under section 12").check()
    page.locator("fieldset", has_text="Medical recommendation 2").get_by_label("Knew the person before").check()
    page.get_by_label("Informed (s11(3))").check()
    page.get_by_role("button", name="Make the application").click()
    page.locator(".govuk-notification-banner--success", has_text="waiting for admission").wait_for()
    check(page, axe_violations, width=PHONE)
    assert Referral.objects.get(pk=referral.pk).status == "application_made"
    board(blocker="Nothing")

    # The bed, then the ambulance.
    page.goto(record_url)
    page.get_by_role("heading", name="Marta Silva").wait_for()
    log_request("bed", now - timedelta(hours=1), to="Bed manager, Riverside Trust")
    board(blocker="Bed")
    record_outcome(page, "bed", "Bed manager", "accepted", now - timedelta(minutes=30))
    board(blocker="Nothing")
    log_request("ambulance", now - timedelta(minutes=25), to="Ambulance control")
    record_outcome(page, "ambulance", "Ambulance control", "accepted")  # booked; not here yet
    board(blocker="Ambulance")

    # At 17:00 the day AMHP hands the case over to the EDT AMHP, whose shift starts then.
    page.get_by_text("Hand over to another AMHP", exact=True).click()
    handover = page.locator("form[action$='/handover/']")
    handover.get_by_label("Hand to").select_option(value=str(edt_amhp.pk))
    handover.get_by_label("Handover notes").fill("Bed on Willow Ward. Ambulance booked, not yet arrived.")
    handover.get_by_role("button", name="Hand over").click()
    page.locator(".govuk-notification-banner--success", has_text="is now with Esther Tran").wait_for()
    check(page, axe_violations, width=PHONE)
    assert page.locator(f'[data-assessment="{assessment.pk}"]').count() == 0
    moved = Assessment.objects.get(pk=assessment.pk)
    assert moved.amhp_id == edt_amhp.pk and moved.shift_ends_at == edt_shift.ends_at
    assert Handover.objects.filter(assessment=assessment, from_amhp=day_amhp, to_amhp=edt_amhp).exists()
    board(blocker="Ambulance", amhp="Esther Tran")

    # The EDT AMHP, on a phone, records the ambulance's arrival.
    edt_context = browser.new_context(viewport={"width": PHONE, "height": 844})
    edt = sign_in(edt_amhp, on=edt_context.new_page())
    edt.goto(f"{live_server.url}/my/allocations/")
    edt_card = edt.locator(f'[data-assessment="{assessment.pk}"]')
    edt_card.wait_for()
    edt_card.get_by_role("link", name="Open the record").click()
    edt.get_by_role("heading", name="Marta Silva").wait_for()
    assert "Bed on Willow Ward" in edt.locator(".app-handovers").inner_text()
    check(edt, axe_violations, width=PHONE)
    record_outcome(edt, "ambulance", "Ambulance control", "accepted", now)
    board(blocker="Nothing", amhp="Esther Tran")

    assert stages == [
        "Awaiting doctors",
        "Awaiting doctors",
        "Doctors arranged, awaiting assessment",
        "Seen",
        "Application made",
        "Awaiting bed",
        "Application made",
        "Awaiting conveyance",
        "Awaiting conveyance",
        "Application made",
    ]
    assert CaseRequest.objects.filter(referral=referral).count() == 4
    edt_context.close()
    desk_context.close()
