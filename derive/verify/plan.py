"""How a problem's gradient cases are run: each loss's differences once, each gradient made only
when it is checked.

Several cases compare different gradients (the derived expression, the kernel) with the same
loss at the same point: their central differences are the same numbers, so they are taken once
and every gradient is compared with them — each check still made, against the same values it
was before. At V·d = 15 million a gradient of U is a copy of U (120 MB in float64) and a loss
evaluation about 50 ms, so a case holds a function that makes its gradient, called when the case
is checked and dropped after it: only one gradient of U is alive at a time.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import differences, gradcheck
from .draws import Directions
from .report import Check
from .values import Rank1

# `auto` checks every coordinate while that costs at most this many multiply-adds (x.size loss
# pairs, each about V·d), random directions beyond: about half a second on the CI machine.
COORDINATE_BUDGET = 10_000_000


@dataclass(frozen=True)
class Sum:
    """A gradient that is a sum of terms (a window's, one an outside word), each made when it
    is read: ⟨Σ g_j, r⟩ = Σ ⟨g_j, r⟩, so in directional mode one term of U's size is alive at a
    time rather than the sum and a term."""
    terms: tuple[Callable[[], np.ndarray], ...]

    def array(self, shape: tuple[int, ...] | None = None) -> np.ndarray | None:
        """The sum, or None when a term's shape is not `shape` (the first term's by default):
        an in-place add would broadcast a (1, d) term over every row."""
        total = np.array(self.terms[0](), dtype=np.float64)  # its own: added to in place
        shape = total.shape if shape is None else shape
        if total.shape != shape:
            return None
        for term in self.terms[1:]:
            g = term()
            if np.shape(g) != shape:
                return None
            total += np.asarray(g)
        return total


@dataclass(frozen=True)
class Case:
    target: str                               # "derived expression" or "kernel"
    function: str                             # the expression's text or the kernel's name
    wrt: str
    loss: Callable[[np.ndarray], float]       # the same object for cases of the same loss
    x: np.ndarray                             # the point; the same object for the same point
    gradient: Callable[[], np.ndarray | Rank1 | Sum | None]  # made when checked; None: unusable
    dtype: np.dtype                           # of the gradient, which sets the tolerance
    # Its own directions, drawn one at a time and dropped: for a case whose x is a second array
    # of U's size, where the shared ones would be a copy too many.
    alone: bool = False
    # The loss J alone (losses.printed), for directional differences in place of `loss`, which
    # is a kernel's and makes its gradients too; `loss` is still compared with it at x. With
    # `rows`, the rows of x that J reads (sorted, distinct), and J takes those rows alone.
    fast: Callable[[np.ndarray], float] | None = None
    rows: np.ndarray | None = None
    # The kernel's loss at x from the call that makes its gradient (in its dtype), compared
    # with J there; without it `loss` is called once more.
    own: Callable[[], float] | None = None
    # The fixed U that `fast` reads (as its keyword U_, default the real U.T), for a small x
    # at a large U: its directional differences are taken stacked (products.stacked).
    stack: Any = None
    # `fast` reads x as its U (x.T, the handout's layout) only in products w @ U: its
    # directional differences are taken from those products, x not moved (products.py).
    through: bool = False
    # A key naming the gradient exactly (a derived expression, as evaluated at this point): a
    # case whose key was read before in the same Differences reads the same numbers, so
    # ⟨grad, r⟩ is taken from that one, not made again (cross-entropy's forms are naive
    # softmax's, at the same point).
    same: Any = None


class Differences:
    """The directions and the differences already taken, by (loss, point, mode): runs that share
    a point and its losses (cross-entropy's and naive softmax's are the same) share these too."""

    def __init__(self, rng: np.random.Generator,
                 directions: Directions | None = None) -> None:
        self.directions = directions or Directions(rng)
        self.numeric: dict[tuple[int, int, str], Any] = {}
        self.analytic: dict[Any, np.ndarray | None] = {}  # ⟨grad, r⟩ by Case.same


def run(problem: str, cases: list[Case], n: int, cost: Callable[[str], int], mode: str,
        rng: np.random.Generator, progress: Callable[[str], None],
        release: Callable[[], None] = lambda: None, differences: Differences | None = None
        ) -> list[Check]:
    """A check for each case, in order; `cost(function)` is the multiply-adds of one loss
    evaluation, which decides the mode under auto, and n the longest sum behind an entry.

    Every loss's differences are taken first, then `release()` is called (the losses' scratch
    buffers may go), then each gradient is made, compared and dropped in turn."""
    shared = differences or Differences(rng)
    directions, numeric = shared.directions, shared.numeric
    chosen = [mode if mode != "auto" else (
        "coordinate" if c.x.size * cost(c.function) <= COORDINATE_BUDGET else "directional")
        for c in cases]
    alone: dict[int, Check] = {}
    whole: dict[int, dict[tuple[int, int, str], Case]] = {}  # J on all of x, by x: see below
    for i, (case, m) in enumerate(zip(cases, chosen, strict=True)):
        key = (id(case.loss), id(case.x), m)
        progress(f"{problem}: differences for {case.target} {case.function} ∂/∂{case.wrt}")
        if case.alone and m == "directional":
            alone[i] = _alone(problem, case, n, rng)
        elif key in numeric:
            continue
        elif m == "directional" and case.fast is not None and case.rows is None:
            whole.setdefault(id(case.x), {}).setdefault(key, case)
        else:
            numeric[key] = _numeric(case, m, directions)
    # The losses of one whole x (naive softmax's one word and batch, both of U) share its moves:
    # at V·d = 15 million a move is a pass over x, dearer than J itself.
    for group in whole.values():
        first = next(iter(group.values()))
        values = gradcheck.numeric_directional_many(
            [c.fast for c in group.values() if c.fast is not None], first.x,
            directions.of(first.x.shape), stack=first.stack,
            through=all(c.through for c in group.values()))
        for j, key in enumerate(group):
            numeric[key] = values[:, j]
    release()
    checks = []
    for i, (case, m) in enumerate(zip(cases, chosen, strict=True)):
        progress(f"{problem}: {case.target} {case.function} ∂/∂{case.wrt}")
        key = (id(case.loss), id(case.x), m)
        check = alone.get(i) or _check(problem, case, m, numeric[key], n, shared)
        if case.target == "kernel" and case.fast is not None and m == "directional":
            check = _with_loss(check, _loss_error(case, case.fast))
        checks.append(check)
    progress(f"{problem}: trace steps")
    return checks


def _numeric(case: Case, mode: str, directions: Directions) -> np.ndarray:
    if mode == "coordinate":
        return gradcheck.numeric_gradient(case.loss, case.x)
    rs = directions.of(case.x.shape)
    if case.fast is None:
        return gradcheck.numeric_directional(case.loss, case.x, rs)
    if case.rows is None:
        return gradcheck.numeric_directional(case.fast, case.x, rs)
    # J reads these rows alone: moving them alone gives the same differences, bit for bit.
    sub = np.array(case.x[case.rows], dtype=np.float64)
    rows = case.rows
    moved = [differences.restricted(r, rows) for r in rs]
    if case.stack is not None:
        return gradcheck.numeric_directional_many([case.fast], sub, moved,
                                                  stack=case.stack)[:, 0]
    return gradcheck.numeric_directional(case.fast, sub, moved)


def _loss_error(case: Case, J: Callable[[np.ndarray], float]) -> float:
    """The kernel's loss against J (case.fast) at x: a kernel with a wrong loss must not pass
    because its gradients are checked against J's differences rather than its own loss's."""
    at = case.x if case.rows is None else np.array(case.x[case.rows], dtype=np.float64)
    own = case.own() if case.own is not None else case.loss(case.x)
    return float(gradcheck.relative_error(own, J(at)))


def _with_loss(check: Check, error: float) -> Check:
    """The check, failed when the kernel's loss is not J at the point (NaN fails too)."""
    if error <= check.tolerance:
        return check
    worst = float("nan") if np.isnan(error) else max(error, check.max_rel_error)
    return dataclasses.replace(check, max_rel_error=worst, passed=False, worst_index=None)


