"""The values a printed record (compiled.py) is checked with, at the run's points: NumPy only.

    Fn       a printed function with its source and the NumPy names it reads
    Outer, Rank1   a derived form that is a column times a row, and its value: the two
             factors, never the matrix, unless something asks for its entries
    Entries, Matrices, Rows, Zeros, Total, OfX   how a value is evaluated at every point
    Points   the points' sizes and shapes, drawn from the seed as the engine draws them
    At       those points, drawn, and each value evaluated there once
    evaluate a derived matrix form at a large point (softmax_at: its ŷ)
"""
from __future__ import annotations

import builtins
import functools
import itertools
import operator
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

_NAME = "_lambdifygenerated"
# Where the names a printed function reads come from (lambdify's Max reads functools.reduce).
_MODULES: dict[str, Any] = {"numpy": np, "numpy.linalg": np.linalg, "builtins": builtins,
                            "functools": functools, "operator": operator}
Where = tuple[Any, ...]  # ("module", name) | (module, attribute) | ("const", value)


# ----------------------------------------------------------------------------------- functions

class Fn:
    """A NumPy function printed from an expression. `source` and `names` (each global name it
    reads and where it comes from: a module, an attribute of NumPy or builtins, a number) let it
    be kept and loaded with NumPy alone; without them it is used in this run only."""

    __slots__ = ("f", "source", "names")

    def __init__(self, f: Callable[..., Any], source: str | None = None,
                 names: tuple[tuple[str, Where], ...] | None = None) -> None:
        self.f, self.source, self.names = f, source, names

    def __call__(self, *args: Any) -> Any:
        return self.f(*args)

    # Two functions printed alike are one value (cross-entropy's forms are naive softmax's):
    # compared by their source where they have one.
    def _identity(self) -> Any:
        return (self.source, self.names) if self.source is not None else id(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fn) and self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __reduce__(self) -> tuple[Any, ...]:
        if self.source is None or self.names is None:
            raise pickle.PicklingError("a function without its source is not kept")
        return (_function, (self.source, self.names))


@functools.cache
def _function(source: str, names: tuple[tuple[str, Where], ...]) -> Fn:
    """The function `source` defines, its global names bound as `names` says (once a source)."""
    namespace = {name: _resolve(where) for name, where in names}
    exec(compile(source, "<derive verify>", "exec"), namespace)  # noqa: S102 -- derive's own printed text
    f = namespace[_NAME]
    if not callable(f):
        raise TypeError(f"{_NAME} is not a function")
    return Fn(f, source, names)


def _resolve(where: Where) -> Any:
    if where[0] == "const" and type(where[1]) in (int, float, complex):
        return where[1]
    if where[0] == "module" and where[1] in _MODULES:
        return _MODULES[where[1]]
    if where[0] in _MODULES and isinstance(where[1], str) and hasattr(_MODULES[where[0]], where[1]):
        return getattr(_MODULES[where[0]], where[1])
    raise ValueError(f"unknown name source {where!r}")


def where_is(value: Any) -> Where | None:
    """Where a global `value` of a printed function comes from, so that it can be bound again
    with NumPy alone (`_resolve`); None when it is nothing of NumPy's or builtins'."""
    for label, module in _MODULES.items():
        if value is module:
            return ("module", label)
    if type(value) in (int, float, complex):
        return ("const", value)
    for label, module in _MODULES.items():
        for attribute, candidate in vars(module).items():
            if candidate is value and not attribute.startswith("_"):
                return (label, attribute)
    return None


@dataclass(frozen=True)
class Outer:
    """A derived matrix form that is a column times a row, a·bᵀ (∂J/∂U = v_c(ŷ − y)ᵀ): its two
    factors printed apart, each a function of the form's arguments. Its value is a Rank1, the
    factors alone: at V·d = 15 million the matrix is a copy of U (120 MB to write), while what
    a directional check reads of it, ⟨a·bᵀ, q⟩ = aᵀq b, needs a pass over q alone."""
    column: Fn
    row: Fn

    def __call__(self, *args: Any) -> Rank1:
        return Rank1(_vector(self.column(*args)), _vector(self.row(*args)))


