"""Police and place-of-safety liaison rules.

* s136(1C) (as inserted by the Policing and Crime Act 2017, s81): before removing a person to,
  or keeping them at, a place of safety under s136, a constable must, if practicable, consult a
  registered medical practitioner, a registered nurse, an AMHP or another person specified in
  regulations (SI 2017/1036 adds occupational therapists and paramedics). The duty is the
  constable's, so the hub records who was consulted (or that it was not practicable) and flags a
  s136 case where nothing is recorded; it refuses nothing.
* Police handover at a health-based place of safety: Right Care Right Person phase 4 and local
  agreements set a target (commonly 1 hour, the setting POLICE_HANDOVER_TARGET_MINUTES) from the
  police's arrival at the place of safety to their handing over and leaving. Not statute.

Durations are elapsed time between UTC instants, so a handover across a clock change is
measured in real hours.

Pure module: no database access and no model imports.
"""

from __future__ import annotations

from datetime import datetime, timedelta

S136_STATUSES = ("s136",)


def s136_consultation_missing(*, legal_status: str, consulted: str) -> bool:
    """s136(1C): True for a s136 case with no record of whom the police consulted (or that it was impracticable)."""
    return legal_status in S136_STATUSES and not consulted


def police_handover_duration(arrived_at: datetime | None, handed_over_at: datetime | None) -> timedelta | None:
    """Return the time from the police arriving at the place of safety to their handover; None if either is missing."""
    if arrived_at is None or handed_over_at is None:
        return None
    return handed_over_at - arrived_at


def police_handover_within_target(duration: timedelta | None, *, target_minutes: int) -> bool | None:
    """Return whether the handover met the local target (RCRP phase 4): None while it is not known.

    Exactly the target counts as met ("within 1 hour").
    """
    if duration is None:
        return None
    return duration <= timedelta(minutes=target_minutes)


def police_times_error(arrived_at: datetime | None, handed_over_at: datetime | None) -> str | None:
    """Return why the handover time cannot be right (before the arrival), or None."""
    if arrived_at is not None and handed_over_at is not None and handed_over_at < arrived_at:
        return "The police handover must be after the police arrived at the place of safety"
    return None
