"""Replay the service's own history and compare it with what was recorded (the honesty check).

Pure: takes a ``planning.selectors.History``-shaped object (cases, rota, recorded totals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from planning import simulation


class _History(Protocol):
    @property
    def cases(self) -> list[simulation.Case]: ...

    @property
    def service(self) -> simulation.Service: ...

    @property
    def toil_booked_minutes(self) -> int: ...

    @property
    def late_finishes(self) -> int: ...


@dataclass(frozen=True)
class Comparison:
    report: simulation.Report
    toil_booked_minutes: int
    late_finishes_recorded: int

    @staticmethod
    def _error(simulated: float, recorded: float) -> float | None:
        if recorded == 0:
            return None if simulated == 0 else float("inf")
        return abs(simulated - recorded) / recorded

    @property
    def toil_error(self) -> float | None:
        """Relative error of simulated against booked TOIL (0.1 is 10%); None when both are zero."""
        return self._error(self.report.toil_minutes, self.toil_booked_minutes)

    @property
    def late_finish_error(self) -> float | None:
        return self._error(self.report.late_finishes, self.late_finishes_recorded)


def replay(history: _History, *, policy: simulation.Policy = simulation.greedy_policy, seed: int = 0) -> Comparison:
    """Replay HISTORY's cases through its own rota with POLICY (today's greedy ranking by default)."""
    report = simulation.simulate(history.cases, history.service, policy=policy, seed=seed)
    return Comparison(
        report=report, toil_booked_minutes=history.toil_booked_minutes, late_finishes_recorded=history.late_finishes
    )