def _alone(problem: str, case: Case, n: int, rng: np.random.Generator) -> Check:
    grad = case.gradient()
    analytic, numeric = np.empty(gradcheck.DIRECTIONS), np.empty(gradcheck.DIRECTIONS)
    for t in range(gradcheck.DIRECTIONS):
        r = [gradcheck.differences.draw(rng, case.x.shape)]
        numeric[t] = gradcheck.numeric_directional(case.loss, case.x, r)[0]
        along = _along(grad, r, case.x.shape)
        if along is None:
            return _verdict(problem, case, "directional", None, numeric, n)
        analytic[t] = along[0]
    return _verdict(problem, case, "directional", analytic, numeric, n)


def _check(problem: str, case: Case, mode: str, numeric: np.ndarray, n: int,
           shared: Differences) -> Check:
    if mode == "directional" and case.same is not None and case.same in shared.analytic:
        return _verdict(problem, case, mode, shared.analytic[case.same], numeric, n)
    grad = case.gradient()
    if mode == "coordinate":
        full = grad.array(case.x.shape) if isinstance(grad, Sum) else grad
        full = np.asarray(full) if isinstance(full, Rank1) else full
        if full is None or np.shape(full) != np.shape(case.x):
            return _verdict(problem, case, mode, None, numeric, n)
        return _verdict(problem, case, mode, full, numeric, n)
    analytic = _along(grad, shared.directions.of(case.x.shape), case.x.shape)
    if case.same is not None:
        shared.analytic[case.same] = analytic
    return _verdict(problem, case, mode, analytic, numeric, n)


