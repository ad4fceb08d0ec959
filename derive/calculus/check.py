"""Numeric checks of symbolic steps: evaluate an entry or a matrix form at small concrete sizes,
and the tracer that applies a derivation's rules one by one, checking each step against the last.

Each size in notation.CHECK_SIZES gets random U, v_c, o (seeded, so a failure replays). Sizes keep
V ≠ d, so a result that is right only up to a transpose cannot pass.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from numpy.typing import ArrayLike

from .. import notation as n
from ..errors import DerivationError
from . import lambdified
from .fold import entries_as_matrices, matrix_of
from .records import Gradient, Loss, Step

RTOL = 1e-9
INDEX_AND_SIZE = frozenset({n.V, n.d, n.K, n.o, *n.INDEX_SIZE})
SEED = 20261124


@dataclass(frozen=True)
class Sample:
    """One concrete size and random values for it."""

    V: int
    d: int
    K: int
    arrays: dict[sp.IndexedBase, np.ndarray]
    o: int
    params: list[float]


class NumericPoint:
    """Random values for every object of a loss, at each check size."""

    def __init__(self, loss: Loss, *, seed: int = SEED) -> None:
        rng = np.random.default_rng(seed)
        self.loss = loss
        self.defs: dict[sp.IndexedBase, Any] = {n.y.indexed: lambda x: sp.KroneckerDelta(x, n.o)}
        self._printed_defs: str | None = None
        if loss.softmax is not None:
            self.defs[loss.softmax.base] = loss.softmax.entry
        expanded = self.expand(loss.expr)
        self.bases = sorted(expanded.atoms(sp.IndexedBase), key=str)
        self.params = sorted((s for s in expanded.free_symbols
                              if type(s) is sp.Symbol and s not in INDEX_AND_SIZE
                              and s not in {b.label for b in self.bases}), key=str)
        self.points = []
        for V, d in n.CHECK_SIZES:
            sizes = {n.V: V, n.d: d, n.K: V + 1}
            arrays = {b: rng.normal(size=tuple(int(s.subs(sizes)) for s in b.shape))
                      for b in self.bases}
            values = [loss.params.get(p, rng.uniform(0.5, 1.5)) for p in self.params]
            self.points.append(Sample(V, d, V + 1, arrays, int(rng.integers(V)), values))

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """Replace ŷ and y by what they stand for, and evaluate any derivative left."""
        for base, entry in self.defs.items():
            expr = expr.replace(lambda e, b=base: isinstance(e, sp.Indexed) and e.base == b,
                                lambda e, f=entry: f(e.indices[0]))
        return expr.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())

    def entries(self, expr: sp.Expr, index: tuple[sp.Symbol, ...],
                extra: dict[sp.Basic, list[Any]] | None = None) -> list[np.ndarray]:
        """expr at every point, as an array over the free indices (rows first); `extra` gives
        the value of further symbols (or IndexedBases) at each point."""
        return self._entries(("entries", expr), lambda: self.expand(expr), index, extra or {})

    def _entries(self, key: tuple[Any, ...], make: Callable[[], sp.Expr],
                 index: tuple[sp.Symbol, ...], extra: dict[sp.Basic, list[Any]]
                 ) -> list[np.ndarray]:
        """The expression make() gives (which `key` determines) at every point."""
        f = self.entry_function(key, make, index, extra)
        out = []
        for at, p in enumerate(self.points):
            sizes = {n.V: p.V, n.d: p.d, n.K: p.K}
            ranges = [range(sizes[n.INDEX_SIZE[s]]) for s in index]
            grid = np.empty([len(r) for r in ranges])
            more = [values[at] for values in extra.values()]
            for idx in itertools.product(*ranges):
                grid[idx] = f(*p.arrays.values(), p.o, p.V, p.d, p.K, *idx, *p.params, *more)
            out.append(grid)
        return out

    def entry_function(self, key: tuple[Any, ...], make: Callable[[], sp.Expr],
                       index: tuple[sp.Symbol, ...], extra: dict[sp.Basic, list[Any]]
                       ) -> Callable[..., Any]:
        """make()'s expression as f(*arrays, o, V, d, K, *index, *params, *extra)."""
        args = [*self.bases, n.o, n.V, n.d, n.K, *index, *self.params, *extra]
        return lambdified.function((*key, self._defined(), tuple(args)), lambda: (args, make()))

    def _defined(self) -> str:
        """What expand() puts for ŷ and y, as expressions of a generic index: part of the key
        of every function printed from an expanded expression (printed once)."""
        if self._printed_defs is None:
            x = sp.Symbol("x", integer=True)
            self._printed_defs = sp.srepr(tuple((b, entry(x)) for b, entry in self.defs.items()))
        return self._printed_defs

    def derivative(self, f: sp.Expr, entry: sp.Indexed, index: tuple[sp.Symbol, ...],
                   extra: dict[sp.Basic, list[Any]] | None = None) -> list[np.ndarray]:
        """∂f/∂entry (SymPy's own derivative) at every point, over the free indices."""
        return self._entries(("diff", f, entry), lambda: self.expand(sp.diff(f, entry)), index,
                             extra or {})

    def matrices(self, expr: sp.MatrixExpr, free: tuple[sp.Symbol, ...] = (),
                 outside: list[int] | None = None) -> list[np.ndarray]:
        """A matrix form at every point; with a free index (w), stacked over it. `outside`
        gives the outside word o (and so the one-hot y) at each point, in place of the point's."""
        out = []
        words = outside if outside is not None else [p.o for p in self.points]
        for p, f, yhat, o in zip(self.points, self.matrix_functions(expr, free),
                                 self._softmax_values(), words, strict=True):
            onehot = np.eye(p.V)[:, [o]]
            cols = [a.reshape(a.shape[0], -1) for a in p.arrays.values()]
            ranges = [range(p.V) for _ in free]
            vals = [np.asarray(f(*cols, yhat, onehot, o, *idx, *p.params), dtype=float)
                    for idx in itertools.product(*ranges)]
            out.append(np.stack(vals) if free else vals[0])
        return out

    def matrix_functions(self, expr: sp.MatrixExpr, free: tuple[sp.Symbol, ...] = ()
                         ) -> list[Callable[..., Any]]:
        """The matrix form at each point's sizes as f(*columns, ŷ, y, o, *free, *params)."""
        mats = [matrix_of(b) for b in self.bases]
        softmax = self.loss.softmax
        mats += [matrix_of(softmax.base if softmax else n.y_hat.indexed), matrix_of(n.y.indexed)]
        printed = sp.srepr(expr)  # once: it keys a function at each size
        args = [*mats, n.o, *free, *self.params]
        out = []
        for p in self.points:
            sizes = {n.V: p.V, n.d: p.d, n.K: p.K}
            out.append(lambdified.function(("matrices", printed, tuple(sizes.items()),
                                            tuple(args)),
                                           functools.partial(_sized, args, expr, sizes)))
        return out

    def softmax_function(self) -> Callable[..., Any] | None:
        """ŷ's entry x as f(*arrays, o, V, d, K, x, *params); None when the loss has no ŷ."""
        softmax = self.loss.softmax
        if softmax is None:
            return None
        x = sp.Symbol("x", integer=True)
        args = [*self.bases, n.o, n.V, n.d, n.K, x, *self.params]
        return lambdified.function(("softmax", self._defined(), tuple(args)),
                                   lambda: (args, self.expand(softmax.entry(x))))

    def _softmax_values(self) -> list[np.ndarray]:
        f = self.softmax_function()
        if f is None:
            return [np.full((p.V, 1), np.nan) for p in self.points]  # no ŷ in this loss
        return [np.array([[f(*p.arrays.values(), p.o, p.V, p.d, p.K, t, *p.params)]
                          for t in range(p.V)])
                for p in self.points]

    def values(self, step: Step, index: tuple[sp.Symbol, ...]) -> list[np.ndarray]:
        if step.matrix:
            mats = self.matrices(step.expr)
            return [m.reshape(m.shape[0], -1) if len(index) > 1 else m.reshape(-1) for m in mats]
        return self.entries(step.expr, index)

    def check_against_sympy_diff(self, loss: Loss, grad: Gradient,
                                 error: type[Exception] = DerivationError) -> None:
        """The folded result against SymPy's own elementwise derivative of the loss."""
        reference = self._entries(
            ("sympy diff", loss.expr, grad.wrt.indexed[grad.index]),
            lambda: self.expand(sp.diff(self.expand(loss.expr), grad.wrt.indexed[grad.index])),
            grad.index, {})
        err = compare(reference, self.values(grad.steps[-1], grad.index))
        if err is not None:
            raise error(f"dJ/d{grad.wrt.name} = {grad.result} disagrees with the elementwise "
                        f"derivative of {loss.name}: {err}")

    def check_case(self, full: Gradient, case: Gradient,
                   error: type[Exception] = DerivationError) -> None:
        """A column case of ∂J/∂U against the column of the full gradient where the case holds."""
        fulls = self.values(full.steps[-1], full.index)
        cases = self.matrices(case.result, (n.w,))
        for p, g, c in zip(self.points, fulls, cases, strict=True):
            cols = [p.o] if case.case == "w = o" else [w for w in range(p.V) if w != p.o]
            for w in cols:
                err = compare([g[:, w]], [c[w].reshape(-1)])
                if err is not None:
                    raise error(f"dJ/du_w ({case.case}) = {case.result} disagrees with column "
                                f"{w} of dJ/dU: {err}")


