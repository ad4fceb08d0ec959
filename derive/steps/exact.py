"""The exact judge: both sides as SymPy matrices, derivatives worked out symbolically, numbers
to 30 digits. It decides what floating point leaves in doubt (check.py asks it only then), with
the same sizes, points, order and words, so a verdict never depends on which judge gave it."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import sympy as sp

from .document import Side, Step
from .evaluate import evaluate, holds
from .exactvalues import DIGITS, Env, Matrix, World, point
from .indices import assignments, free_indices, ranges
from .nodes import Add, Node
from .numeric import EvalError
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
)


def decide_exactly(step: Step, lhs: Side, rhs: Side, layout: str, seed: int,
                   memo: dict[Any, Any]) -> Verdict:
    """check._decide_numerically's loop (trial.run), with SymPy's arithmetic."""
    def places(size: Size, rng: np.random.Generator
               ) -> Iterator[Callable[[], list[tuple[Env, dict[sp.Symbol, sp.Float]]]]]:
        world = World.of(*size)
        points = [point(world, rng, n) for n in range(POINTS)]
        for env in _environments(step, lhs, rhs, world, layout, memo):
            def where(env: Env = env) -> list[tuple[Env, dict[sp.Symbol, sp.Float]]]:
                ok = _points_where(step.conditions, env, points)
                # numbers from the start: only a derivative is worked out symbolically
                return [(env.at(at, n + POINTS * SIZES.index(size)), at)
                        for n, at in enumerate(points) if at in ok]
            yield where

    return run(step, lhs, rhs, seed, Trial(
        places, lambda node, here: evaluate(node, here[0]), lambda m: Matrix.zeros(*m.shape),
        lambda here, left, right: _compare(step, here[0].world, left, right, [here[1]],
                                           here[0])))


def _points_where(conditions: tuple[Node, ...], env: Env,
                  points: Sequence[dict[sp.Symbol, sp.Float]]) -> list[dict[sp.Symbol, sp.Float]]:
    """The points at which every condition holds: a case of the word indices (w = o) holds or
    not for the whole environment; one on a variable (x < 0) is decided point by point."""
    truths = [holds(c, env) for c in conditions]
    if any(t is False or t is sp.false for t in truths):
        return []
    relations = [t for t in truths if isinstance(t, sp.Basic) and t is not sp.true]
    return [p for p in points if all(bool(r.xreplace(p)) for r in relations)]


def _environments(step: Step, lhs: Side, rhs: Side, world: World, layout: str,
                  memo: dict[Any, Any]) -> list[Env]:
    nodes: list[Node] = [lhs.node, rhs.node, *step.conditions]
    free: set[str] = set()
    for node in nodes:
        free |= free_indices(node, definitions=step.definitions)
    sizes = ranges(Add(tuple(nodes)))
    return [Env(world, a, step.definitions, layout, memo)
            for a in assignments(free, sizes, world.sizes)]


def _compare(step: Step, world: World, left: Matrix, right: Matrix,
             points: Sequence[dict[sp.Symbol, sp.Float]], env: Env) -> Verdict:
    if left.shape != right.shape:
        if left.shape == right.T.shape and _close(left, right.T, points)[0]:
            return Verdict(step, "layout", layout_reason(world.sizes, env.layout, left.shape,
                                                         right.shape))
        return Verdict(step, "fails", shape_reason(world.sizes, left.shape, right.shape))
    ok, err = _close(left, right, points)
    if not ok:
        return Verdict(step, "fails", differ_reason(env.indices, err), err)
    return Verdict(step, "holds", "", err)


def _close(a: Matrix, b: Matrix, points: Sequence[dict[sp.Symbol, sp.Float]]
           ) -> tuple[bool, float]:
    worst = 0.0
    for values in points:
        x, y = _numbers(a, values), _numbers(b, values)
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            if np.array_equal(x, y, equal_nan=True):
                continue
            return False, float("inf")
        scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
        err = float(np.max(np.abs(x - y), initial=0.0)) / max(scale, SCALE_FLOOR)
        worst = max(worst, err)
        if err > RTOL:
            return False, worst
    return True, worst


def _numbers(m: Matrix, values: dict[sp.Symbol, sp.Float]) -> np.ndarray:
    out = m.xreplace(values).evalf(DIGITS)
    try:
        return np.array(out.tolist(), dtype=float)
    except TypeError as exc:
        raise EvalError(f"a side does not evaluate to a number: {out}") from exc
