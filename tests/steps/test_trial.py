"""The loop both judges run (trial.py): a step never compared is never a ✓, the first
comparison that fails is the verdict, and errors while finding where to look count as the
sides' errors would."""
from __future__ import annotations

from derive.steps.document import Side, Step
from derive.steps.nodes import Num, Obj
from derive.steps.numvalues import EvalError, NotChecked
from derive.steps.trial import Trial, run
from derive.steps.verdict import NEVER_COMPARED, Verdict

STEP = Step(1, Side(Obj("v_c"), 1), Side(Num("0"), 1))


def trial(places, compare):  # type: ignore[no-untyped-def]
    return Trial(places, lambda node, here: here, lambda m: f"zero of {m}", compare)


def test_a_step_whose_conditions_hold_nowhere_is_unchecked() -> None:
    nowhere = trial(lambda size, rng: iter([lambda: []]), None)
    assert run(STEP, STEP.left, STEP.right, 0, nowhere) == Verdict(STEP, "unchecked",
                                                                  NEVER_COMPARED)


def test_the_first_comparison_that_does_not_hold_is_the_verdict() -> None:
    seen: list[tuple[object, object]] = []

    def compare(here, left, right):  # type: ignore[no-untyped-def]
        seen.append((left, right))  # a written 0 is the zero of the other side's shape
        return Verdict(STEP, "fails" if here == 2 else "holds", "", 0.5)
    verdict = run(STEP, STEP.left, STEP.right, 0, trial(
        lambda size, rng: iter([lambda: [1, 2, 3]]), compare))
    assert verdict.status == "fails" and seen == [(1, "zero of 1"), (2, "zero of 2")]


def test_an_error_finding_where_to_look_is_the_steps() -> None:
    def failing(exc: Exception):  # type: ignore[no-untyped-def]
        def places():  # type: ignore[no-untyped-def]
            raise exc
        return trial(lambda size, rng: iter([places]), None)
    assert run(STEP, STEP.left, STEP.right, 0, failing(NotChecked("no"))).status == "unchecked"
    assert run(STEP, STEP.left, STEP.right, 0, failing(EvalError("bad"))) == Verdict(
        STEP, "fails", "bad")