def _sized(args: list[Any], expr: sp.MatrixExpr, sizes: dict[sp.Symbol, int]
           ) -> tuple[list[Any], sp.Basic]:
    return args, entries_as_matrices(expr).subs(sizes)


# verify/gradcheck.py holds the same three (NumPy only, for a run that loads no SymPy);
# tests/verify/test_compiled.py holds them equal.
def relative_error(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """|a − b| / max(1, |a|, |b|), entry by entry: the course's relative error (gradcheck_naive)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


def max_error(left: list[np.ndarray], right: list[np.ndarray]) -> float:
    """The largest relative error |a − b| / max(1, |a|, |b|) over every pair; inf on a shape
    mismatch, NaN where a value is NaN."""
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
    """None when every pair agrees in shape and value; else what differs."""
    for a, b in zip(left, right, strict=True):
        if np.shape(a) != np.shape(b):
            return f"shape {np.shape(b)} where {np.shape(a)} was expected"
    worst = max_error(left, right)
    if not worst <= RTOL:
        return f"max relative error {worst:.3g}"
    return None


def check_equal(point: NumericPoint, before: Step, after: Step,
                index: tuple[sp.Symbol, ...]) -> str | None:
    return compare(point.values(before, index), point.values(after, index))


def step_error(point: NumericPoint, before: Step, after: Step,
               index: tuple[sp.Symbol, ...]) -> float:
    return max_error(point.values(before, index), point.values(after, index))




Rule = tuple[str, Callable[[sp.Basic], sp.Basic]]


def trace(start: Step, rules: Sequence[Rule], values: Callable[[Step], list[Any]] | None,
          chain: str) -> list[Step]:
    """`start`, then a step for each rule that changes the expression, each compared with the
    step before at the points where `values` evaluates a step (unchecked when it is None). A
    disagreement in value or shape raises."""
    out = [start]
    for name, rule in rules:
        expr = rule(out[-1].expr)
        if expr == out[-1].expr:
            continue
        step = Step(expr, name)
        err = compare(values(out[-1]), values(step)) if values is not None else None
        if err is not None:
            raise step_failed(chain, name, err)
        out.append(step)
    return out


def step_failed(chain: str, rule: str, err: str) -> DerivationError:
    label = "J" if chain == "J" else f"dJ/d{chain}"
    return DerivationError(f"step '{label}: {rule}' does not hold numerically: {err}",
                           chain=chain, rule=rule)


@contextmanager
def located(chain: str, rule: str) -> Iterator[None]:
    """Name the chain and step on a DerivationError raised by a check that does not know them."""
    try:
        yield
    except DerivationError as exc:
        raise DerivationError(str(exc), chain=chain, rule=rule) from None
