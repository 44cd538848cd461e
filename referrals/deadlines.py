"""Every legal deadline a detention case carries, as data (DESIGN.md section 8).

Pure functions: no database. A selector gathers the case's facts into :class:`CaseFacts`;
:func:`case_deadlines` returns one :class:`Deadline` per rule that applies, with the stable
rule codes below, and :func:`earliest_running` picks the one the queue and the sweeps watch.

Rule codes and their provisions:

* ``detention_s136`` s136(2A): 24 h from arrival at the place of safety, plus any s136B extension.
* ``detention_s135`` s135(3ZA): 24 h from arrival (s135(1) warrant), plus any s136B extension.
  A s135(2) warrant only retakes a patient already liable to be detained or conveyed: it has no
  clock of its own and no extension (s136B(1) names s135(1) and s136 only); the underlying
  deadline applies (s6, s17E, s18), so ``detention_s135`` is ``not_applicable`` for it.
* ``holding_s5_4`` s5(4): 6 h from the nurse's record; ends early when the doctor or approved
  clinician arrives (recorded as the next legal status).
* ``holding_s5_2`` s5(2): 72 h from the report furnished to the managers; s5(5): when it follows
  a s5(4), from the s5(4) record.
* ``emergency_s4`` s4(4): 72 h from admission under s4; a second recommendation turns it into s2.
* ``conveyance_s4`` s6(1)(b): conveyed within 24 h of the medical examination or of the
  application, whichever is earlier.
* ``conveyance_s6`` s6(1)(a): conveyed within 14 days beginning with the day of the last medical
  examination (the application lapses after it).
* ``applicant_seen_s11_5`` s11(5): the application is made within 14 days ending with the
  application date of the applicant's last personal sight of the patient.
* ``detention_s2`` s2(4): 28 days beginning with the day of admission (from the s4 admission
  when a s4 became s2, s4(4)(a)); extended while a s29 application on ground (c) or (d) made in
  that time is pending, and for 7 days after an order (s29(4)).
* ``cto_recall_s17e`` s17F(8): 72 h from detention in hospital under the recall (s17E).

States: ``running`` (not yet met, not yet due), ``met`` (met, at or before the due time),
``breached`` (met late, or not met and now past due while the case was open), and
``not_applicable``. A deadline stops when it is met. When the case ends (closed, or no
application), every deadline still unmet is met at the end if that was before it fell due:
nothing shows a breach that did not happen. A breach is a person still held after the expiry,
not an event recorded late (DOMAIN.md "Breach").

Readings taken where the Act leaves room (see also the tests):

* An s136/s135 detention is met by the signed application (from then s6(1) authorises
  conveyance and the conveyance clocks take over), by the next legal status, by admission, or by
  the case ending (release).
* s5(2), s5(4), s4 and a CTO recall are in-hospital powers: met by the next legal status
  recorded, by admission under an application (received by the managers) or by the case ending.
* s2 is met by the next legal status (s3), or by the case ending with no admission. After
  admission the detention belongs to the hospital: the s2 deadline stays ``running`` until due
  and is then ``not_applicable`` to the service (no hospital discharge record reaches the hub).
* Date-only facts (s29 decisions) count whole London days: the 7 days after an order are the 7
  days after the day it was made; with no order, s2 ends at the start of the day of disposal
  (the earlier, safer reading of a date without a time).

All datetimes must be aware; results are in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from referrals.clocks import LONDON, ClockError, _london_midnight, _utc

RUNNING = "running"
MET = "met"
BREACHED = "breached"
NOT_APPLICABLE = "not_applicable"
STATES = (RUNNING, MET, BREACHED, NOT_APPLICABLE)

RULES: dict[str, tuple[str, str]] = {
    # rule: (provision, what must happen by the due time)
    "detention_s136": ("s136(2A)", "Assessment done and the person released or an application made"),
    "detention_s135": ("s135(3ZA)", "Assessment done and the person released or an application made"),
    "holding_s5_4": ("s5(4)", "Doctor or approved clinician arrives"),
    "holding_s5_2": ("s5(2)", "Application made and received, or the holding power ends"),
    "emergency_s4": ("s4(4)", "Second medical recommendation received (becomes s2)"),
    "conveyance_s4": ("s6(1)(b)", "Person conveyed to hospital under the s4 application"),
    "conveyance_s6": ("s6(1)(a)", "Person conveyed to hospital before the application lapses"),
    "applicant_seen_s11_5": ("s11(5)", "Application signed within 14 days of the AMHP seeing the person"),
    "detention_s2": ("s2(4)", "Section 2 ends, or a section 3 application is made"),
    "cto_recall_s17e": ("s17F(8)", "CTO revoked (AMHP agrees) or the patient released"),
}

HOUR_RULES = {"s136": ("detention_s136", 24), "s135_1": ("detention_s135", 24)}
IN_HOSPITAL = {"s5_4": ("holding_s5_4", 6), "s4": ("emergency_s4", 72), "cto_recall": ("cto_recall_s17e", 72)}
S5_2_HOURS = 72
S4_CONVEYANCE_HOURS = 24
S6_DAYS = 14
S11_5_DAYS = 14
S2_DAYS = 28
S29_AFTER_ORDER_DAYS = 7
S29_GROUNDS = frozenset({"c", "d"})


@dataclass(frozen=True)
class LegalPeriod:
    """One entry of the legal status history: the status and when its clock started."""

    legal_status: str
    started_at: datetime | None


@dataclass(frozen=True)
class CaseFacts:
    """What the deadline rules need to know about one case.

    ``history`` is the legal status history, oldest first (the current status last).
    ``examinations`` are the medical examinations' times. ``application_section`` is s2, s3, s4
    or guardianship once an application is signed at ``application_signed_at``. ``ended_at`` is
    when the case ended without admission (closed, no application); ``admitted_at`` when the
    application reached the hospital managers.
    """

    history: Sequence[LegalPeriod]
    extension_hours: int = 0
    examinations: Sequence[datetime] = ()
    applicant_seen_at: datetime | None = None
    application_section: str = ""
    application_signed_at: datetime | None = None
    conveyed_at: datetime | None = None
    admitted_at: datetime | None = None
    ended_at: datetime | None = None
    s29_ground: str = ""
    s29_applied_on: date | None = None
    s29_decided_on: date | None = None
    s29_order_made: bool = False


@dataclass(frozen=True)
class Deadline:
    rule: str
    provision: str
    due_at: datetime | None
    state: str
    met_at: datetime | None
    what: str

    def as_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "provision": self.provision,
            "due_at": self.due_at,
            "state": self.state,
            "met_at": self.met_at,
        }


def _first(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _state(
    due: datetime, met_at: datetime | None, *, now: datetime, ended_at: datetime | None
) -> tuple[str, datetime | None]:
    """Return (state, met_at) for a deadline due at DUE; a case end meets what was still unmet."""
    if met_at is None and ended_at is not None:
        met_at = ended_at
    if met_at is not None:
        return (MET if met_at <= due else BREACHED), met_at
    return (BREACHED if now >= due else RUNNING), None


def _make(rule: str, due: datetime, met_at: datetime | None, *, now: datetime, ended_at: datetime | None) -> Deadline:
    provision, what = RULES[rule]
    state, met = _state(due, met_at, now=now, ended_at=ended_at)
    return Deadline(rule, provision, due, state, met, what)


def _london_day(value: datetime) -> date:
    return value.astimezone(LONDON).date()


def s136_detention_deadline(started_at: datetime, *, extension_hours: int = 0) -> datetime:
    """s136(2A) with s136B: 24 elapsed hours from arrival at the place of safety, plus up to 12."""
    if not 0 <= extension_hours <= 12:
        raise ClockError(f"An s136B extension is 0 to 12 hours, got {extension_hours}")
    return _utc(started_at, "started_at") + timedelta(hours=24 + extension_hours)


def s5_2_deadline(report_at: datetime, *, s5_4_started_at: datetime | None = None) -> datetime:
    """s5(2): 72 elapsed hours from the report; s5(5): from the s5(4) record when one came first."""
    start = _utc(s5_4_started_at or report_at, "started_at")
    return start + timedelta(hours=S5_2_HOURS)


def s4_conveyance_deadline(*, examined_at: datetime | None, application_at: datetime | None) -> datetime | None:
    """s6(1)(b): 24 h from the medical examination or the application, whichever is earlier."""
    start = _first(
        _utc(examined_at, "examined_at") if examined_at else None,
        _utc(application_at, "application_at") if application_at else None,
    )
    return None if start is None else start + timedelta(hours=S4_CONVEYANCE_HOURS)


def s6_conveyance_deadline(last_examined_at: datetime) -> datetime:
    """s6(1)(a): 14 days beginning with the (London) day of the last medical examination.

    Examined on 1 March: the 14 days are 1 to 14 March, so conveyance must happen before
    local midnight starting 15 March.
    """
    day = _london_day(_utc(last_examined_at, "last_examined_at"))
    return _london_midnight(day + timedelta(days=S6_DAYS))


def s11_5_deadline(seen_at: datetime) -> datetime:
    """s11(5): the application must be made within the 14 days ending with its date, counted from the last sight.

    Seen on 1 March: an application dated 14 March is in time, one dated 15 March is not.
    """
    day = _london_day(_utc(seen_at, "seen_at"))
    return _london_midnight(day + timedelta(days=S11_5_DAYS))


def s2_deadline(
    admitted_at: datetime,
    *,
    s29_ground: str = "",
    s29_applied_on: date | None = None,
    s29_decided_on: date | None = None,
    s29_order_made: bool = False,
) -> datetime | None:
    """s2(4): 28 days beginning with the day of admission; s29(4) extends it.

    Return None while an application to displace the nearest relative on ground (c) or (d),
    made before the 28 days ran out, is still pending (s2 continues until it is disposed of).
    Once decided: with an order, 7 further days after the day of the order; without, the start of
    the day of disposal, or the 28 days if they end later.
    """
    day = _london_day(_utc(admitted_at, "admitted_at"))
    base = _london_midnight(day + timedelta(days=S2_DAYS))
    if s29_ground.lower() not in S29_GROUNDS or s29_applied_on is None or _london_midnight(s29_applied_on) >= base:
        return base
    if s29_decided_on is None:
        return None
    if s29_order_made:
        return max(base, _london_midnight(s29_decided_on + timedelta(days=S29_AFTER_ORDER_DAYS + 1)))
    return max(base, _london_midnight(s29_decided_on))


def _next_start(history: Sequence[LegalPeriod], index: int) -> datetime | None:
    for later in history[index + 1 :]:
        if later.started_at is not None:
            return _utc(later.started_at, "started_at")
    return None


def case_deadlines(facts: CaseFacts, *, now: datetime) -> list[Deadline]:
    """Return every deadline FACTS carry at NOW, in order of due time (not applicable ones last)."""
    now = _utc(now, "now")
    ended = _utc(facts.ended_at, "ended_at") if facts.ended_at else None
    admitted = _utc(facts.admitted_at, "admitted_at") if facts.admitted_at else None
    signed = _utc(facts.application_signed_at, "application_signed_at") if facts.application_signed_at else None
    conveyed = _first(_utc(facts.conveyed_at, "conveyed_at") if facts.conveyed_at else None, admitted)
    history = list(facts.history)
    out: list[Deadline] = []
    s4_admission: datetime | None = None
    s5_4_start: datetime | None = None

    for index, period in enumerate(history):
        status, start = period.legal_status, period.started_at
        following = _next_start(history, index)
        if status == "s135_2":
            provision, _ = RULES["detention_s135"]
            out.append(
                Deadline(
                    "detention_s135",
                    provision,
                    None,
                    NOT_APPLICABLE,
                    None,
                    "s135(2) retakes a patient: the underlying deadline applies",
                )
            )
            continue
        if start is None:
            continue
        start = _utc(start, "started_at")
        if status in HOUR_RULES:
            rule, hours = HOUR_RULES[status]
            due = start + timedelta(hours=hours + facts.extension_hours)
            out.append(_make(rule, due, _first(signed, following, admitted), now=now, ended_at=ended))
        elif status in IN_HOSPITAL:
            rule, hours = IN_HOSPITAL[status]
            due = start + timedelta(hours=hours)
            if status == "s5_4":
                s5_4_start = start
            if status == "s4":
                s4_admission = start
            # Admission under an application ends a holding power; s4 and a recall run on in hospital.
            met = _first(following, admitted) if status == "s5_4" else following
            out.append(_make(rule, due, met, now=now, ended_at=ended))
        elif status == "s5_2":
            # s5(5): a s5(2) that follows a s5(4) counts from the s5(4) record.
            previous_s5_4 = s5_4_start if index > 0 and history[index - 1].legal_status == "s5_4" else None
            due = s5_2_deadline(start, s5_4_started_at=previous_s5_4)
            out.append(_make("holding_s5_2", due, _first(following, admitted), now=now, ended_at=ended))
        elif status == "s2":
            # s4(4)(a): an s2 converted from s4 counts its 28 days from the s4 admission.
            from_s4 = index > 0 and history[index - 1].legal_status == "s4" and s4_admission is not None
            out.append(_s2(facts, s4_admission if from_s4 else start, following, now=now, admitted=None, ended=ended))  # type: ignore[arg-type]

    section = facts.application_section
    if signed is not None and section == "s4":
        exam = min((_utc(e, "examined_at") for e in facts.examinations), default=None)
        due = s4_conveyance_deadline(examined_at=exam, application_at=signed)  # type: ignore[assignment]
        if due is not None:
            out.append(_make("conveyance_s4", due, conveyed, now=now, ended_at=ended))
    if facts.examinations and section != "s4":
        last = max(_utc(e, "examined_at") for e in facts.examinations)
        out.append(_make("conveyance_s6", s6_conveyance_deadline(last), conveyed, now=now, ended_at=ended))
    if facts.applicant_seen_at is not None and section != "s4":
        due = s11_5_deadline(facts.applicant_seen_at)
        out.append(_make("applicant_seen_s11_5", due, signed, now=now, ended_at=ended))
    if admitted is not None and section == "s2" and not any(d.rule == "detention_s2" for d in out):
        out.append(_s2(facts, admitted, None, now=now, admitted=admitted, ended=ended))
    if admitted is not None and section == "s4" and not any(d.rule == "emergency_s4" for d in out):
        out.append(_make("emergency_s4", admitted + timedelta(hours=72), None, now=now, ended_at=ended))
    return sorted(out, key=lambda d: (d.state == NOT_APPLICABLE, d.due_at or _NEVER))


def _s2(
    facts: CaseFacts,
    start: datetime,
    following: datetime | None,
    *,
    now: datetime,
    admitted: datetime | None,
    ended: datetime | None,
) -> Deadline:
    provision, what = RULES["detention_s2"]
    due = s2_deadline(
        start,
        s29_ground=facts.s29_ground,
        s29_applied_on=facts.s29_applied_on,
        s29_decided_on=facts.s29_decided_on,
        s29_order_made=facts.s29_order_made,
    )
    if due is None:  # s29(4)(a): continues until the displacement application is disposed of
        return Deadline("detention_s2", provision, None, RUNNING if following is None else MET, following, what)
    if following is not None:
        return Deadline("detention_s2", provision, due, MET if following <= due else BREACHED, following, what)
    if admitted is not None and ended is None:
        # Admitted under the application: the hospital holds the detention from here.
        return Deadline("detention_s2", provision, due, RUNNING if now < due else NOT_APPLICABLE, None, what)
    return _make("detention_s2", due, None, now=now, ended_at=ended)


def earliest_running(deadlines: Iterable[Deadline]) -> Deadline | None:
    """Return the running deadline due soonest, or None when nothing is running."""
    running = [d for d in deadlines if d.state == RUNNING and d.due_at is not None]
    return min(running, key=lambda d: d.due_at or _NEVER, default=None)


def earliest_unmet(deadlines: Iterable[Deadline]) -> Deadline | None:
    """Return the deadline still to be met that is due soonest: running, or breached and not yet met.

    This is what the queue orders by and the late-work sweep watches (a breach stays watched
    until the person is released or the deadline is met).
    """
    unmet = [d for d in deadlines if d.state in (RUNNING, BREACHED) and d.met_at is None and d.due_at is not None]
    return min(unmet, key=lambda d: d.due_at or _NEVER, default=None)


_NEVER = datetime.max.replace(tzinfo=UTC)


def intake_deadline(legal_status: str, started_at: datetime | None, *, now: datetime) -> Deadline | None:
    """Return the earliest unmet deadline of a case known only by its legal status at referral."""
    if not legal_status:
        return None
    return earliest_unmet(case_deadlines(CaseFacts(history=[LegalPeriod(legal_status, started_at)]), now=now))
