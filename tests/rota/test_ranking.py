from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from referrals.constants import LegalStatus
from rota.ranking import (
    CONTINUITY_BONUS,
    EXPECTED_HOURS_BY_LEGAL_STATUS,
    FITS_BONUS,
    LANGUAGE_BONUS,
    LOCALITY_BONUS,
    SPARE_HOUR_BONUS,
    SPARE_HOURS_CAP,
    Candidate,
    RankedCandidate,
    Work,
    expected_hours,
    rank_candidates,
)

# Monday 23 November 2026, 13:00 in London (GMT, so the same in UTC).
NOW = datetime(2026, 11, 23, 13, tzinfo=UTC)
FIVE_PM = datetime(2026, 11, 23, 17, tzinfo=UTC)


def candidate(
    name: str = "Alex Able",
    *,
    amhp_id: str | None = None,
    shift_end: datetime = FIVE_PM,
    open_allocations: int = 0,
    open_hours: float = 0.0,
    assessed_person_before: bool = False,
    locality: str | None = None,
    languages: frozenset[str] = frozenset(),
) -> Candidate:
    return Candidate(
        amhp_id=amhp_id or name.lower().replace(" ", "-"),
        name=name,
        shift_end=shift_end,
        open_allocations=open_allocations,
        open_hours=open_hours,
        assessed_person_before=assessed_person_before,
        locality=locality,
        languages=languages,
    )


def work(
    expected: float = 2.0, *, locality: str | None = None, language: str | None = None, now: datetime = NOW
) -> Work:
    return Work(expected_hours=expected, locality=locality, language=language, now=now)


def names(ranked: list[RankedCandidate]) -> list[str]:
    return [r.candidate.name for r in ranked]


# --- expected hours ------------------------------------------------------------------

# The one list of legal statuses (referrals.constants): a new status needs a default here too.
LEGAL_STATUSES = list(LegalStatus.values)


def test_there_is_a_default_for_every_legal_status() -> None:
    assert sorted(EXPECTED_HOURS_BY_LEGAL_STATUS) == sorted(LEGAL_STATUSES)
    assert all(hours > 0 for hours in EXPECTED_HOURS_BY_LEGAL_STATUS.values())


@pytest.mark.parametrize(("status", "hours"), [("s136", 4.0), ("community", 6.0), ("s135_1", 8.0)])
def test_it_gives_the_documented_defaults(status: str, hours: float) -> None:
    assert expected_hours(status) == hours


def test_a_service_override_wins() -> None:
    assert expected_hours("s136", {"s136": 3.5}) == 3.5
    assert expected_hours("community", {"s136": 3.5}) == 6.0


def test_an_override_can_add_a_status() -> None:
    assert expected_hours("out_of_area", {"out_of_area": 9}) == 9.0


def test_it_rejects_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="no expected hours"):
        expected_hours("s37")


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_it_rejects_a_nonsense_override(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        expected_hours("s136", {"s136": bad})


# --- input validation ----------------------------------------------------------------


def test_candidate_needs_an_aware_shift_end() -> None:
    with pytest.raises(ValueError, match="shift_end"):
        candidate(shift_end=datetime(2026, 11, 23, 17))


def test_work_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="now"):
        work(now=datetime(2026, 11, 23, 13))


def test_candidate_rejects_negative_workload() -> None:
    with pytest.raises(ValueError, match="open_allocations"):
        candidate(open_allocations=-1)
    with pytest.raises(ValueError, match="open_hours"):
        candidate(open_hours=-0.5)
    with pytest.raises(ValueError, match="open_hours"):
        candidate(open_hours=float("nan"))


def test_work_rejects_negative_expected_hours() -> None:
    with pytest.raises(ValueError):
        work(-1.0)


# --- ranking -------------------------------------------------------------------------


def test_no_candidates_gives_an_empty_list() -> None:
    assert rank_candidates([], work()) == []


def test_it_accepts_any_iterable() -> None:
    assert len(rank_candidates(iter([candidate()]), work())) == 1