def _vector(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=float).reshape(-1)


class Rank1:
    """The matrix a·bᵀ (a, b vectors), kept as a and b: its entries are made (`__array__`, one
    multiply each, as a product of a column and a row makes them) only when they are read
    whole; a directional check reads ⟨a·bᵀ, r⟩ from a and b (differences.outer_inners)."""

    __slots__ = ("a", "b")
    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b

    @property
    def shape(self) -> tuple[int, int]:
        return (self.a.size, self.b.size)

    @property
    def T(self) -> Rank1:
        return Rank1(self.b, self.a)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        out = np.multiply.outer(self.a, self.b)
        return out if dtype is None else out.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> Any:
        return np.asarray(self)[key]


def value(made: Any) -> np.ndarray | Rank1:
    """A printed form's result as a float64 array, or the Rank1 an Outer gives as it is."""
    return made if isinstance(made, Rank1) else np.asarray(made, dtype=float)


# ------------------------------------------------------------------------- values at the points

@dataclass(frozen=True)
class Entries:
    """An entry expression at every point: f(*arrays, o, V, d, K, *index, *params[, words])
    over the grid of its free indices, each running over the size it names ("V", "d", "K");
    `shapes` reshapes each point's grid (a derivative in a matrix, entry by entry)."""
    f: Fn
    sizes: tuple[str, ...] = ()
    words: bool = False  # the window's outside words are the last argument
    shapes: tuple[tuple[int, ...], ...] | None = None


@dataclass(frozen=True)
class Matrices:
    """A matrix form at every point, one function a point (its sizes substituted):
    f(*columns, ŷ, y, o, *free, *params), stacked over `free` indices that run over V. With
    `window`, o (and y) is the outside word at that position of the window."""
    fs: tuple[Fn, ...]
    free: int = 0
    window: int | None = None


@dataclass(frozen=True)
class Rows:
    """A matrix form's values as a step's are compared: (rows, the rest) for a gradient of a
    matrix (`rows`), else flat."""
    of: Matrices
    rows: bool


@dataclass(frozen=True)
class Zeros:
    shapes: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Total:
    """The sum of several values (a window sum, one term a position)."""
    terms: tuple[Any, ...]


@dataclass(frozen=True)
class OfX:
    """A function of the scalar x and α at the scalar problems' points, broadcast to x's shape."""
    f: Fn


Spec = Entries | Matrices | Rows | Zeros | Total | OfX


@dataclass(frozen=True)
class Points:
    """The engine's check points for a loss, as NumericPoint draws them from a seed: at each
    size (V, d, K) a normal array of each shape, a uniform draw for each parameter (the loss's
    own value where it fixes one) and o. `softmax` is ŷ's entry over V (None: no ŷ); `window`
    the outside words drawn for a window loss (window.Checker); `scalar` the number of points x,
    α for a scalar problem (scalar.random_points), in place of all of these."""
    sizes: tuple[tuple[int, int, int], ...] = ()
    shapes: tuple[tuple[tuple[int, ...], ...], ...] = ()
    params: tuple[float | None, ...] = ()
    softmax: Entries | None = None
    window: int = 0
    scalar: int = 0


