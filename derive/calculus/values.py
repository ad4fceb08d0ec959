"""The value of an entry expression at a point, for every entry at once, read straight off the
SymPy tree with NumPy: no printing, no compiling, no loop over entries.

Each index in scope is an axis. The free indices (j, k) are the trailing axes, and each Σ_w puts
a new axis in front of them: w is np.arange(n) shaped (n, 1, …, 1), every value broadcasts
against it, and the sum is over that leading axis. U[i, w] is fancy indexing with the indices'
arrays. An unevaluated ∂f/∂X[idx] is the complex step, Im f(X + ih·e_idx) / h, with the
perturbation itself an array: X[a, b] reads X[a, b] + ih·[a = idx₀][b = idx₁], so one
evaluation of f gives the derivative for every entry.

A derivative of a function that is not analytic (max, |x|, the step function) is SymPy's own
diff, given by the caller, walked in turn. The check of every step of the general engine
(sample.py) goes through here; anything this walker does not know — a node type it has no rule
for, a derivative inside a complex step — raises Unsupported, and sample.py then evaluates that
step the slower way, with lambdify. tests/calculus/test_values
checks that both ways agree on every step of every loss in the corpus.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .. import notation as n
from .functions import Heaviside, Max, sigmoid

H = 1e-30  # the complex step: exact to rounding, no difference of nearly equal values
NON_ANALYTIC = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise)


class Unsupported(Exception):
    """A node this walker has no rule for: the caller evaluates the step another way."""


@dataclass(frozen=True)
class Perturbed:
    """X moved by ih along the entries idx (arrays over the axes in scope)."""
    base: Any
    idx: tuple[Any, ...]


@dataclass(frozen=True)
class Scope:
    """What the names of an expression stand for at one point."""
    arrays: Mapping[Any, np.ndarray]  # each declared object's entries, by its IndexedBase
    scalars: Mapping[sp.Symbol, Any]  # sizes, the index o, constants, scalar variables
    softmax: Any = None  # ŷ's IndexedBase, when the loss has one
    softmax_values: np.ndarray | None = None  # ŷ at the point, computed once
    # ŷ_t spelled out, for a derivative through ŷ: the symbol t and the expression in it
    softmax_entry: tuple[sp.Symbol, sp.Expr] | None = None
    # SymPy's own derivative of a function that is not analytic (max, |x|, the step function),
    # where the complex step cannot go: its result is walked like any other expression
    diff: Callable[[sp.Derivative], sp.Expr] | None = None


def entries(expr: sp.Expr, free: tuple[sp.Symbol, ...], shape: tuple[int, ...],
            scope: Scope) -> np.ndarray:
    """expr at every entry of the free indices, an array of `shape` (floats)."""
    bound = {x: np.arange(size).reshape((size,) + (1,) * (len(shape) - 1 - k))
             for k, (x, size) in enumerate(zip(free, shape, strict=True))}
    with np.errstate(all="ignore"):  # a NaN or an infinity is the check's to report
        value = _Walk(scope).value(expr, bound, len(shape), None)
    value = np.asarray(value)
    if np.iscomplexobj(value):
        raise Unsupported("a complex value outside a derivative")
    if value.ndim > len(shape):  # an axis left over: not an entry of the free indices
        raise Unsupported(f"a value of shape {value.shape} for entries of shape {shape}")
    return np.array(np.broadcast_to(value, shape), dtype=float)


class _Walk:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def value(self, e: sp.Basic, bound: dict[Any, Any], depth: int, pert: Perturbed | None
              ) -> Any:
        rule = _RULES.get(type(e))
        if rule is None:
            for kind, by_kind in _KIND_RULES:
                if isinstance(e, kind):
                    return by_kind(self, e, bound, depth, pert)
            raise Unsupported(type(e).__name__)
        return rule(self, e, bound, depth, pert)

    def args(self, e: sp.Basic, bound: dict[Any, Any], depth: int, pert: Perturbed | None
             ) -> list[Any]:
        return [self.value(a, bound, depth, pert) for a in e.args]

    # -- leaves -----------------------------------------------------------------------------
    def symbol(self, e: sp.Symbol, bound: dict[Any, Any], depth: int, pert: Perturbed | None
               ) -> Any:
        if e in bound:
            return bound[e]
        if e in self.scope.arrays:  # a scalar variable (b ∈ ℝ)
            value = self.scope.arrays[e]
            if pert is not None and pert.base == e:
                return value + 1j * H
            return value
        if e in self.scope.scalars:
            return self.scope.scalars[e]
        raise Unsupported(f"no value for {e}")

    def indexed(self, e: sp.Indexed, bound: dict[Any, Any], depth: int, pert: Perturbed | None
                ) -> Any:
        idx = [_as_index(self.value(i, bound, depth, pert)) for i in e.indices]
        base = e.base
        if base == n.y.indexed:  # the one-hot vector of o
            return np.equal(idx[0], self.scope.scalars[n.o]) * 1.0
        if self.scope.softmax is not None and base == self.scope.softmax:
            if pert is None:
                assert self.scope.softmax_values is not None
                return self.scope.softmax_values[tuple(idx)]
            # ∂ through ŷ: ŷ_t spelled out, so the perturbation reaches it
            assert self.scope.softmax_entry is not None
            t, entry = self.scope.softmax_entry
            return self.value(entry, {**bound, t: idx[0]}, depth, pert)
        if base not in self.scope.arrays or len(idx) != self.scope.arrays[base].ndim:
            raise Unsupported(f"no entry {e} of the arrays")  # never a slice for an entry
        value = self.scope.arrays[base][tuple(idx)]
        if pert is not None and pert.base == base:
            hit = np.ones((), dtype=bool)
            for a, b in zip(idx, pert.idx, strict=True):
                hit = hit & (np.asarray(a) == np.asarray(b))
            value = value + 1j * H * hit
        return value

    # -- sums and derivatives ---------------------------------------------------------------
    def sum(self, e: sp.Sum, bound: dict[Any, Any], depth: int, pert: Perturbed | None) -> Any:
        *inner, (var, lo, hi) = e.limits  # the last limit is the outermost sum
        lo_v, hi_v = (self.value(x, bound, depth, pert) for x in (lo, hi))
        if np.ndim(lo_v) or np.ndim(hi_v):
            raise Unsupported("limits that vary with an index")
        count = int(hi_v) - int(lo_v) + 1
        if count <= 0:
            return 0.0
        axis = np.arange(int(lo_v), int(hi_v) + 1).reshape((count,) + (1,) * depth)
        body = sp.Sum(e.function, *inner) if inner else e.function
        v = np.asarray(self.value(body, {**bound, var: axis}, depth + 1, pert))
        if v.ndim == depth + 1 and v.shape[0] == count:
            return v.sum(axis=0)
        return (v[0] if v.ndim == depth + 1 else v) * count  # w does not appear in the body

    def derivative(self, e: sp.Derivative, bound: dict[Any, Any], depth: int,
                   pert: Perturbed | None) -> Any:
        if pert is None and self.scope.diff is not None and (
                len(e.variables) != 1 or e.expr.has(*NON_ANALYTIC)):
            return self.value(self.scope.diff(e), bound, depth, None)
        if pert is not None or len(e.variables) != 1 or e.expr.has(*NON_ANALYTIC):
            raise Unsupported("a derivative the complex step cannot take")
        (x,) = e.variables
        if isinstance(x, sp.Indexed):
            at = Perturbed(x.base, tuple(_as_index(self.value(i, bound, depth, None))
                                         for i in x.indices))
        elif x in self.scope.arrays:
            at = Perturbed(x, ())
        else:
            raise Unsupported(f"a derivative by {x}")
        return np.imag(self.value(e.expr, bound, depth, at)) / H


def _as_index(v: Any) -> Any:
    a = np.asarray(v)
    if a.dtype.kind not in "iu":
        if not np.all(np.isreal(a)) or not np.all(np.round(a.real) == a.real):
            raise Unsupported("an index that is not an integer")
        a = a.real.astype(int)
    return a if a.ndim else int(a)


def _add(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    out: Any = 0
    for v in w.args(e, b, d, p):
        out = out + v
    return out


def _mul(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    out: Any = 1
    for v in w.args(e, b, d, p):
        out = out * v
    return out


def _pow(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    base, exponent = w.args(e, b, d, p)
    base = np.asarray(base)
    if not np.iscomplexobj(base):
        # floats, as NumPy's printer makes them: an integer array to a negative power is an error
        return np.power(base.astype(float), exponent)
    out = np.power(base, exponent)
    if not sp.sympify(e.exp).is_integer:  # no real power of a negative number: NaN, as in reals
        out = np.where(base.real < 0, np.nan, out)
    return out


def _log(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    (x,) = w.args(e, b, d, p)
    x = np.asarray(x)
    if not np.iscomplexobj(x):
        return np.log(x.astype(float))
    # The complex step's log of a negative number is log|x| + iπ: an imaginary part that is not
    # the derivative's. The loss is not real there, so its derivative is NaN (a check not made).
    return np.where(x.real < 0, np.nan, np.log(x))


def _delta(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    x, y = (_as_index(v) for v in w.args(e, b, d, p))
    return np.equal(x, y) * 1.0


def _number(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    return int(e) if e.is_Integer else np.float64(float(e))  # type: ignore[arg-type]


def _heaviside(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
    x = w.value(e.args[0], b, d, p)
    half = w.value(e.args[1], b, d, p) if len(e.args) > 1 else 0.5
    return np.heaviside(x, half)


def _elementwise(f: Callable[..., Any]) -> Callable[..., Any]:
    def rule(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
        return f(*(np.asarray(v, dtype=complex if p is not None else float)
                   for v in w.args(e, b, d, p)))
    return rule


def _extremum(f: Callable[..., Any]) -> Callable[..., Any]:
    def rule(w: _Walk, e: sp.Basic, b: dict[Any, Any], d: int, p: Perturbed | None) -> Any:
        out, *rest = w.args(e, b, d, p)
        for v in rest:
            out = f(out, v)
        return out
    return rule


_RULES: dict[type, Callable[..., Any]] = {
    sp.Symbol: _Walk.symbol, sp.Dummy: _Walk.symbol, n.Scalar: _Walk.symbol,
    sp.Indexed: _Walk.indexed, sp.Sum: _Walk.sum, sp.Derivative: _Walk.derivative,
    sp.Add: _add, sp.Mul: _mul, sp.Pow: _pow, sp.KroneckerDelta: _delta,
    sp.exp: _elementwise(np.exp), sp.log: _log, sp.tanh: _elementwise(np.tanh),
    sigmoid: _elementwise(lambda x: 0.5 * (1 + np.tanh(0.5 * x))),
    sp.Heaviside: _heaviside, Heaviside: _heaviside,
    sp.Abs: _elementwise(np.abs), sp.sign: _elementwise(np.sign),
    sp.Max: _extremum(np.maximum), Max: _extremum(np.maximum), sp.Min: _extremum(np.minimum),
}
# Numbers come in many classes (Zero, One, Half, Rational, Float, …): matched by kind.
_KIND_RULES: tuple[tuple[type, Callable[..., Any]], ...] = (
    (sp.Number, _number), (sp.NumberSymbol, lambda w, e, b, d, p: np.float64(float(e))))