def test_more_time_left_ranks_higher_among_those_who_fit() -> None:
    early = candidate("Early Finisher", shift_end=NOW + timedelta(hours=3))
    late = candidate("Late Finisher", shift_end=NOW + timedelta(hours=6))
    assert names(rank_candidates([early, late], work(2.0))) == ["Late Finisher", "Early Finisher"]


def test_spare_time_beyond_the_cap_earns_nothing_more() -> None:
    a = candidate("Anna", shift_end=NOW + timedelta(hours=2 + SPARE_HOURS_CAP))
    b = candidate("Beth", shift_end=NOW + timedelta(hours=2 + SPARE_HOURS_CAP + 5))
    ranked = rank_candidates([b, a], work(2.0))
    assert ranked[0].score == ranked[1].score == FITS_BONUS + SPARE_HOUR_BONUS * SPARE_HOURS_CAP
    assert names(ranked) == ["Anna", "Beth"]  # tie broken by name


def test_a_candidate_who_fits_beats_one_who_would_overrun_even_with_every_bonus() -> None:
    overrun = candidate(
        "Has Everything",
        shift_end=NOW + timedelta(hours=1, minutes=59),
        assessed_person_before=True,
        locality="North",
        languages=frozenset({"Polish"}),
    )
    busy_fit = candidate("Just Fits", shift_end=NOW + timedelta(hours=2), open_allocations=0)
    ranked = rank_candidates([overrun, busy_fit], work(2.0, locality="North", language="Polish"))
    assert names(ranked) == ["Just Fits", "Has Everything"]
    assert ranked[0].fits_in_shift and not ranked[1].fits_in_shift


def test_past_shift_end_penalty_beats_continuity() -> None:
    knows_them = candidate("Knows Them", shift_end=NOW + timedelta(hours=1), assessed_person_before=True)
    stranger = candidate("Stranger", shift_end=NOW + timedelta(hours=5))
    ranked = rank_candidates([knows_them, stranger], work(3.0))
    assert names(ranked) == ["Stranger", "Knows Them"]
    assert "Assessed this person before" in ranked[1].reasons


def test_among_those_who_would_overrun_the_smaller_overrun_ranks_higher() -> None:
    a = candidate("Long Overrun", shift_end=NOW + timedelta(hours=1))
    b = candidate("Short Overrun", shift_end=NOW + timedelta(hours=3))
    ranked = rank_candidates([a, b], work(4.0))
    assert names(ranked) == ["Short Overrun", "Long Overrun"]
    assert not any(r.fits_in_shift for r in ranked)


def test_open_work_hours_use_up_time_left() -> None:
    free = candidate("Free", shift_end=NOW + timedelta(hours=4))
    busy = candidate("Busy", shift_end=NOW + timedelta(hours=6), open_allocations=1, open_hours=3.0)
    ranked = rank_candidates([busy, free], work(2.0))
    assert names(ranked) == ["Free", "Busy"]
    busy_ranked = ranked[1]
    assert busy_ranked.hours_left == pytest.approx(3.0)
    assert busy_ranked.fits_in_shift


def test_fewer_open_allocations_rank_higher() -> None:
    one = candidate("One Case", open_allocations=1)
    three = candidate("Three Cases", open_allocations=3)
    none = candidate("No Cases")
    assert names(rank_candidates([three, one, none], work())) == ["No Cases", "One Case", "Three Cases"]


def test_continuity_locality_and_language_each_lift_a_candidate() -> None:
    base = candidate("Base")
    cont = candidate("Continuity", assessed_person_before=True)
    local = candidate("Local", locality="North")
    speaker = candidate("Speaker", languages=frozenset({"Polish"}))
    ranked = rank_candidates([base, cont, local, speaker], work(locality="North", language="Polish"))
    scores = {r.candidate.name: r.score for r in ranked}
    assert scores["Continuity"] - scores["Base"] == CONTINUITY_BONUS
    assert scores["Local"] - scores["Base"] == LOCALITY_BONUS
    assert scores["Speaker"] - scores["Base"] == LANGUAGE_BONUS
    assert names(ranked) == ["Speaker", "Continuity", "Local", "Base"]


