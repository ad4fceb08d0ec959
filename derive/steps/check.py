"""Whether each step holds: both sides are evaluated at several sizes (V ≠ d, V ≥ 3), for every
value of every free word index, at several random points, and compared in shape and value. A
step passes only if it holds everywhere it was tried: a false ✓ is the worst outcome."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .document import Side, Step
from .evaluate import (
    DIGITS,
    Env,
    EvalError,
    Matrix,
    NotChecked,
    World,
    assignments,
    evaluate,
    free_indices,
    holds,
    point,
    ranges,
)
from .nodes import Add, Node, Num

# (V, d, K): all different, so a shape names its sizes unambiguously, and V ≠ d so that a
# transposed result cannot pass by accident.
SIZES: tuple[tuple[int, int, int], ...] = ((4, 3, 2), (3, 2, 4))
POINTS = 3
# Two sides agree when every entry differs by less than this, relative to the larger side (or to
# SCALE_FLOOR when both are about zero). Points carry 30 digits, so rounding stays far below.
RTOL = 1e-9
SCALE_FLOOR = 1e-12


@dataclass(frozen=True)
class Verdict:
    step: Step
    status: str  # "holds", "fails", "layout", "definition", "unchecked", "unread"
    reason: str = ""
    max_rel_error: float | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("fails", "layout")


def decide(step: Step, *, layout: str = "denominator", seed: int = 0,
           memo: dict[object, Matrix] | None = None) -> Verdict:
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
            memo: dict[object, Matrix]) -> Verdict:
    worst, compared = 0.0, 0
    rng = np.random.default_rng(seed)
    for V, d, K in SIZES:
        world = World.of(V, d, K)
        points = [point(world, rng, n) for n in range(POINTS)]
        for env in _environments(step, lhs, rhs, world, layout, memo):
            try:
                where = _points_where(step.conditions, env, points)
                if not where:
                    continue
                for n, at in enumerate(points):
                    if at not in where:
                        continue
                    # numbers from the start: only a derivative is worked out symbolically
                    here = env.at(at, n + POINTS * SIZES.index((V, d, K)))
                    left, right = _value(lhs, here), _value(rhs, here)
                    # a written 0 (or \mathbf{0}) is the zero of the shape it is equated with
                    if _written_zero(rhs.node):
                        right = Matrix.zeros(*left.shape)
                    elif _written_zero(lhs.node):
                        left = Matrix.zeros(*right.shape)
                    verdict = _compare(step, world, left, right, [at], env)
                    if verdict.status != "holds":
                        return verdict
                    worst = max(worst, verdict.max_rel_error or 0.0)
            except NotChecked as exc:
                return Verdict(step, "unchecked", str(exc))
            except EvalError as exc:
                return Verdict(step, "fails", str(exc))
            compared += 1
    if not compared:  # never a ✓ for a step that was never compared
        return Verdict(step, "unchecked", "its condition held at none of the points tried")
    return Verdict(step, "holds", "", worst)


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
                  memo: dict[object, Matrix]) -> list[Env]:
    sides = [lhs.node, rhs.node]
    nodes: list[Node] = [*sides, *step.conditions]
    free: set[str] = set()
    for node in nodes:
        free |= free_indices(node, definitions=step.definitions)
    sizes = ranges(Add(tuple(nodes)))
    return [Env(world, a, step.definitions, layout, memo)
            for a in assignments(free, sizes, world)]


def _value(side: Side, env: Env) -> Matrix:
    return evaluate(side.node, env)


def _compare(step: Step, world: World, left: Matrix, right: Matrix,
             points: Sequence[dict[sp.Symbol, sp.Float]], env: Env) -> Verdict:
    where = _where(env)
    if left.shape != right.shape:
        if left.shape == right.T.shape and _close(left, right.T, points)[0]:
            return Verdict(step, "layout", (
                f"shape {world.shape_text(right)} where {world.shape_text(left)} is expected: "
                f"equal only up to a transpose. In the {env.layout} layout "
                + ("a gradient has the shape of its variable (∂/∂v_c of a scalar is a column); "
                   "--layout numerator reads derivatives transposed"
                   if env.layout == "denominator" else
                   "a derivative is transposed (∂/∂v_c of a scalar is a row)")))
        return Verdict(step, "fails", f"shape {world.shape_text(right)} where "
                                      f"{world.shape_text(left)} is expected")
    ok, err = _close(left, right, points)
    if not ok:
        return Verdict(step, "fails", f"the sides differ{where} (rel. error {err:.2g})", err)
    return Verdict(step, "holds", "", err)


def _where(env: Env) -> str:
    shown = [f"{i} = {v + 1}" for i, (v, _) in sorted(env.indices.items())]
    return f" at {', '.join(shown)}" if shown else ""


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


def _written_zero(node: Node) -> bool:
    return isinstance(node, Num) and node.value in ("0", "0.0")
