"""Reads of the doctor directory shared by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from rota import doctors
from rota.models import DirectoryDoctor


@dataclass(frozen=True)
class DoctorRow:
    doctor: DirectoryDoctor
    likely_available: bool
    bands: list[str]
    s12_in_date: bool

    @property
    def band_labels(self) -> list[str]:
        return [doctors.BAND_LABELS[b] for b in self.bands]


def directory_of(*, service_id: int, active_only: bool = True) -> QuerySet[DirectoryDoctor]:
    """Return the service's directory by name (index doctor_service_name)."""
    qs = DirectoryDoctor.objects.filter(service_id=service_id)
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("name", "id")


def windows_of(doctor: DirectoryDoctor) -> list[doctors.Window]:
    windows, _ = doctors.parse_windows(doctor.availability or [])
    return windows


def directory_rows(*, service_id: int, at: datetime, likely_first: bool = False) -> list[DoctorRow]:
    """Return each active doctor with whether they are likely available AT and their s12 approval in date.

    One query. With LIKELY_FIRST those likely available now (and in date) come first, for the consultant.
    """
    today = at.astimezone(doctors.LONDON).date()
    rows = [
        DoctorRow(
            doctor=d,
            likely_available=doctors.likely_available(windows_of(d), at),
            bands=doctors.availability_bands(windows_of(d)),
            s12_in_date=doctors.s12_approval_in_date(
                approved=d.s12_approved, expires_on=d.s12_approval_expires_on, on_day=today
            ),
        )
        for d in directory_of(service_id=service_id)
    ]
    if likely_first:
        rows.sort(key=lambda r: (not r.likely_available, not r.s12_in_date))
    return rows