def test_soft_bonuses_together_are_smaller_than_the_fit_bonus() -> None:
    assert CONTINUITY_BONUS + LOCALITY_BONUS + LANGUAGE_BONUS + SPARE_HOUR_BONUS * SPARE_HOURS_CAP < FITS_BONUS


def test_locality_and_language_match_ignoring_case_and_spaces() -> None:
    c = candidate(locality="north ", languages=frozenset({"polish"}))
    reasons = rank_candidates([c], work(locality="North", language="Polish"))[0].reasons
    assert "Works in the north locality" in reasons
    assert "Speaks Polish" in reasons


def test_no_locality_or_language_on_the_work_gives_no_bonus() -> None:
    c = candidate(locality="North", languages=frozenset({"Polish"}))
    ranked = rank_candidates([c], work(locality=None, language=None))[0]
    assert not any(r.startswith(("Works in", "Speaks")) for r in ranked.reasons)


def test_a_candidate_without_a_locality_gets_no_locality_bonus() -> None:
    ranked = rank_candidates([candidate(locality=None)], work(locality="North"))[0]
    assert not any(r.startswith("Works in") for r in ranked.reasons)


def test_a_different_locality_or_language_gives_no_bonus() -> None:
    c = candidate(locality="South", languages=frozenset({"Urdu"}))
    ranked = rank_candidates([c], work(locality="North", language="Polish"))[0]
    assert ranked.reasons == ("Fits: 4 h left on shift, needs about 2 h", "No open allocations")


def test_work_exactly_filling_the_shift_fits() -> None:
    ranked = rank_candidates([candidate(shift_end=NOW + timedelta(hours=2))], work(2.0))[0]
    assert ranked.fits_in_shift
    assert ranked.score == FITS_BONUS


def test_a_candidate_whose_open_work_already_overruns_has_negative_hours_left() -> None:
    c = candidate(shift_end=NOW + timedelta(hours=1), open_allocations=1, open_hours=2.5)
    ranked = rank_candidates([c], work(2.0))[0]
    assert ranked.hours_left == pytest.approx(-1.5)
    assert ranked.reasons[0] == "Would run 3 h 30 min past the end of shift at 14:00"


def test_zero_hour_work_fits_anyone_still_on_shift() -> None:
    assert rank_candidates([candidate(shift_end=NOW)], work(0.0))[0].fits_in_shift


# --- reasons -------------------------------------------------------------------------


def test_reasons_for_a_candidate_who_fits_after_current_work() -> None:
    c = candidate(
        shift_end=NOW + timedelta(hours=5, minutes=10),
        open_allocations=2,
        open_hours=2.0,
        assessed_person_before=True,
        locality="North",
        languages=frozenset({"Polish", "English"}),
    )
    ranked = rank_candidates([c], work(2.0, locality="North", language="Polish"))[0]
    assert ranked.reasons == (
        "Fits: 3 h 10 min left on shift after current work, needs about 2 h",
        "2 open allocations",
        "Assessed this person before",
        "Works in the North locality",
        "Speaks Polish",
    )


def test_reason_for_a_candidate_who_would_overrun() -> None:
    c = candidate(shift_end=FIVE_PM, open_allocations=1, open_hours=1.5)
    ranked = rank_candidates([c], work(4.0))[0]
    assert ranked.reasons == ("Would run 1 h 30 min past the end of shift at 17:00", "1 open allocation")
    assert not ranked.fits_in_shift


def test_shift_end_is_shown_in_london_time_in_summer() -> None:
    now = datetime(2026, 6, 10, 12, tzinfo=UTC)  # 13:00 BST
    c = candidate(shift_end=datetime(2026, 6, 10, 16, tzinfo=UTC))  # 17:00 BST
    ranked = rank_candidates([c], work(6.0, now=now))[0]
    assert ranked.reasons[0] == "Would run 2 h past the end of shift at 17:00"


