"""Numbers that carry their derivatives (forward mode): a value is a float64 matrix and, when it
depends on the variable a derivative is taken by, the derivative of each entry by each entry of
that variable. The facts of calculus are the few rules below, one per operation.

Anything floating point cannot settle beyond doubt — a logarithm of a number ≤ 0, a division
by 0, a tie in a max, a value that is not finite — raises Inexact, and the exact evaluator
decides instead. A wrong number is never returned.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


class Inexact(Exception):
    """Floating point cannot decide this beyond doubt: the exact (SymPy) evaluator will."""


@dataclass(frozen=True, eq=False)
class Val:
    v: np.ndarray                   # (rows, cols), float64; a scalar is 1×1
    t: np.ndarray | None = None     # (rows, cols, n): ∂v/∂(entry k of the variable); None: 0
    ids: np.ndarray | None = None   # which variable entry each entry is, for a variable itself
    mag: float = 0.0                # the largest magnitude met on the way (rounding scales by it)

    @property
    def shape(self) -> tuple[int, int]:
        return self.v.shape  # type: ignore[return-value]

    @property
    def T(self) -> Val:  # noqa: N802 — as a matrix's .T
        return Val(self.v.T, None if self.t is None else self.t.transpose(1, 0, 2),
                   None if self.ids is None else self.ids.T, self.mag)

    def entry(self, r: int, c: int) -> Val:
        return self._part(np.s_[r:r + 1, c:c + 1])

    def column(self, c: int) -> Val:
        return self._part(np.s_[:, c:c + 1])

    def _part(self, where: tuple[slice, slice]) -> Val:
        t = None if self.t is None else self.t[where]
        if self.ids is not None and t is not None and not t.any():
            t = None  # entries of a variable other than the one derived by: exactly 0
        return Val(self.v[where], t, None if self.ids is None else self.ids[where], self.mag)


def const(value: float | np.ndarray) -> Val:
    v = np.array(value, dtype=float).reshape(np.shape(value) or (1, 1))
    return Val(v, None, None, _largest(v))


def variable(v: np.ndarray, ids: np.ndarray, seeds: np.ndarray | None) -> Val:
    """A variable's entries; with seeds, entry ids[r, c] has derivative 1 by each seed equal
    to it."""
    t = None
    if seeds is not None and np.isin(ids, seeds).any():
        t = (ids[:, :, None] == seeds[None, None, :]).astype(float)
    return Val(v, t, ids, _largest(v))


def _largest(a: np.ndarray | None) -> float:
    return float(np.abs(a).max()) if a is not None and a.size else 0.0


def _make(v: np.ndarray, t: np.ndarray | None, *parts: Val) -> Val:
    mag = max(_largest(v), _largest(t), *(p.mag for p in parts))
    if not mag <= 1e300:  # an inf or a nan (which no comparison holds for) on the way
        raise Inexact("a value is not finite in floating point")
    return Val(v, t, None, mag)


def _plus(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a + b


# -- the rules: value, then derivative ----------------------------------------------------

def add(a: Val, b: Val) -> Val:
    return _make(a.v + b.v, _plus(a.t, b.t), a, b)


def columns(parts: list[Val]) -> Val:
    """[a b …]: columns side by side; a column that does not depend on the variable has
    derivative 0."""
    n = next((p.t.shape[2] for p in parts if p.t is not None), None)
    t = None if n is None else np.concatenate(
        [p.t if p.t is not None else np.zeros((*p.shape, n)) for p in parts], axis=1)
    return _make(np.concatenate([p.v for p in parts], axis=1), t, *parts)


def neg(a: Val) -> Val:
    return _make(-a.v, None if a.t is None else -a.t, a)


def scale(s: Val, b: Val) -> Val:
    """s·B for a scalar s: d(sB) = s dB + B ds."""
    k = s.v[0, 0]
    t = _plus(None if b.t is None else k * b.t,
              None if s.t is None else b.v[:, :, None] * s.t[0, 0][None, None, :])
    return _make(k * b.v, t, s, b)


def matmul(a: Val, b: Val) -> Val:
    """AB: d(AB) = A dB + dA B."""
    t = _plus(None if b.t is None else np.einsum("ik,kjn->ijn", a.v, b.t),
              None if a.t is None else np.einsum("ikn,kj->ijn", a.t, b.v))
    return _make(a.v @ b.v, t, a, b)


def hadamard(a: Val, b: Val) -> Val:
    """a ∘ b: d(a∘b) = a ∘ db + da ∘ b."""
    t = _plus(None if b.t is None else a.v[:, :, None] * b.t,
              None if a.t is None else a.t * b.v[:, :, None])
    return _make(a.v * b.v, t, a, b)


def total(a: Val) -> Val:
    """The sum of the entries, a scalar."""
    return _make(np.array([[a.v.sum()]]), None if a.t is None else a.t.sum(axis=(0, 1))[None, None],
                 a)


def _elementwise(f: Callable[[np.ndarray], np.ndarray],
                 df: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[[Val], Val]:
    def apply(a: Val) -> Val:  # (floating point warnings are off: see check._decide)
        v = f(a.v)
        return _make(v, None if a.t is None else df(a.v, v)[:, :, None] * a.t, a)
    return apply


def _positive(a: np.ndarray) -> np.ndarray:
    if np.any(a <= 0):
        raise Inexact("a logarithm of a number that is not positive")
    return a


def _nonzero(a: np.ndarray) -> np.ndarray:
    if np.any(a == 0):
        raise Inexact("a division by zero")
    return a


# One line per function: its value, and its derivative from the argument a and the value f.
exp = _elementwise(np.exp, lambda a, f: f)                                # (eᵃ)' = eᵃ
log = _elementwise(lambda a: np.log(_positive(a)), lambda a, f: 1 / a)   # (log a)' = 1/a
absolute = _elementwise(np.abs, lambda a, f: np.sign(a))                 # |a|' = sign a
reciprocal = _elementwise(lambda a: 1 / _nonzero(a), lambda a, f: -f * f)  # (1/a)' = −1/a²


def divide(a: Val, s: Val) -> Val:
    """a / s for a scalar s."""
    return scale(reciprocal(s), a)


def power(b: Val, e: Val) -> Val:
    """bᵉ for scalars: d(bᵉ) = e bᵉ⁻¹ db + log(b) bᵉ de."""
    x, k = float(b.v[0, 0]), float(e.v[0, 0])
    whole = k == int(k)
    if (x < 0 and not whole) or (x == 0 and (k < 0 or (b.t is not None and k < 1))):
        raise Inexact("a power with no real value or derivative here")
    if e.t is not None and x <= 0:
        raise Inexact("a power by a variable exponent of a number that is not positive")
    v = np.array([[x ** k]])
    t = _plus(None if b.t is None else k * x ** (k - 1) * b.t,
              None if e.t is None else np.log(x) * v[0, 0] * e.t)
    return _make(v, t, b, e)


def sigma(a: Val) -> Val:
    """σ(a) = 1 / (1 + e⁻ᵃ), entrywise: its derivative follows from the rules above."""
    return reciprocal(add(const(np.ones(a.shape)), exp(neg(a))))


def dsigma(a: Val) -> Val:
    """σ'(a): the derivative forward mode finds for σ, at a. A σ' inside a derivative would need
    a second derivative, which is left to the exact evaluator."""
    if a.t is not None:
        raise Inexact("a derivative of σ'")
    unit = sigma(Val(a.v, np.ones((*a.shape, 1)), None, a.mag))
    slope = unit.t[:, :, 0] if unit.t is not None else np.zeros(a.shape)
    return _make(slope, None, unit)


def softmax(z: Val) -> Val:
    e = exp(z)
    return divide(e, total(e))


def norm(a: Val) -> Val:
    """‖a‖ = (Σ aᵢ²)^½."""
    return power(total(hadamard(a, a)), const(0.5))


FUNCTIONS: dict[str, Callable[[Val], Val]] = {
    "exp": exp, "log": log, "abs": absolute, "norm": absolute, "sigma": sigma, "dsigma": dsigma}


def largest(values: list[Val]) -> Val:
    """max of scalars; a tie is left to the exact evaluator (the derivative is not one-sided)."""
    numbers = [float(v.v[0, 0]) for v in values]
    top = max(numbers)
    if numbers.count(top) > 1:
        raise Inexact("a tie in a max")
    best = values[numbers.index(top)]
    return Val(best.v, best.t, None, max(v.mag for v in values))
