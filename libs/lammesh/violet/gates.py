"""The publish / refuse decision for a candidate patch, from figures measured elsewhere (pure).

Each gate compares the candidate with the model it patches (its parent) on one set of texts:

- `new_cases`: the cases the patch was built from; every one must be fixed;
- `earlier_cases`: every earlier feedback case of the watcher; no more wrong than the parent;
- `attack_suite`: the project's attack cases; every attack the parent blocked stays blocked;
- `frozen`: the frozen evaluation set, as a no-regression gate only (never for training or
  thresholds); accuracy may drop at most `tolerance`;
- `heldout_variants`: the held-out share of the new variants; accuracy at least `floor`.

A refusal names every failed gate with its figures, so the reviewer sees why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class GateFigures:
    gate: str
    count: int
    parent_correct: int
    candidate_correct: int
    tolerance: float = 0.0
    """Largest allowed drop of the candidate's accuracy below the parent's (0.01 = one point)."""
    floor: float | None = None
    """If set, the candidate's accuracy must be at least this, whatever the parent did."""
    require_all: bool = False
    """Every text must be right (the new cases, the attack suite)."""

    def __post_init__(self) -> None:
        if (
            self.count < 0
            or not 0 <= self.parent_correct <= self.count
            or not 0 <= self.candidate_correct <= self.count
        ):
            raise ValueError(f"gate {self.gate}: correct counts must be within 0..{self.count}")
        if self.tolerance < 0:
            raise ValueError(f"gate {self.gate}: tolerance must not be negative")

    @property
    def parent_accuracy(self) -> float:
        return self.parent_correct / self.count if self.count else 1.0

    @property
    def candidate_accuracy(self) -> float:
        return self.candidate_correct / self.count if self.count else 1.0

    def failure(self) -> str | None:
        """Why this gate refuses the candidate, or None when it passes."""
        figures = f"{self.candidate_correct}/{self.count} right (parent {self.parent_correct}/{self.count})"
        if self.require_all and self.candidate_correct < self.count:
            return f"{self.gate}: {figures}; every one must be right"
        if self.floor is not None and self.candidate_accuracy < self.floor:
            return f"{self.gate}: {figures}, {self.candidate_accuracy:.1%} is under the {self.floor:.1%} floor"
        drop = self.parent_accuracy - self.candidate_accuracy
        if drop > self.tolerance + 1e-12:
            return f"{self.gate}: {figures}, a {drop:.2%} drop is over the {self.tolerance:.2%} tolerance"
        return None


@dataclass(frozen=True)
class GateDecision:
    figures: tuple[GateFigures, ...]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def refusal(self) -> str:
        return "" if self.passed else "patch refused: " + "; ".join(self.failures)

    def as_metrics(self) -> dict[str, float]:
        """Flat figures for the registry entry (`metrics` of the candidate)."""
        metrics: dict[str, float] = {}
        for item in self.figures:
            metrics[f"gate.{item.gate}.count"] = float(item.count)
            metrics[f"gate.{item.gate}.parent_accuracy"] = round(item.parent_accuracy, 6)
            metrics[f"gate.{item.gate}.candidate_accuracy"] = round(item.candidate_accuracy, 6)
        return metrics


REQUIRED_GATES = ("new_cases", "earlier_cases", "attack_suite", "frozen", "heldout_variants")


def decide(figures: Sequence[GateFigures]) -> GateDecision:
    """Publish only when every required gate was measured and none refuses."""
    measured = {item.gate for item in figures}
    failures = [f"{gate}: not measured" for gate in REQUIRED_GATES if gate not in measured]
    failures += [reason for item in figures if (reason := item.failure()) is not None]
    return GateDecision(tuple(figures), tuple(failures))
