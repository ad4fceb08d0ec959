"""What `derive verify` reads of a problem's derivation, as NumPy functions and plain data.

A run checks every gradient and step at its own points, but what it evaluates there — each
derived form, each step and SymPy's own derivative, printed as NumPy functions, and the printed
results — is the same in every run of the same code. derived.compile makes it from the
derivation (with SymPy); it is kept in the cache folder beside the derivations, keyed as they
are (stored.key: every source file of derive, the shipped loss files, the versions, the problem
and the problems run before it), and a later run reads it back and loads no SymPy at all. Every
check is still made, at the run's points (`At`), with the run's seed; only the printing is
reused. An entry that cannot be read, names a class or function other than these, or was made
by other code (another key) is not found: the run derives and prints afresh.

    Fn       a printed function with its source and the NumPy names it reads
    Entries, Matrices, Rows, Zeros, Total, OfX   how a value is evaluated at every point
    Points   the points' sizes and shapes, drawn from the seed as the engine draws them
    At       those points, drawn, and each value evaluated there once
    Compiled a problem's results, forms, trace chains and derivation checks
"""
from __future__ import annotations

import builtins
import functools
import io
import itertools
import operator
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DerivationError
from ..files import cache_dir, keep
from . import stored
from .gradcheck import compare, max_error

FORMAT = "compiled 1"  # of the record itself: part of its key
_FOLDER = "compiled"
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


def evaluate(form: Fn, U: np.ndarray, v: np.ndarray, o: int,
             yhat: np.ndarray | None = None) -> np.ndarray:
    """A derived matrix form (printed of U, v_c, ŷ, y, V, d: derived.py) at U (rows, (V, d)),
    v_c and o, in the handout's layout; ŷ (softmax_at(U, v)) may be given, computed once for
    the forms evaluated at one point."""
    V, d = U.shape
    # ŷ and y are the definitions' values, not gradients: softmax and one-hot at this point.
    yhat = softmax_at(U, v) if yhat is None else yhat
    onehot = np.zeros(V)
    onehot[o] = 1.0
    return np.asarray(form(U.T, v[:, None], yhat[:, None], onehot[:, None], V, d), dtype=float)


# -------------------------------------------------------------------------------- the record

@dataclass(frozen=True)
class Chain:
    """A chain of a trace: its label ("J", "dJ/dv_c"), what it differentiates by, and each
    step's rule and values."""
    label: str
    wrt: str
    steps: tuple[tuple[str, Spec], ...]


@dataclass(frozen=True)
class AgainstDiff:
    """A result against SymPy's own elementwise derivative of the loss."""
    chain: str
    reference: Spec
    result: Spec
    message: str  # "dJ/dU = … disagrees with the elementwise derivative of …"


@dataclass(frozen=True)
class CaseCheck:
    """A column case of ∂J/∂U against the full gradient's columns where the case holds."""
    chain: str
    full: Spec
    case: Spec
    at_o: bool  # the case w = o (else w ≠ o)
    message: str  # "dJ/du_w (w = o) = …"


@dataclass(frozen=True)
class Compiled:
    """What verify reads of one problem's derivation: the printed result of each gradient (by
    its key), its derived forms as NumPy functions (derived.py says of which arguments), the
    shape of a gradient that is the zero matrix (sizes by name), the trace's chains and the
    checks of the results made at the run's points, and the points they are made at."""
    problem: str
    texts: Mapping[str, str]
    forms: Mapping[str, Fn] = field(default_factory=dict)
    zeros: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    points: Points | None = None
    chains: tuple[Chain, ...] = ()
    checks: tuple[AgainstDiff | CaseCheck, ...] = ()

    def check_results(self, at: At) -> None:
        """Raise DerivationError (as the engine would) where a result disagrees with SymPy's
        derivative or a column case with its column, at the run's points."""
        for check in self.checks:
            if isinstance(check, AgainstDiff):
                err = compare(at.values(check.reference), at.values(check.result))
                if err is not None:
                    raise DerivationError(f"{check.message}: {err}", chain=check.chain,
                                          rule="matrix form")
                continue
            for sample, g, c in zip(at.samples, at.values(check.full), at.values(check.case),
                                    strict=True):
                o, V = sample[1], sample[2]
                for w in [o] if check.at_o else [w for w in range(V) if w != o]:
                    err = compare([g[:, w]], [c[w].reshape(-1)])
                    if err is not None:
                        raise DerivationError(f"{check.message} disagrees with column {w} of "
                                              f"dJ/dU: {err}", chain=check.chain,
                                              rule="matrix form")

    def step_errors(self, at: At) -> list[tuple[Chain, str, float]]:
        """(chain, rule, error of the step from the one before it) for every step."""
        out = []
        for chain in self.chains:
            for (_, before), (rule, after) in zip(chain.steps, chain.steps[1:], strict=False):
                out.append((chain, rule, max_error(at.values(before), at.values(after))))
        return out


_ALLOWED = frozenset({"Compiled", "Chain", "AgainstDiff", "CaseCheck", "Points", "Entries",
                      "Matrices", "Rows", "Zeros", "Total", "OfX", "_function"})


class _Unpickler(pickle.Unpickler):
    """Only this module's records (and a printed function's source) come out of an entry."""

    def find_class(self, module: str, name: str) -> Any:
        if module == __name__ and name in _ALLOWED:
            return globals()[name]
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled record")


def _key(problem: str, before: tuple[str, ...]) -> str:
    return stored.key(FORMAT, problem, *before)


def load(problem: str, before: tuple[str, ...]) -> Compiled | None:
    """The record kept for `problem` run after the problems `before`, if there is one that
    reads; None otherwise (or with DERIVE_VERIFY_CACHE=off)."""
    if not stored.enabled():
        return None
    path = cache_dir() / _FOLDER / f"{_key(problem, before)}.pickle"
    try:
        found = _Unpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:  # noqa: BLE001 -- a missing, damaged or foreign entry is made again
        return None
    return found if isinstance(found, Compiled) and found.problem == problem else None


def store(record: Compiled, before: tuple[str, ...]) -> None:
    """Keep `record`, unless a function in it has no source to keep it by."""
    if not stored.enabled():
        return
    try:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    keep(cache_dir() / _FOLDER / f"{_key(record.problem, before)}.pickle", data, 100)
