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

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..calculus.check import relative_error

H = 1e-4
TOL64 = 1e-5
SLACK = 8.0
# A wrong gradient disagrees along almost every direction; four make a miss vanishingly rare.
DIRECTIONS = 4


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
    return _result("coordinate", relative_error(grad, numeric_gradient(f, x, h=h)), tol,
                   index=True)


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float = H
                     ) -> np.ndarray:
    """Central differences of f at x in every coordinate, in float64 (x is not modified)."""
    f = _fresh(f)
    x = np.array(x, dtype=np.float64)
    numeric = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        numeric[idx] = (plus - minus) / (2 * h)
    return numeric


class Directions:
    """k random unit directions for each shape, drawn once: checks of the same shape share them,
    since at V·d = 15 million drawing them costs as much as the loss evaluations."""

    def __init__(self, rng: np.random.Generator, k: int = DIRECTIONS) -> None:
        self.rng, self.k = rng, k
        self._drawn: dict[tuple[int, ...], list[np.ndarray]] = {}

    def of(self, shape: tuple[int, ...]) -> list[np.ndarray]:
        if shape not in self._drawn:
            self._drawn[shape] = [self._unit(shape) for _ in range(self.k)]
        return self._drawn[shape]

    def _unit(self, shape: tuple[int, ...]) -> np.ndarray:
        # Uniform entries in [-1, 1) in float32: any spread of directions finds a wrong gradient,
        # and at V·d = 15 million this draws several times faster than normals in float64.
        r = self.rng.random(size=shape, dtype=np.float32)
        r *= 2
        r -= 1
        r /= np.linalg.norm(r)
        return r.astype(np.float64)  # once, rather than on every ⟨grad, r⟩


def directional(f: Callable[[np.ndarray], float], x: np.ndarray, grad: np.ndarray, *,
                tol: float, rng: np.random.Generator | None = None,
                directions: Directions | None = None, k: int = DIRECTIONS, h: float = H
                ) -> Result:
    """⟨grad, r⟩ against (f(x + h r) − f(x − h r)) / 2h for k random unit directions r (from
    `directions` when given, else drawn from `rng`)."""
    if directions is None:
        if rng is None:
            raise TypeError("directional needs rng or directions")
        directions = Directions(rng, k)
    f = _fresh(f)
    x = np.asarray(x, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    rs = directions.of(x.shape)
    errors = np.empty(len(rs))
    step, moved = np.empty_like(x), np.empty_like(x)
    for t, r in enumerate(rs):
        np.multiply(r, h, out=step)
        plus = f(np.add(x, step, out=moved))
        numeric = (plus - f(np.subtract(x, step, out=moved))) / (2 * h)
        errors[t] = relative_error(np.vdot(grad, r), numeric)
    return _result("directional", errors, tol, index=False)


def _result(mode: str, errors: np.ndarray, tol: float, *, index: bool) -> Result:
    if errors.size == 0:
        return Result(mode, 0.0, tol, None)
    if np.isnan(errors).any():
        worst = np.unravel_index(int(np.argmax(np.isnan(errors))), errors.shape)
        return Result(mode, float("nan"), tol, tuple(int(i) for i in worst) if index else None)
    worst = np.unravel_index(int(np.argmax(errors)), errors.shape)
    return Result(mode, float(errors[worst]), tol,
                  tuple(int(i) for i in worst) if index else None)