def _along(grad: np.ndarray | Rank1 | Sum | None, rs: list[Any], shape: tuple[int, ...]
           ) -> np.ndarray | None:
    """⟨grad, r⟩ for each direction; None when grad (or a term of it) has the wrong shape. A
    term that occurs twice in a sum (one function: a word repeated in the window) is made once
    and counted twice."""
    total = np.zeros(len(rs))
    seen: dict[int, np.ndarray] = {}
    for term in grad.terms if isinstance(grad, Sum) else (lambda: grad,):
        if id(term) not in seen:
            g = term()
            if g is None or np.shape(g) != shape:
                return None
            seen[id(term)] = gradcheck.along(g, rs)
            del g
        total += seen[id(term)]
    return total


def _verdict(problem: str, case: Case, mode: str, analytic: np.ndarray | None,
             numeric: np.ndarray, n: int) -> Check:
    tol = gradcheck.tolerance(case.dtype, n)
    target = f"{problem}: {case.target}"
    if analytic is None:  # a shape other than x's
        return Check(target, case.function, case.wrt, mode, float("inf"), tol, False, None)
    r = (gradcheck.compare_coordinate(analytic, numeric, tol) if mode == "coordinate"
         else gradcheck.compare_directional(analytic, numeric, tol))
    return Check(target, case.function, case.wrt, r.mode, r.max_rel_error, r.tolerance,
                 r.passed, r.worst_index)


def with_loss(make: Callable[[], tuple[Any, ...]]
              ) -> tuple[Callable[[], tuple[Any, ...]], Callable[[], float]]:
    """(make, own): make() as given, keeping the loss (its result's first item, a float) when
    it runs; own() gives that loss, calling make() only if it has not run. A kernel's cases
    read their gradients through parts(make, …) and its loss at the point through own()."""
    loss: list[float] = []

    def made() -> tuple[Any, ...]:
        out = make()
        loss[:] = [float(out[0])]
        return out

    def own() -> float:
        return loss[0] if loss else float(make()[0])
    return made, own


def parts(make: Callable[[], tuple[Any, ...]], *indices: int) -> list[Callable[[], Any]]:
    """One reader for each of `indices` of make()'s result, made at the first read and released
    once every reader has read: a kernel call gives both gradients, and its gradient of U (a
    copy of U) should live only until its case is checked."""
    held: dict[str, Any] = {}

    def reader(i: int) -> Callable[[], Any]:
        def read() -> Any:
            if not held:
                held["value"], held["left"] = make(), set(indices)
            value = held["value"][i]
            held["left"].discard(i)
            if not held["left"]:
                held.clear()
            return value
        return read
    return [reader(i) for i in indices]
