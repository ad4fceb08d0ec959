"""Whether each step holds: both sides are evaluated at several sizes (V ≠ d, V ≥ 3), for every
value of every free word index, at several random points, and compared in shape and value. A
step passes only if it holds everywhere it was tried: a false ✓ is the worst outcome.

The sides are worked out in floating point first (numeric.py, forward mode for derivatives).
Floating point decides a comparison only when its rounding cannot matter: the two sides agree
with room to spare, or differ by far more than rounding could make. Anything else — a value
near zero or near the tolerance, a logarithm of a negative, a derivative of a derivative — is
decided again by the exact judge (exact.py), whose verdict is the one given.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from . import numeric
from .document import Side, Step
from .dual import Inexact, Val
from .indices import assignments, free_indices, ranges
from .nodes import Add, Node
from .numeric import At
from .points import Point, draw
from .trial import Size, Trial, run
from .verdict import (
    POINTS,
    RTOL,
    SCALE_FLOOR,
    SIZES,
    Verdict,
    differ_reason,
    layout_reason,
    shape_reason,
    sizes_of,
)

__all__ = ["Verdict", "decide"]

# How far floating point may be from exact arithmetic, relative to the largest magnitude met in
# working a side out (a value or a derivative): about 450 roundings (float64 ε ≈ 2.2e-16), well
# above what the ~100 operations of a side at these sizes and points can gather. Only a
# comparison clear of it is decided here.
ROUNDING = 1e-13
# A failure is decided here only if rounding moves its relative error by less than this part,
# so the error it reports is the exact judge's to two digits.
REPORTED = 1e-6


class Undecided(Exception):
    """Floating point cannot decide this step beyond doubt."""


def decide(step: Step, *, layout: str = "denominator", seed: int = 0,
           memo: dict[Any, Any] | None = None) -> Verdict:
    memo = {} if memo is None else memo
    if step.kind != "step":
        return Verdict(step, step.kind, step.note)
    if step.left is None or step.right is None:
        return Verdict(step, "unchecked", "a side is missing")
    try:
        verdict = _decide(step, step.left, step.right, layout, seed, memo)
    except (ArithmeticError, TypeError, ValueError, KeyError, RecursionError) as exc:
        # a value we could not work out is a step not checked — never a pass, never a crash
        return Verdict(step, "unchecked", f"could not be evaluated ({type(exc).__name__})")
    if verdict.status == "fails" and layout == "denominator":
        # the chain rule written in the numerator layout (∂J/∂θ ∂θ/∂v_c): wrong in the
        # course's layout, right in the other — a layout error, and said so, never a ✓
        other = _decide(step, step.left, step.right, "numerator", seed, memo)
        if other.status == "holds":
            verdict = Verdict(step, "layout", f"{verdict.reason}; it holds in the numerator "
                              "layout (--layout numerator)", verdict.max_rel_error)
    if step.note:  # how the step was read (the loss a bare J was taken to be)
        verdict = Verdict(step, verdict.status, "; ".join(
            x for x in (verdict.reason, step.note) if x), verdict.max_rel_error)
    if step.via_head and step.left is not None:
        note = (f"compared with the first side of its chain (line {step.left.line}): the side "
                "before it could not be read")
        return Verdict(step, verdict.status, "; ".join(x for x in (verdict.reason, note) if x),
                       verdict.max_rel_error)
    if verdict.failed and step.truth is not None:
        # judged against the true result too: a right answer after a wrong step says so
        truth = _decide(step, step.truth, step.right, layout, seed, memo)
        if truth.status == "holds":
            return Verdict(step, verdict.status, (
                f"this is the right gradient (it equals line {step.truth.line}); the step "
                f"before it is not an equality: {verdict.reason}"), verdict.max_rel_error)
    return verdict


def _decide(step: Step, lhs: Side, rhs: Side, layout: str, seed: int,
            memo: dict[Any, Any]) -> Verdict:
    try:
        with np.errstate(all="ignore"):
            return _decide_numerically(step, lhs, rhs, layout, seed, memo)
    except (Undecided, Inexact, ArithmeticError, TypeError, ValueError, LookupError,
            RecursionError):
        # floating point could not settle it, or met something it does not do: the exact
        # judge decides the whole step (SymPy loads only now)
        from .exact import decide_exactly

        return decide_exactly(step, lhs, rhs, layout, seed, memo)


def _decide_numerically(step: Step, lhs: Side, rhs: Side, layout: str, seed: int,
                        memo: dict[Any, Any]) -> Verdict:
    """As exact.decide_exactly, step for step, in floating point (trial.run's loop)."""
    nodes: list[Node] = [lhs.node, rhs.node, *step.conditions]

    def places(size: Size, rng: np.random.Generator) -> Iterator[Callable[[], list[At]]]:
        sizes = sizes_of(*size)
        points = [Point(sizes, draw(sizes, rng, n), n + POINTS * SIZES.index(size))
                  for n in range(POINTS)]
        for indices in _assignments(step, nodes, sizes):
            def where(indices: dict[str, tuple[int, str]] = indices) -> list[At]:
                envs = [At(p, indices, step.definitions, layout, memo) for p in points]
                return [env for env in envs if _holds_here(step.conditions, env)]
            yield where

    return run(step, lhs, rhs, seed, Trial(
        places, numeric.evaluate, lambda m: Val(np.zeros(m.shape)),
        lambda here, left, right: _compare(step, here, left, right)))


def _assignments(step: Step, nodes: Sequence[Node], sizes: dict[str, int]
                 ) -> list[dict[str, tuple[int, str]]]:
    free: set[str] = set()
    for node in nodes:
        free |= free_indices(node, definitions=step.definitions)
    return assignments(free, ranges(Add(tuple(nodes))), sizes)


def _holds_here(conditions: tuple[Node, ...], env: At) -> bool:
    """Whether every condition of the step holds at this point: a case of the word indices
    (w = o) holds or not for the whole environment; one on a variable (x < 0) point by point."""
    truths = [numeric.truth(c, env) for c in conditions]
    return all(truths)


def _compare(step: Step, env: At, left: Val, right: Val) -> Verdict:
    sizes = env.point.sizes
    if left.shape != right.shape:
        if left.shape == right.T.shape and _close(left, right.T)[0]:
            return Verdict(step, "layout", layout_reason(sizes, env.layout, left.shape,
                                                         right.shape))
        return Verdict(step, "fails", shape_reason(sizes, left.shape, right.shape))
    ok, err = _close(left, right)
    if not ok:
        return Verdict(step, "fails", differ_reason(env.indices, err), err)
    return Verdict(step, "holds", "", err)


def _close(a: Val, b: Val) -> tuple[bool, float]:
    """Whether the sides agree, and their relative error — or Undecided, when rounding could
    change the answer or the error reported."""
    x, y = a.v, b.v
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise Undecided("a side is not finite in floating point")
    scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
    floor = max(scale, SCALE_FLOOR)
    diff = float(np.max(np.abs(x - y), initial=0.0))
    slack = ROUNDING * max(a.mag, b.mag, scale)
    if diff + slack <= RTOL * floor:
        return True, diff / floor
    if diff - slack > RTOL * floor and slack <= REPORTED * diff:
        return False, diff / floor
    raise Undecided("the sides are too close to call in floating point")
