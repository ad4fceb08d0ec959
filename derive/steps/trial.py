"""The one loop both judges run over a step (check.py in floating point, exact.py exactly): at
each size, for each value of the free word indices, at each point where the step's conditions
hold, both sides are worked out and compared; the first comparison that does not hold is the
verdict, and a step never compared is unchecked — never a ✓. Each judge gives it where to
look (its points and environments), how to evaluate a side, the zero of a shape and how to
compare, so that the two differ in arithmetic only."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from .document import Side, Step
from .nodes import Node, is_written_zero
from .numvalues import EvalError, NotChecked
from .verdict import NEVER_COMPARED, SIZES, Verdict

H = TypeVar("H")  # where a side is worked out: an environment at one point
M = TypeVar("M")  # a side's value

Size = tuple[int, int, int]


@dataclass(frozen=True)
class Trial(Generic[H, M]):
    # for one size, drawing its points from the generator: for each assignment of the free
    # indices, the places where the conditions hold (worked out only when asked, as that
    # may fail as the sides may)
    places: Callable[[Size, np.random.Generator], Iterator[Callable[[], list[H]]]]
    value: Callable[[Node, H], M]
    zeros: Callable[[M], M]  # the zero of a value's shape
    compare: Callable[[H, M, M], Verdict]


def run(step: Step, lhs: Side, rhs: Side, seed: int, trial: Trial[H, M]) -> Verdict:
    worst, compared = 0.0, 0
    rng = np.random.default_rng(seed)
    for size in SIZES:
        for places in trial.places(size, rng):
            try:
                where = places()
                if not where:
                    continue
                for here in where:
                    left, right = trial.value(lhs.node, here), trial.value(rhs.node, here)
                    # a written 0 (or \mathbf{0}) is the zero of the shape it is equated with
                    if is_written_zero(rhs.node):
                        right = trial.zeros(left)
                    elif is_written_zero(lhs.node):
                        left = trial.zeros(right)
                    verdict = trial.compare(here, left, right)
                    if verdict.status != "holds":
                        return verdict
                    worst = max(worst, verdict.max_rel_error or 0.0)
            except NotChecked as exc:
                return Verdict(step, "unchecked", str(exc))
            except EvalError as exc:
                return Verdict(step, "fails", str(exc))
            compared += 1
    if not compared:  # never a ✓ for a step that was never compared
        return Verdict(step, "unchecked", NEVER_COMPARED)
    return Verdict(step, "holds", "", worst)
