"""Numeric points for a loss of declared objects of any size: concrete sizes, random entries, and
the value of an entry or a matrix form there.

Sizes are chosen away from degenerate cases: every size at least 3 (V = 1 makes ŷ_o = 1 and
log(1 − ŷ_o) infinite) and no two sizes equal at a point, so a result right only up to a transpose
cannot pass. Two points, with the sizes permuted between them.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from .. import notation as n
from . import complexstep, numpyspace, values
from .fold import entries_as_matrices, matrix_of
from .records import Loss

SIZE_VALUES = ((5, 3, 4, 6, 7, 8), (4, 6, 3, 5, 8, 7))
SEED = 20261201


@dataclass(frozen=True)
class Point:
    sizes: dict[sp.Symbol, int]
    arrays: dict[sp.IndexedBase, np.ndarray]
    indices: dict[sp.Symbol, int]
    constants: list[float]
    families: dict[sp.IndexedBase, np.ndarray] = field(default_factory=dict)


def sizes_of(loss: Loss) -> list[sp.Symbol]:
    shapes = [s for obj in loss.objects for s in obj.indexed.shape]
    shapes += [size for _, size in loss.ranges]
    shapes += [s for w, size in loss.families for s in (*w.shape, size)]
    return sorted({s for e in shapes for s in sp.sympify(e).free_symbols}, key=str)


def positive_inputs(expr: sp.Expr) -> set[Any]:
    """The inputs a loss takes the log or a root of directly (log p_w, log(p_w / ŷ_w), √x_i, the
    log X_ij of GloVe's counts): drawn positive at the check points, the only points where the
    loss is real. (‖u‖ = √(Σ u_i²) is real anywhere: a sum under the root is not such an input.)"""
    out = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.log):
            arg = node.args[0]
        elif isinstance(node, sp.Pow) and not node.exp.is_integer:
            arg = node.base
        else:
            continue
        for factor in sp.Mul.make_args(arg):
            base = factor.base if isinstance(factor, sp.Pow) else factor
            if isinstance(base, sp.Indexed):
                out.add(base.base)
            elif isinstance(base, n.Scalar):
                out.add(base)
    return out


def _real_abs(expr: sp.Expr) -> sp.Expr:
    """|x| as √(x²) before SymPy differentiates it: the handout's entries (v_c[i]) carry no
    realness, and SymPy's d|x|/dx of a complex x is a derivative of re and im no printer prints;
    d√(x²)/dx = x/|x| is the real one."""
    return expr.replace(lambda e: isinstance(e, sp.Abs), lambda e: sp.sqrt(e.args[0] ** 2))


class _Printer(NumPyPrinter):
    """SymPy's NumPy printer, with the step function printed as numpy.heaviside (SymPy rewrites
    it as a Piecewise first) and a matrix product always in parentheses (SymPy finds a product's
    precedence by negating it, which evaluates every sum inside it): each cost more than the
    whole check."""

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        if isinstance(item, sp.MatMul):
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        half = expr.args[1] if len(expr.args) > 1 else sp.S.Half
        return (f"{self._module_format('numpy.heaviside')}({self._print(expr.args[0])}, "
                f"{self._print(half)})")


def _lambdify(args: list[Any], expr: sp.Expr) -> Any:
    printer = _Printer(dict(numpyspace.PRINTER_SETTINGS))
    return numpyspace.lambdify(args, expr, printer, docstring_limit=0)


def _scalar_sums(expr: sp.Expr) -> list[sp.Sum]:
    """The outermost scalar sums of a matrix form (Σ_i U[i, o] v_c[i] inside σ(·)): printing them
    inside a matrix expression makes SymPy evaluate them symbolically, so they are computed
    apart, as entries."""
    sums = [e for e in expr.atoms(sp.Sum) if not e.atoms(sp.MatrixSymbol)]
    return sorted((e for e in sums if not any(t != e and t.has(e) for t in sums)),
                  key=sp.default_sort_key)


def _apart_then_together(indices: dict[sp.Symbol, int], ranges: dict[sp.Symbol, sp.Expr],
                          sizes: dict[sp.Symbol, int], at: int) -> dict[sp.Symbol, int]:
    """Indices over one range (o and a sampled word m) all different at the first point and all
    equal at the second: a step that holds only when m ≠ o, or only when m = o (a δ(m, o)
    dropped or kept wrongly), fails at one of them whatever the draw."""
    out = dict(indices)
    groups: dict[sp.Expr, list[sp.Symbol]] = {}
    for x in sorted(indices, key=str):
        groups.setdefault(ranges[x], []).append(x)
    for size, xs in groups.items():
        if len(xs) < 2 or at > 1:
            continue
        first, count = indices[xs[0]], int(sp.sympify(size).subs(sizes))
        for j, x in enumerate(xs):
            out[x] = (first + j) % count if at == 0 else first
    return out


def _samples(rng: np.random.Generator, count: int, size: int, o: int | None, at: int
             ) -> np.ndarray:
    """The K samples w_1, …, w_K at a check point: at the first, the outside word o among them
    and one word twice (a step that counts a repeated sample once, or forgets that a sample may
    be o, fails there whatever the draw); at the second, all different and none o where the
    vocabulary allows, so a step that holds only with repeats fails too."""
    words = rng.permutation(size)
    others = [int(x) for x in words if x != o]
    if at == 0:
        first = [o] if o is not None else []
        pool = first + others[:1] + others[:1] + others[1:]
        out = [pool[k % len(pool)] for k in range(count)]
    else:
        out = [others[k % len(others)] for k in range(count)] if others else [0] * count
    return np.array(out, dtype=np.intp)


class Points:
    """Random values for every declared object of a loss, at each check size."""

    def __init__(self, loss: Loss, *, seed: int = SEED) -> None:
        rng = np.random.default_rng(seed)
        self.loss = loss
        self.sizes = sizes_of(loss)
        if len(self.sizes) > len(SIZE_VALUES[0]):
            raise ValueError(f"at most {len(SIZE_VALUES[0])} size letters are supported")
        self.ranges = dict(loss.ranges)
        self.indices = sorted(self.ranges, key=str)
        self.bases = [obj.indexed for obj in loss.objects]
        self.families = [w for w, _ in loss.families]
        labels = {b.label for b in (*self.bases, *self.families)}
        known = set(self.sizes) | set(self.indices) | labels
        # ŷ_t spelled out once, with t a symbol of its own: the constants of the loss with ŷ
        # spelled out are those of J and of ŷ_t, and the checks read ŷ_t where a derivative
        # goes through it (values.py)
        t = sp.Dummy("t", integer=True)
        self.softmax_entry = (t, loss.softmax.entry(t)) if loss.softmax is not None else None
        names = loss.expr.free_symbols | (self.softmax_entry[1].free_symbols - {t}
                                          if self.softmax_entry is not None else set())
        known |= {n.y.indexed.label} | ({loss.softmax.base.label} if loss.softmax else set())
        self.constants = sorted((s for s in names if isinstance(s, sp.Symbol) and s not in known),
                                key=str)
        self.cache: dict[Any, list[np.ndarray]] = {}
        self._shapes: dict[tuple[tuple[sp.Expr, ...], int], tuple[int, ...]] = {}
        self._scopes: dict[int, values.Scope] = {}
        self.points: list[Point] = []
        positive = positive_inputs(loss.expr)
        for chosen in SIZE_VALUES:
            sizes = dict(zip(self.sizes, chosen, strict=False))
            arrays = {b: (rng.uniform(0.5, 1.5, size=shape) if b in positive
                          else rng.normal(size=shape))
                      for b in self.bases
                      for shape in [tuple(int(sp.sympify(s).subs(sizes)) for s in b.shape)]}
            indices = _apart_then_together(
                {x: int(rng.integers(int(sp.sympify(self.ranges[x]).subs(sizes))))
                 for x in self.indices}, self.ranges, sizes, len(self.points))
            constants = [loss.params.get(c, float(rng.uniform(0.5, 1.5))) for c in self.constants]
            families = {w: _samples(rng, int(sp.sympify(w.shape[0]).subs(sizes)),
                                    int(sp.sympify(size).subs(sizes)), indices.get(n.o),
                                    len(self.points))
                        for w, size in loss.families}
            self.points.append(Point(sizes, arrays, indices, constants, families))

    def expand(self, expr: sp.Expr) -> sp.Expr:
        """y replaced by what it stands for, and any derivative left evaluated by SymPy's own
        diff (ŷ spelled out inside it, so SymPy sees what ŷ depends on: _diff). Elsewhere ŷ
        stays an entry, its value computed once per point."""
        expr = self._one_hot(expr)
        # SymPy's own diff, not doit: doit would also try to evaluate every sum symbolically.
        return expr.replace(lambda e: isinstance(e, sp.Derivative), self._diff)

    @staticmethod
    def _one_hot(expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == n.y.indexed,
                            lambda e: sp.KroneckerDelta(e.indices[0], n.o))

    def _spelled(self, expr: sp.Expr) -> sp.Expr:
        softmax = self.loss.softmax
        if softmax is None or not expr.has(softmax.base):
            return expr
        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == softmax.base,
                            lambda e: softmax.entry(e.indices[0]))

    @property
    def symbols(self) -> list[Any]:
        """What a lambdified check takes, in order; `arguments` gives their values at a point."""
        return [*self.bases, *self.families, *self.sizes, *self.indices, *self.constants]

    def arguments(self, p: Point) -> list[Any]:
        return [*p.arrays.values(), *p.families.values(), *(p.sizes[s] for s in self.sizes),
                *(p.indices[x] for x in self.indices), *p.constants]

    def entries(self, expr: sp.Expr, free: tuple[sp.Symbol, ...],
                free_sizes: tuple[sp.Expr, ...]) -> list[np.ndarray]:
        """expr at every point, as an array over the free indices: read off the tree by
        values.py, or, for a node it has no rule for, lambdified and evaluated entry by entry."""
        try:
            return [values.entries(expr, free, self._shape(free_sizes, at), self._scope(at))
                    for at in range(len(self.points))]
        except values.Unsupported:
            return self.lambdified_entries(expr, free, free_sizes)

    def _shape(self, free_sizes: tuple[sp.Expr, ...], at: int) -> tuple[int, ...]:
        """The free indices' sizes at point `at`."""
        key = (free_sizes, at)
        if key not in self._shapes:
            sizes = self.points[at].sizes
            self._shapes[key] = tuple(int(sp.sympify(s).subs(sizes)) for s in free_sizes)
        return self._shapes[key]

    def _scope(self, at: int) -> values.Scope:
        """What each name stands for at point `at`, for values.py."""
        if at not in self._scopes:
            p = self.points[at]
            scalars = {**p.sizes, **p.indices,
                       **dict(zip(self.constants, p.constants, strict=True))}
            softmax = self.loss.softmax
            arrays = {**p.arrays, **p.families}
            self._scopes[at] = (values.Scope(arrays, scalars, diff=self._diff)
                                if softmax is None else
                                values.Scope(arrays, scalars, softmax.base,
                                             self.softmax_values()[at].reshape(-1),
                                             self.softmax_entry, self._diff))
        return self._scopes[at]

    def _diff(self, der: sp.Derivative) -> sp.Expr:
        """SymPy's own derivative, ŷ spelled out so SymPy sees what it depends on (as expand
        takes it), kept: both points and every step that repeats it ask for the same one."""
        key = ("diff", der)
        if key not in self.cache:
            self.cache[key] = sp.diff(_real_abs(self._spelled(der.expr)),  # type: ignore
                                      *der.variables)
        return self.cache[key]  # type: ignore[return-value]

    def lambdified_entries(self, expr: sp.Expr, free: tuple[sp.Symbol, ...],
                           free_sizes: tuple[sp.Expr, ...]) -> list[np.ndarray]:
        """entries, the slow way: lambdified, with the derivatives by complexstep.py."""
        yhat = [self.loss.softmax.base] if self.loss.softmax is not None else []
        args = [*self.symbols, *yhat, *free]
        at = complexstep.At()
        if expr.has(sp.Derivative):
            expr = complexstep.numeric(self._one_hot(expr), self, at)
        f = _lambdify(args, self.expand(expr))
        out = []
        for p, values_at in zip(self.points, self.softmax_values(), strict=True):
            at.point = p
            shape = self._shape(free_sizes, self.points.index(p))
            grid = np.empty(shape)
            fixed = [*self.arguments(p), *([values_at.reshape(-1)] if yhat else [])]
            for idx in itertools.product(*(range(s) for s in shape)):
                grid[idx] = f(*fixed, *idx)
            out.append(grid)
        return out

    def matrices(self, expr: sp.MatrixExpr, free_sizes: tuple[sp.Expr, ...]) -> list[np.ndarray]:
        """A matrix form at every point, shaped as `entries` shapes the same gradient."""
        sums = _scalar_sums(expr)
        apart = [sp.Symbol(f"_sum{k}") for k in range(len(sums))]  # not Dummy: lambdify
        # would then rename every argument, the matrices too
        expr = entries_as_matrices(expr.xreplace(dict(zip(sums, apart, strict=True))))
        values = [self.entries(e, (), ()) for e in sums]
        mats = [matrix_of(b) for b in self.bases]
        softmax = self.loss.softmax
        extra = [matrix_of(softmax.base)] if softmax is not None else []
        args = [*mats, *self.families, *extra, matrix_of(n.y.indexed), *self.sizes,
                *self.indices, *self.constants, *apart]
        f = _lambdify(args, expr)
        out = []
        for at, p in enumerate(self.points):
            shape = tuple(int(sp.sympify(s).subs(p.sizes)) for s in free_sizes)
            arrays = [a.reshape(a.shape[0], -1) if a.ndim else a for a in p.arrays.values()]
            V = p.sizes.get(n.V, 1)
            o = p.indices.get(n.o, 0)
            onehot = np.eye(V)[:, [o]]
            yhat = [self.softmax_values()[self.points.index(p)]] if softmax is not None else []
            value = np.asarray(f(*arrays, *p.families.values(), *yhat, onehot,
                                 *(p.sizes[s] for s in self.sizes),
                                 *(p.indices[x] for x in self.indices), *p.constants,
                                 *(float(v[at]) for v in values)),
                               dtype=float)
            out.append(np.broadcast_to(value, (*shape, 1)[:2]).reshape(shape))
        return out

    def softmax_values(self) -> list[np.ndarray]:
        """ŷ at each point, a column (NaN where the loss has no softmax)."""
        if "softmax" in self.cache:
            return self.cache["softmax"]
        if self.loss.softmax is None:
            out = [np.full((p.sizes.get(n.V, 1), 1), np.nan) for p in self.points]
        else:
            # a name no loss can have (a file's names are letters and subscripts: it may have
            # a constant t), and not a Dummy: a Dummy among lambdify's arguments makes it
            # rename every argument through the whole expression, 0.2 s of a first derivation
            t = sp.Symbol("_softmax_word", integer=True)
            entry = self.expand(self.loss.softmax.entry(t))
            f = _lambdify([*self.symbols, t], entry)
            out = [np.array([[f(*self.arguments(p), x)] for x in range(p.sizes[n.V])])
                   for p in self.points]
        self.cache["softmax"] = out
        return out