class At:
    """The run's points for a problem (drawn from its seed exactly as the engine's checker
    draws them), and each value there, evaluated once."""

    def __init__(self, points: Points, seed: int) -> None:
        self.spec, self._memo = points, {}  # type: ignore[var-annotated]
        self.samples: list[tuple[list[np.ndarray], int, int, int, int, list[float]]] = []
        if points.scalar:
            rng = np.random.default_rng(seed)
            xs = rng.uniform(0.1, 4, points.scalar) * rng.choice([-1.0, 1.0], points.scalar)
            self.xs = [xs, rng.uniform(0.05, 0.95, points.scalar)]
            return
        rng = np.random.default_rng(seed)
        for (V, d, K), shapes in zip(points.sizes, points.shapes, strict=True):
            arrays = [rng.normal(size=s) for s in shapes]
            # NumericPoint draws for every parameter, and keeps the loss's own value if it has one
            drawn = [(p, rng.uniform(0.5, 1.5)) for p in points.params]
            params = [p if p is not None else float(u) for p, u in drawn]
            self.samples.append((arrays, int(rng.integers(V)), V, d, K, params))
        self.words: list[np.ndarray] = []
        if points.window:
            rng = np.random.default_rng(seed)
            for _, _, V, _, _, _ in self.samples:
                words = rng.integers(V, size=points.window - 1)
                self.words.append(np.append(words, words[0]))

    def values(self, spec: Spec) -> list[np.ndarray]:
        if spec not in self._memo:
            self._memo[spec] = self._values(spec)
        return self._memo[spec]  # type: ignore[no-any-return]

    def _values(self, spec: Spec) -> list[np.ndarray]:
        if isinstance(spec, Entries):
            return self._entries(spec)
        if isinstance(spec, Matrices):
            return self._matrices(spec)
        if isinstance(spec, Rows):
            mats = self.values(spec.of)
            return [m.reshape(m.shape[0], -1) if spec.rows else m.reshape(-1) for m in mats]
        if isinstance(spec, Zeros):
            return [np.zeros(s) for s in spec.shapes]
        if isinstance(spec, Total):
            terms = [self.values(t) for t in spec.terms]
            return [np.sum(t, axis=0) for t in zip(*terms, strict=True)]
        if isinstance(spec, OfX):
            out = np.asarray(spec.f(*self.xs), dtype=float)
            return [np.broadcast_to(out, self.xs[0].shape)]
        raise TypeError(f"not a value: {spec!r}")

    def _entries(self, spec: Entries) -> list[np.ndarray]:
        out = []
        for at, (arrays, o, V, d, K, params) in enumerate(self.samples):
            sizes = {"V": V, "d": d, "K": K}
            ranges = [range(sizes[s]) for s in spec.sizes]
            grid = np.empty([len(r) for r in ranges])
            more = [self.words[at]] if spec.words else []
            for idx in itertools.product(*ranges):
                grid[idx] = spec.f(*arrays, o, V, d, K, *idx, *params, *more)
            out.append(grid if spec.shapes is None else grid.reshape(spec.shapes[at]))
        return out

    def _matrices(self, spec: Matrices) -> list[np.ndarray]:
        softmax = (self.values(self.spec.softmax) if self.spec.softmax is not None
                   else [np.full((V, 1), np.nan) for _, _, V, _, _, _ in self.samples])
        out = []
        for at, ((arrays, o, V, _, _, params), yhat) in enumerate(zip(self.samples, softmax,
                                                                       strict=True)):
            if spec.window is not None:
                o = int(self.words[at][spec.window])
            onehot = np.eye(V)[:, [o]]
            cols = [a.reshape(a.shape[0], -1) for a in arrays]
            vals = [np.asarray(spec.fs[at](*cols, yhat, onehot, o, *idx, *params), dtype=float)
                    for idx in itertools.product(*[range(V)] * spec.free)]
            out.append(np.stack(vals) if spec.free else vals[0])
        return out


def softmax_at(U: np.ndarray, v: np.ndarray) -> np.ndarray:
    """ŷ at U (rows) and v_c: the definition's value, not a gradient (the max-shifted softmax)."""
    logits = U @ v
    yhat = np.exp(logits - logits.max())
    yhat /= yhat.sum()
    return yhat


def evaluate(form: Fn | Outer, U: np.ndarray, v: np.ndarray, o: int,
             yhat: np.ndarray | None = None) -> np.ndarray | Rank1:
    """A derived matrix form (printed of U, v_c, ŷ, y, V, d: derived.py) at U (rows, (V, d)),
    v_c and o, in the handout's layout (a Rank1 for an Outer); ŷ (softmax_at(U, v)) may be
    given, computed once for the forms evaluated at one point."""
    V, d = U.shape
    # ŷ and y are the definitions' values, not gradients: softmax and one-hot at this point.
    yhat = softmax_at(U, v) if yhat is None else yhat
    onehot = np.zeros(V)
    onehot[o] = 1.0
    return value(form(U.T, v[:, None], yhat[:, None], onehot[:, None], V, d))
