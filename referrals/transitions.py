"""The referral lifecycle: one table of allowed status changes and the one function that makes them.

Every change of ``Referral.status`` goes through :func:`referral_move` (or, for seeding data in
bulk, :func:`referrals_move_bulk`); no other module assigns the status. Each row of
``TRANSITIONS`` says which status a referral may move from and to, which staff roles may make
the move (``"system"`` is the background jobs, acting with no user), and what the move needs
(``Need`` values, checked before anything is written). An illegal move raises
:class:`TransitionError`, a ``ConflictError``: the API answers 409 and the pages show its message.

Lifecycle (DESIGN.md section 8)::

    draft ──submit──> new ──triage──> accepted / more_info / redirected / closed
    new, more_info, accepted ──allocate──> allocated ──decline──> accepted
    allocated ──complete, no application──> assessed
    allocated ──application signed──> application_made ──reaches the hospital managers──> admitted
    application_made ──lapsed, withdrawn or the person released──> closed

Open statuses are new, more_info, accepted, allocated and application_made: their clocks keep
running and the sweeps watch them. ``assessed`` means the assessment ended with no application.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from amhp_hub.common.audit import audit
from amhp_hub.common.errors import ConflictError
from referrals.constants import Status

DESK = frozenset({"consultant", "manager"})
AMHP = frozenset({"amhp"})
ANY_STAFF = DESK | AMHP
SYSTEM = "system"


class Need(enum.Enum):
    """What a move needs besides being in the table."""

    REASON = "a reason"
    AT = "the time it happened"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: frozenset[str]
    needs: frozenset[Need]
    label: str


def _t(source: str, target: str, roles: Iterable[str], label: str, *needs: Need) -> Transition:
    return Transition(str(source), str(target), frozenset(roles), frozenset(needs), label)


S = Status
_QUEUE = (S.NEW, S.MORE_INFO, S.ACCEPTED)

TRANSITIONS: tuple[Transition, ...] = (
    _t(S.DRAFT, S.NEW, DESK, "submit the referral into the queue"),
    # Triage: a reason is recorded on the triage record; accepting again re-bands the referral.
    *(_t(src, S.ACCEPTED, DESK, "accept for assessment", Need.REASON) for src in _QUEUE),
    *(_t(src, S.MORE_INFO, DESK, "ask for more information", Need.REASON) for src in _QUEUE),
    *(_t(src, S.REDIRECTED, DESK, "redirect elsewhere", Need.REASON) for src in _QUEUE),
    *(_t(src, S.CLOSED, DESK, "close at triage", Need.REASON) for src in _QUEUE),
    *(_t(src, S.ALLOCATED, DESK, "allocate to an AMHP") for src in _QUEUE),
    # The AMHP declines (or a consultant takes the work back): the referral returns to the queue.
    _t(S.ALLOCATED, S.ACCEPTED, ANY_STAFF, "return to the queue", Need.REASON),
    _t(S.ALLOCATED, S.ASSESSED, AMHP | {SYSTEM}, "complete the assessment with no application"),
    _t(S.ALLOCATED, S.APPLICATION_MADE, AMHP | {SYSTEM}, "record the signed application", Need.AT),
    _t(S.APPLICATION_MADE, S.ADMITTED, ANY_STAFF, "record the admission", Need.AT),
    # The application lapsed (s6(1)), was withdrawn, or the person was released before admission.
    _t(S.APPLICATION_MADE, S.CLOSED, ANY_STAFF, "close: application lapsed or person released", Need.REASON),
)
TABLE: dict[tuple[str, str], Transition] = {(t.source, t.target): t for t in TRANSITIONS}
# Statuses after which the case has ended: the clocks stop and closed_at is set.
ENDED = frozenset({str(S.ASSESSED), str(S.REDIRECTED), str(S.CLOSED), str(S.ADMITTED)})


class TransitionError(ConflictError):
    """A referral status change the lifecycle does not allow (HTTP 409)."""


def allowed_targets(status: str, role: str | None = None) -> list[str]:
    """Return the statuses a referral in STATUS may move to (by ROLE, when given), in table order."""
    return [t.target for t in TRANSITIONS if t.source == status and (role is None or role in t.roles)]


def _role_of(actor: Any) -> str:
    if actor is None:
        return SYSTEM
    profile = getattr(actor, "staff_profile", None)
    return getattr(profile, "role", "") or ""


def _label(status: str) -> str:
    return str(dict(S.choices).get(status, status)).lower()


def check_move(*, source: str, target: str, role: str, reason: str = "", at: datetime | None = None) -> Transition:
    """Return the table row for SOURCE → TARGET; raise TransitionError saying why the move is refused."""
    row = TABLE.get((str(source), str(target)))
    if row is None:
        nexts = ", ".join(_label(s) for s in dict.fromkeys(allowed_targets(str(source)))) or "nothing"
        raise TransitionError(
            f"A referral that is {_label(source)} cannot become {_label(target)} (from here it can become: {nexts})"
        )
    if role not in row.roles:
        raise TransitionError(f"Your role ({role or 'none'}) cannot {row.label}")
    missing = [n.value for n in row.needs if (n is Need.REASON and not reason.strip()) or (n is Need.AT and at is None)]
    if missing:
        raise TransitionError(f"To {row.label}, give {' and '.join(missing)}")
    return row


def referral_move(
    referral: Any,
    to_status: str,
    *,
    actor: Any,
    reason: str = "",
    at: datetime | None = None,
    channel: str = "web",
    extra_fields: Iterable[str] = (),
    audit_action: str = "update",
    audit_changes: dict[str, Any] | None = None,
) -> Transition:
    """Move REFERRAL to TO_STATUS if the lifecycle allows it, save it and write its audit row.

    REFERRAL should be locked by the caller (``select_for_update``) when racing writers matter;
    its in-memory status is the source. ACTOR is the user making the move (None for the
    background jobs, role "system"). REASON and AT (when it happened; default now) are checked
    against the row's needs. Moving to an ended status (assessed, redirected, closed, admitted)
    sets ``closed_at``; moving to admitted also sets ``admitted_at`` to AT. EXTRA_FIELDS are other
    fields the caller changed on REFERRAL, saved in the same UPDATE; the one audit row (action
    AUDIT_ACTION) carries the status change, the reason and AUDIT_CHANGES. Return the table row.

    Raise TransitionError (a ConflictError, HTTP 409) when the move is not in the table, the
    actor's role may not make it, or something it needs is missing; nothing is written then.
    """
    role = _role_of(actor)
    source = str(referral.status)
    row = check_move(source=source, target=str(to_status), role=role, reason=reason, at=at)
    when = at or timezone.now()
    fields = ["status", "updated_at", *extra_fields]
    referral.status = row.target
    if row.target in ENDED:
        referral.closed_at = when
        fields.append("closed_at")
    if row.target == S.ADMITTED:
        referral.admitted_at = when
        fields.append("admitted_at")
    with transaction.atomic():
        referral.save(update_fields=list(dict.fromkeys(fields)))
        audit(
            actor=actor,
            service_id=referral.service_id,
            action=audit_action,
            obj=referral,
            channel=channel,
            changes={
                **({"status": [source, row.target]} if source != row.target else {}),
                **({"reason": reason.strip()} if reason.strip() else {}),
                **({"at": when.isoformat()} if at is not None else {}),
                **(audit_changes or {}),
            },
        )
    return row


def referrals_move_bulk(queryset: models.QuerySet[Any], source: str, target: str, **values: Any) -> int:
    """Move every referral of QUERYSET that is in SOURCE to TARGET in one UPDATE; return how many.

    For generating demo and benchmark data only (no actor, no audit row): the move must still be
    in the table. VALUES are other columns to set in the same UPDATE.
    """
    if (str(source), str(target)) not in TABLE:
        raise TransitionError(f"A referral that is {_label(source)} cannot become {_label(target)}")
    extra = {"closed_at": timezone.now()} if str(target) in ENDED and "closed_at" not in values else {}
    return queryset.filter(status=source).update(status=str(target), **extra, **values)
