"""Which legal status changes the Act allows, as a pure rule (no database).

DESIGN.md section 8, legal-status POST: s5(4)→s5(2) (s5(5)), s4→s2 (s4(4)(a), a second
recommendation), s136 or s135(1)→an application (s2, s3, s4), CTO recall (s17E), and its end:
revoked (s17F(4), the patient is then detained under s3) or released.
"""

from __future__ import annotations

from datetime import datetime

from referrals.clocks import _utc

APPLICATION_STATUSES = frozenset({"s2", "s3", "s4"})
HOLDING = frozenset({"s136", "s135_1", "s135_2", "s5_2", "s5_4"})
NOT_DETAINED = frozenset({"community", "informal_inpatient", "nr_request", "s3", "police_custody", ""})

# (from, to): the provision that allows it.
ALLOWED: dict[tuple[str, str], str] = {
    ("s5_4", "s5_2"): "s5(5)",
    ("s4", "s2"): "s4(4)(a)",
    ("s2", "s3"): "s3(2)",
    **{(src, dst): "s6(1)" for src in HOLDING for dst in APPLICATION_STATUSES},
    **{(src, "cto_recall"): "s17E(1)" for src in NOT_DETAINED},
    ("cto_recall", "s3"): "s17F(4)",
}


def legal_change_error(
    *, current: str, new: str, change: str, started_at: datetime | None, current_started_at: datetime | None
) -> tuple[str, str] | None:
    """Return (provision, message) when moving from CURRENT to NEW legal status is not allowed; None if it is.

    CHANGE is "changed", "revoked" (only from cto_recall to s3: s17F(4) needs an AMHP's agreement,
    recorded as the reason) or "released" (from a detention or holding power to the community).
    The new status must start at or after the current one.
    """
    if started_at is not None and current_started_at is not None:
        if _utc(started_at, "started_at") < _utc(current_started_at, "current_started_at"):
            return "s5(5)" if new == "s5_2" else "s6(1)", "The new legal status cannot start before the current one"
    if change == "released":
        if current in NOT_DETAINED:
            return "s136(2A)", "The person is not detained: there is nothing to release them from"
        if new not in ("community", "informal_inpatient"):
            return "s136(2A)", "A released person is in the community or an informal in-patient"
        return None
    if change == "revoked":
        if (current, new) != ("cto_recall", "s3"):
            return "s17F(4)", "Only a recalled community patient's CTO can be revoked, and they are then on section 3"
        return None
    if (current, new) in ALLOWED:
        return None
    if new == "s2" and current == "s4":
        return None
    return (
        "s6(1)",
        f"A change from {current or 'no legal status'} to {new} is not one the Act allows here; "
        "record an application, a recall, a revocation or a release",
    )
