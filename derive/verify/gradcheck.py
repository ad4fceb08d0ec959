"""Finite-difference gradient checks: the checker is product code, used by `derive verify`.

Relative error per coordinate is |a − n| / max(1, |a|, |n|), as in the course's `gradcheck_naive`,
with central differences of step H. Two modes:
  coordinate   every coordinate of x: 2·x.size loss evaluations;
  directional  K random unit directions r, comparing ⟨∇f, r⟩ with (f(x + h r) − f(x − h r)) / 2h:
               2·K evaluations whatever the size.
The loss is always evaluated in float64. A float32 gradient is compared with a tolerance that grows
with its rounding error: TOL64 + SLACK·√n·u, with u the dtype's unit roundoff and n the longest sum
behind an entry (a dot product of length n rounds with error about √n·u in practice, n·u at worst).
For float64 that adds under 1e-11 to the course's 1e-5; for float32, n = 50 000 gives about 1.1e-4,
while a wrong gradient (sign, scale, transpose, a missing term) is off by O(1).
"""
from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import differences, products
from .draws import DIRECTIONS, Directions
from .values import Rank1

H = 1e-4
TOL64 = 1e-5
SLACK = 8.0


# The engine's relative error, and its comparison of step values, as calculus/check.py has
# them: here too, so that checks made from printed functions (compiled.py) need no SymPy;
# tests/verify/test_compiled.py holds the two alike.
STEP_RTOL = 1e-9


def relative_error(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """|a − b| / max(1, |a|, |b|), entry by entry: the course's relative error (gradcheck_naive)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


def max_error(left: list[np.ndarray], right: list[np.ndarray]) -> float:
    """The largest relative error over every pair; inf on a shape mismatch, NaN where a value
    is NaN."""
    worst = 0.0
    for a, b in zip(left, right, strict=True):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return float("inf")
        rel = relative_error(a, b)
        if np.isnan(rel).any():
            return float("nan")
        worst = max(worst, float(rel.max(initial=0.0)))
    return worst


def compare(left: list[np.ndarray], right: list[np.ndarray]) -> str | None:
    """None when every pair agrees in shape and value (within STEP_RTOL); else what differs."""
    for a, b in zip(left, right, strict=True):
        if np.shape(a) != np.shape(b):
            return f"shape {np.shape(b)} where {np.shape(a)} was expected"
    worst = max_error(left, right)
    if not worst <= STEP_RTOL:
        return f"max relative error {worst:.3g}"
    return None


@dataclass(frozen=True)
class Result:
    mode: str
    max_rel_error: float
    tolerance: float
    worst_index: tuple[int, ...] | None

    @property
    def passed(self) -> bool:
        # NaN fails: a comparison with NaN is False.
        return bool(self.max_rel_error <= self.tolerance)


def tolerance(dtype: np.dtype | type, longest_sum: int) -> float:
    """TOL64 + SLACK·√n·u for a gradient of `dtype` whose entries sum up to n terms."""
    u = float(np.finfo(dtype).eps) / 2
    return TOL64 + SLACK * float(np.sqrt(max(1, longest_sum))) * u


def _fresh(f: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    """f with Python's and NumPy's global random state restored before every call, as the course
    does, so a loss that samples (negative sampling) sees the same samples each time."""
    py_state, np_state = random.getstate(), np.random.get_state()

    def call(x: np.ndarray) -> float:
        random.setstate(py_state)
        np.random.set_state(np_state)
        return float(f(x))
    return call


def coordinate(f: Callable[[np.ndarray], float], x: np.ndarray, grad: np.ndarray, *,
               tol: float, h: float = H) -> Result:
    """Every coordinate of grad against central differences of f at x (x is not modified)."""
    return compare_coordinate(grad, numeric_gradient(f, x, h=h), tol)


def compare_coordinate(grad: np.ndarray, numeric: np.ndarray, tol: float) -> Result:
    return _result("coordinate", relative_error(grad, numeric), tol, index=True)


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = H
                     ) -> np.ndarray:
    """Central differences of f at x in every coordinate, in float64 (x is not modified)."""
    return differences.coordinates(_fresh(f), np.array(x, dtype=np.float64), h=h)


def directional(f: Callable[[np.ndarray], float], x: np.ndarray, grad: np.ndarray, *,
                tol: float, rng: np.random.Generator | None = None,
                directions: Directions | None = None, k: int = DIRECTIONS, h: float = H
                ) -> Result:
    """⟨grad, r⟩ against (f(x + h r) − f(x − h r)) / 2h for k random unit directions r (from
    `directions` when given, else drawn from `rng`). x is moved in place and put back."""
    if directions is None:
        if rng is None:
            raise TypeError("directional needs rng or directions")
        directions = Directions(rng, k)
    rs = directions.of(np.shape(x))
    return compare_directional(along(grad, rs), numeric_directional(f, x, rs, h=h), tol)


def numeric_directional(f: Callable[[np.ndarray], float], x: np.ndarray,
                        rs: list[differences.Direction], *, h: float = H) -> np.ndarray:
    """The central difference of f at x along each direction, in float64. A float64 x is moved
    in place and put back (no copy of x is made); any other x is copied to float64 first."""
    return differences.directional(_fresh(f), x, rs, h=h)


def numeric_directional_many(fs: list[Callable[..., float]], x: np.ndarray,
                             rs: list[differences.Direction], *, h: float = H,
                             stack: products.Products | None = None, through: bool = False
                             ) -> np.ndarray:
    """numeric_directional of each f at the same x, as columns: each move of x (a pass over
    all of it) serves every f. With `through` (f's U is x, as rows), x is not moved when every
    f reads it only through products w @ x.T (products.directional); with `stack`, the fixed
    U each f also reads (as
    its keyword U_, the handout's layout), every point's products with U are made at once
    (products.stacked). Either falls back to moving x when an f reads its U otherwise."""
    def many(gs: list[Callable[[Any], float]]) -> Callable[[Any], np.ndarray]:
        fresh = [_fresh(g) for g in gs]
        return lambda y: np.array([g(y) for g in fresh])
    try:
        if stack is not None:
            fixed = products.Moved(stack).T
            return products.stacked(many([functools.partial(f, U_=fixed) for f in fs]), x, rs,
                                    stack, h=h)
        if through and np.ndim(x) == 2 and np.asarray(x).dtype == np.float64:
            return products.directional(many(fs), products.Products(x, [r.q for r in rs]), rs,
                                        h=h)
    except TypeError:
        pass  # an f reads U other than as w @ U: x is moved in place below
    return differences.directional(many(fs), x, rs, h=h)


def along(grad: np.ndarray | Rank1, rs: list[differences.Direction]) -> np.ndarray:
    """⟨grad, r⟩ for each direction r, in float64, without a float64 copy of grad (nor, for a
    Rank1, grad itself)."""
    if isinstance(grad, Rank1):
        return differences.outer_inners(grad.a, grad.b, rs)
    return differences.inners(grad, rs)


def compare_directional(analytic: np.ndarray, numeric: np.ndarray, tol: float) -> Result:
    return _result("directional", relative_error(analytic, numeric), tol, index=False)


def _result(mode: str, errors: np.ndarray, tol: float, *, index: bool) -> Result:
    if errors.size == 0:
        return Result(mode, 0.0, tol, None)
    if np.isnan(errors).any():
        worst = np.unravel_index(int(np.argmax(np.isnan(errors))), errors.shape)
        return Result(mode, float("nan"), tol, tuple(int(i) for i in worst) if index else None)
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape)
    return Result(mode, float(errors[worst]), tol,
                  tuple(int(i) for i in worst) if index else None)
