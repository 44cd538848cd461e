"""The ambiguous and the missing hour, on every date-time field of every form.

UK clocks go back at 02:00 BST on Sunday 25 October 2026 (01:00-01:59 happens twice: first
BST = UTC+1, then GMT = UTC+0) and go forward at 01:00 GMT on Sunday 28 March 2027 (01:00-01:59
never happens).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django import forms

from amhp_hub.common.wall_clock import WallClockError, is_ambiguous, is_missing, london_instant
from assessments.forms import DoctorForm, EventForm, RecordForm
from referrals.forms import AdmitForm, ExtensionForm, LegalStatusChangeForm, ReferralForm
from rota.forms import LeaveForm
from rota.models import StaffProfile

pytestmark = pytest.mark.django_db


def test_the_autumn_hour_happens_twice_and_bst_or_gmt_picks_the_instant() -> None:
    naive = datetime(2026, 10, 25, 1, 30)
    assert is_ambiguous(naive)
    # 01:30 BST = 00:30 UTC; 01:30 GMT, an hour later, = 01:30 UTC.
    assert london_instant(naive, "BST") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert london_instant(naive, "GMT") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with pytest.raises(WallClockError, match="happened twice") as caught:
        london_instant(naive)
    assert caught.value.code == "ambiguous"


def test_the_spring_hour_never_happens_and_is_refused_with_why() -> None:
    naive = datetime(2027, 3, 28, 1, 30)
    assert is_missing(naive)
    with pytest.raises(WallClockError, match="clocks went forward from 01:00 GMT to 02:00 BST"):
        london_instant(naive, "GMT")


@pytest.mark.parametrize(
    "naive, instant",
    [
        (datetime(2026, 10, 25, 0, 59), datetime(2026, 10, 24, 23, 59, tzinfo=UTC)),  # BST, just before
        (datetime(2026, 10, 25, 2, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),  # GMT, just after
        (datetime(2027, 3, 28, 0, 59), datetime(2027, 3, 28, 0, 59, tzinfo=UTC)),  # GMT, before the gap
        (datetime(2027, 3, 28, 2, 0), datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # BST, after the gap
    ],
)
def test_times_either_side_of_the_changes_need_no_choice(naive: datetime, instant: datetime) -> None:
    assert not is_ambiguous(naive) and not is_missing(naive)
    assert london_instant(naive) == instant


# Every date-time field on every form: (form class, field name).
FIELDS = [
    (ReferralForm, "legal_power_started_at"),
    (ReferralForm, "seen_by_referrer_at"),
    (ExtensionForm, "authorised_at"),
    (LegalStatusChangeForm, "started_at"),
    (AdmitForm, "admitted_at"),
    (EventForm, "at"),
    (RecordForm, "seen_at"),
    (RecordForm, "application_signed_at"),
    (RecordForm, "bed_found_at"),
    (RecordForm, "conveyed_at"),
    (RecordForm, "work_started_at"),
    (RecordForm, "work_ended_at"),
    (DoctorForm, "examined_at"),
    (LeaveForm, "starts_at"),
    (LeaveForm, "ends_at"),
]


def _errors(form_class: type[forms.Form], name: str, data: dict[str, str]) -> list[str]:
    kwargs: dict[str, Any] = {"amhps": StaffProfile.objects.none()} if form_class is LeaveForm else {}
    prefix = form_class(**kwargs).add_prefix("")  # "event-" for the timeline form, "" for most
    form = form_class({f"{prefix}{key}": value for key, value in data.items()}, **kwargs)
    form.is_valid()
    return [str(message) for message in form.errors.get(name, [])]


@pytest.mark.parametrize("form_class, name", FIELDS)
def test_every_date_time_field_asks_bst_or_gmt_for_the_repeated_hour(form_class: type[forms.Form], name: str) -> None:
    errors = _errors(form_class, name, {name: "2026-10-25T01:30"})
    assert any("happened twice" in e for e in errors), errors
    assert not _errors(form_class, name, {name: "2026-10-25T01:30", f"{name}_clock": "GMT"})


@pytest.mark.parametrize("form_class, name", FIELDS)
def test_every_date_time_field_refuses_the_missing_spring_hour(form_class: type[forms.Form], name: str) -> None:
    errors = _errors(form_class, name, {name: "2027-03-28T01:30", f"{name}_clock": "BST"})
    assert any("clocks went forward" in e for e in errors), errors


def test_a_form_keeps_the_typed_time_and_the_clock_choice_when_refused() -> None:
    form = AdmitForm({"admitted_at": "2026-10-25T01:30"})
    assert not form.is_valid()
    html = str(form["admitted_at"])
    assert 'value="2026-10-25T01:30"' in html
    assert 'name="admitted_at_clock"' in html
    chosen = AdmitForm({"admitted_at": "2026-10-25T01:30", "admitted_at_clock": "GMT"})
    assert chosen.is_valid()
    assert chosen.cleaned_data["admitted_at"] == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