def test_a_shift_ending_tomorrow_shows_the_day() -> None:
    now = datetime(2026, 11, 23, 23, tzinfo=UTC)
    c = candidate(shift_end=datetime(2026, 11, 24, 9, tzinfo=UTC))
    ranked = rank_candidates([c], work(12.0, now=now))[0]
    assert ranked.reasons[0] == "Would run 2 h past the end of shift at Tue 24 Nov 09:00"


def test_the_wording_without_current_work() -> None:
    ranked = rank_candidates([candidate(shift_end=NOW + timedelta(hours=3, minutes=10))], work(2.0))[0]
    assert ranked.reasons[0] == "Fits: 3 h 10 min left on shift, needs about 2 h"
    assert ranked.reasons[1] == "No open allocations"


def test_an_edt_night_across_the_autumn_change_counts_elapsed_hours() -> None:
    # Saturday 24 October 2026 23:00 BST; the night ends Sunday 09:00 GMT, 11 elapsed hours later.
    now = datetime(2026, 10, 24, 22, tzinfo=UTC)
    c = candidate(shift_end=datetime(2026, 10, 25, 9, tzinfo=UTC))
    ranked = rank_candidates([c], work(6.0, now=now))[0]
    assert ranked.hours_left == pytest.approx(11.0)
    assert ranked.reasons[0] == "Fits: 11 h left on shift, needs about 6 h"


# --- determinism ---------------------------------------------------------------------


def test_ties_are_broken_by_name_then_id() -> None:
    people = [
        candidate("Sam Smith", amhp_id="2"),
        candidate("Sam Smith", amhp_id="1"),
        candidate("Ali Khan", amhp_id="9"),
    ]
    expected = [("Ali Khan", "9"), ("Sam Smith", "1"), ("Sam Smith", "2")]
    for order in itertools.permutations(people):
        ranked = rank_candidates(order, work())
        assert [(r.candidate.name, r.candidate.amhp_id) for r in ranked] == expected


def test_float_noise_does_not_break_a_tie() -> None:
    # 0.1 + 0.2 hours of open work against 0.3: the scores are equal after rounding.
    a = candidate("Zed", open_hours=0.1 + 0.2)
    b = candidate("Amy", open_hours=0.3)
    assert names(rank_candidates([a, b], work())) == ["Amy", "Zed"]


def test_the_result_holds_the_original_candidate() -> None:
    c = candidate()
    ranked = rank_candidates([c], work())[0]
    assert ranked.candidate is c
    with pytest.raises(dataclasses.FrozenInstanceError):
        ranked.score = 0  # type: ignore[misc]  # the point: a frozen dataclass refuses the assignment


def test_a_realistic_afternoon() -> None:
    # 15:00 on a weekday; a community assessment (6 h) in the North, Polish speaker needed.
    now = datetime(2026, 11, 23, 15, tzinfo=UTC)
    day_ends = datetime(2026, 11, 23, 17, tzinfo=UTC)
    late_ends = datetime(2026, 11, 23, 22, tzinfo=UTC)
    night_ends = datetime(2026, 11, 24, 9, tzinfo=UTC)
    people = [
        candidate("Day Polish", shift_end=day_ends, locality="North", languages=frozenset({"Polish"})),
        candidate("Late Busy", shift_end=late_ends, open_allocations=1, open_hours=1.0),
        candidate("Late Free", shift_end=late_ends, locality="South"),
        candidate("Night", shift_end=night_ends, open_allocations=2, open_hours=4.0),
    ]
    ranked = rank_candidates(people, work(expected_hours("community"), locality="North", language="Polish", now=now))
    # Late Free: 7 h left, 1 spare (102). Night: 14 h left, spare capped, 2 cases (98).
    # Late Busy: exactly 6 h left, 1 case (95). Day Polish: 4 h overrun outweighs both bonuses.
    assert names(ranked) == ["Late Free", "Night", "Late Busy", "Day Polish"]
    assert [r.score for r in ranked] == [102.0, 98.0, 95.0, -170.0]
    assert [r.fits_in_shift for r in ranked] == [True, True, True, False]
    assert ranked[3].reasons == (
        "Would run 4 h past the end of shift at 17:00",
        "No open allocations",
        "Works in the North locality",
        "Speaks Polish",
    )
