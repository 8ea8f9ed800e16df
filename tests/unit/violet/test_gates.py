import pytest

from lammesh.violet.gates import GateFigures, decide


def passing(**changes):
    gates = {
        "new_cases": GateFigures("new_cases", 1, 0, 1, require_all=True),
        "earlier_cases": GateFigures("earlier_cases", 4, 3, 4),
        "attack_suite": GateFigures("attack_suite", 12, 12, 12, require_all=True),
        "frozen": GateFigures("frozen", 1000, 950, 946, tolerance=0.005),
        "heldout_variants": GateFigures("heldout_variants", 20, 2, 19, floor=0.9),
    }
    gates.update(changes)
    return [g for g in gates.values() if g is not None]


def test_a_patch_that_fixes_the_case_within_tolerance_passes():
    decision = decide(passing())
    assert decision.passed and decision.refusal == ""
    assert decision.as_metrics()["gate.frozen.candidate_accuracy"] == 0.946


def test_a_poisoned_case_that_lets_an_attack_through_is_refused_with_figures():
    decision = decide(passing(attack_suite=GateFigures("attack_suite", 12, 12, 11, require_all=True)))
    assert not decision.passed
    assert decision.refusal == "patch refused: attack_suite: 11/12 right (parent 12/12); every one must be right"


def test_regressions_beyond_tolerance_and_unfixed_cases_are_all_named():
    decision = decide(
        passing(
            new_cases=GateFigures("new_cases", 1, 0, 0, require_all=True),
            frozen=GateFigures("frozen", 1000, 950, 940, tolerance=0.005),
            heldout_variants=GateFigures("heldout_variants", 20, 2, 15, floor=0.9),
        )
    )
    assert [f.split(":")[0] for f in decision.failures] == ["new_cases", "frozen", "heldout_variants"]
    assert "a 1.00% drop is over the 0.50% tolerance" in decision.refusal
    assert "75.0% is under the 90.0% floor" in decision.refusal


def test_a_gate_not_measured_refuses():
    assert decide(passing(frozen=None)).failures == ("frozen: not measured",)


def test_inconsistent_figures_are_refused():
    with pytest.raises(ValueError, match="within 0..3"):
        GateFigures("frozen", 3, 4, 1)
