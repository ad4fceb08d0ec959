"""Skip-gram: a pair loss summed over a context window, derived from the pair loss's derivation.

J_skip(v_c, w_{t−m}, …, w_{t+m}, U) = Σ_{−m≤j≤m, j≠0} J(v_c, w_{t+j}, U), where J(v_c, o, U) is the
loss of one (centre, outside) pair, written like any other loss. Three facts give every gradient:
  linearity:       ∂/∂X Σ_j J(v_c, w_{t+j}, U) = Σ_j ∂J(v_c, w_{t+j}, U)/∂X;
  the pair's gradient, as the pair loss's own derivation found it, at o = w_{t+j} (its one-hot y
                   becomes the one-hot vector of w_{t+j}): written out where it is in U, v_c, ŷ, y;
  absence:         J(v_c, o, U) reads the centre vectors through v_c alone, so ∂J/∂v_w = 0, w ≠ c.
Every step is checked against the one before at the engine's sizes, each with a window of outside
words one of which repeats. The first step of each chain is evaluated as SymPy's elementwise
derivative of the whole window's loss, so each result is checked against that.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from .. import notation as n
from . import vector
from .check import NumericPoint, max_error, trace
from .records import CHECKED_AT, Derivation, Gradient, Loss, Step

WINDOW = 4  # outside words in the checked window: m = 2
SEED = 20261126


class PairLoss(sp.Function):
    """J(v_c, x, U): the pair loss at outside word x."""

    nargs = 1

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        out = n.PAIR_LOSS_LATEX.format(printer._print(self.args[0]))
        return f"{out}^{{{exp}}}" if exp else out

    def _derive_text(self, printer: Any) -> str:
        return n.PAIR_LOSS_TEXT.format(printer._print(self.args[0]))


class _Windowed:
    """Σ_{−m≤j≤m, j≠0} body: what the scalar and the matrix window sums share."""

    args: tuple[Any, ...]

    @property
    def body(self) -> Any:
        return self.args[0]

    def _latex(self, printer: Any) -> str:
        return f"{n.WINDOW_LATEX.format(printer._index(n.jw))} {self._inner(printer, True)}"

    def _derive_text(self, printer: Any) -> str:
        return f"{n.WINDOW_TEXT.format(printer._index(n.jw))} {self._inner(printer, False)}"

    def _inner(self, printer: Any, latex: bool) -> str:
        inner = printer._print(self.body)
        if not isinstance(self.body, (sp.Add, sp.MatAdd)):
            return inner
        return rf"\left({inner}\right)" if latex else f"({inner})"


class WindowSum(_Windowed, sp.Expr):
    """The window sum of a scalar body in w_{t+j}."""

    def __new__(cls, body: sp.Expr) -> WindowSum:
        return sp.Expr.__new__(cls, sp.sympify(body))


class MatWindowSum(_Windowed, sp.MatrixExpr):
    """The window sum of a matrix body in w_{t+j}."""

    def __new__(cls, body: sp.MatrixExpr) -> MatWindowSum:
        return sp.Basic.__new__(cls, body)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.body.shape


class Grad(sp.MatrixExpr):
    """∂f/∂X for a scalar f and a matrix (or column vector) X: the shape of X."""

    def __new__(cls, f: sp.Expr, wrt: sp.MatrixSymbol) -> Grad:
        return sp.Basic.__new__(cls, f, wrt)

    @property
    def f(self) -> sp.Expr:
        return self.args[0]

    @property
    def wrt(self) -> sp.MatrixSymbol:
        return self.args[1]

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.wrt.shape

    def _latex(self, printer: Any) -> str:
        wrt = printer._print(self.wrt)
        if isinstance(self.f, PairLoss):
            return rf"\frac{{\partial {printer._print(self.f)}}}{{\partial {wrt}}}"
        return rf"\frac{{\partial}}{{\partial {wrt}}} {printer._print(self.f)}"

    def _derive_text(self, printer: Any) -> str:
        if isinstance(self.f, PairLoss):
            return f"∂{printer._print(self.f)}/∂{printer._print(self.wrt)}"
        return f"∂/∂{printer._print(self.wrt)} {printer._print(self.f)}"


class OneHot(sp.MatrixExpr):
    """The one-hot column vector in ℝ^V of the word x."""

    def __new__(cls, word: sp.Expr) -> OneHot:
        return sp.Basic.__new__(cls, word)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return (n.V, sp.S.One)

    def _latex(self, printer: Any) -> str:
        return n.ONE_HOT_LATEX.format(printer._print(self.args[0]))

    def _derive_text(self, printer: Any) -> str:
        return n.ONE_HOT_TEXT.format(printer._print(self.args[0]))


def at_one_word(body: sp.MatrixExpr) -> sp.MatrixExpr:
    """A window sum's body as the matrix form at one outside word o: its one-hot vector is y."""
    return body.replace(lambda e: isinstance(e, OneHot), lambda e: n.y.matrix)


def skipgram_loss() -> sp.Expr:
    """Σ_{−m≤j≤m, j≠0} J(v_c, w_{t+j}, U)."""
    return WindowSum(PairLoss(n.w_t[n.jw]))


# The rules: each maps a step to an equal one, and is a no-op where its pattern is absent.

def linearity(expr: sp.Basic) -> sp.Basic:
    """∂/∂X Σ_j f_j = Σ_j ∂f_j/∂X."""
    return expr.replace(lambda e: isinstance(e, Grad) and isinstance(e.f, WindowSum),
                        lambda e: MatWindowSum(Grad(e.f.body, e.wrt)))


def pair_loss(pair: Loss) -> Any:
    """J(v_c, x, U) is the pair loss with its outside word o at x."""
    def rule(expr: sp.Basic) -> sp.Basic:
        return expr.replace(lambda e: isinstance(e, PairLoss),
                            lambda e: pair.expr.xreplace({n.o: e.args[0]}))
    return rule


def pair_gradient(results: dict[sp.MatrixSymbol, sp.MatrixExpr]) -> Any:
    """∂J(v_c, x, U)/∂X is the pair's derived gradient with o at x, so y is the one-hot of x."""
    def rule(expr: sp.Basic) -> sp.Basic:
        return expr.replace(
            lambda e: isinstance(e, Grad) and isinstance(e.f, PairLoss) and e.wrt in results,
            lambda e: results[e.wrt].xreplace({n.y.matrix: OneHot(e.f.args[0])}))
    return rule


def other_centre_vector(expr: sp.Basic) -> sp.Basic:
    """J(v_c, x, U) reads the centre vectors through v_c alone: ∂J(v_c, x, U)/∂v_w = 0 for w ≠ c,
    and a sum of zeros is zero."""
    zero = sp.ZeroMatrix(*n.v_w.matrix.shape)
    expr = expr.replace(lambda e: isinstance(e, Grad) and isinstance(e.f, PairLoss)
                        and e.wrt == n.v_w.matrix, lambda e: zero)
    return expr.replace(lambda e: isinstance(e, MatWindowSum) and e.body == zero, lambda e: zero)


def written_out(pair: Derivation) -> dict[sp.MatrixSymbol, sp.MatrixExpr]:
    """The pair's matrix results that read in U, v_c, ŷ and y alone: those the window sum can
    state outright (negative sampling's are in u_o and its samples, which differ per word)."""
    known = {n.U.matrix, n.v_c.matrix, n.y_hat.matrix, n.y.matrix}
    out = {}
    for grad in pair.gradients:
        result = grad.result
        if grad.case or result.atoms(sp.Indexed) or not result.atoms(sp.MatrixSymbol) <= known:
            continue
        out[grad.wrt.matrix] = result
    return out


def derive(loss: Loss, *, check: bool = True, pair: Derivation | None = None) -> Derivation:
    """Every gradient of a window loss (`loss.pair` set), with its trace. `pair` is the pair
    loss's derivation when it has been made already (checked, if this one is to be)."""
    if loss.pair is None:
        raise ValueError(f"{loss.name} is not summed over a window: it has no pair loss")
    if n.o not in loss.pair.expr.free_symbols:
        raise ValueError(f"{loss.name}: the pair loss {loss.pair.name} must be written with its "
                         "outside word o, which the window sets to each w_{t+j}")
    if pair is None or pair.loss != loss.pair:
        pair = vector.derive(loss.pair, check=check)
    window = Checker(loss.pair) if check else None
    values = (lambda s: window.values(s.expr)) if window is not None else None
    loss_steps = trace(Step(loss.expr, "definition"), [
        (f"the {loss.pair.name} loss", pair_loss(loss.pair))], values, "J")
    gradients = []
    results = written_out(pair)
    for obj in loss.wrt:
        start = Step(Grad(loss.expr, obj.matrix), "derivative")
        steps = trace(start, [
            ("linearity", linearity),
            (f"the {loss.pair.name} gradient", pair_gradient(results)),
            ("only the centre word's vector occurs in J", other_centre_vector),
        ], values, obj.name)
        steps[-1] = Step(steps[-1].expr, steps[-1].rule, matrix=True)
        case = "w != c" if obj is n.v_w else ""
        gradients.append(Gradient(obj, (), tuple(steps), case=case))
    return Derivation(loss, tuple(loss_steps), tuple(gradients),
                      checked_at=f"{CHECKED_AT}, each with a window of {WINDOW} outside words, "
                                 "one repeated")


class Checker:
    """The engine's numeric points, each with a window of outside words (the first repeated
    last, so a word counted twice is checked); the derivation checks at SEED, verify at its own."""

    def __init__(self, pair: Loss, *, seed: int = SEED) -> None:
        self.point = NumericPoint(pair, seed=seed)
        rng = np.random.default_rng(seed)
        self.words = []
        for p in self.point.points:
            words = rng.integers(p.V, size=WINDOW - 1)
            self.words.append(np.append(words, words[0]))
        self.pair = self.point.expand(pair.expr)

    def error(self, before: Step, after: Step) -> float:
        """The largest relative error between two steps over every point."""
        return max_error(self.values(before.expr), self.values(after.expr))

    def values(self, expr: sp.Basic) -> list[np.ndarray]:
        """expr at every point: a scalar, or a matrix in the handout's layout."""
        if isinstance(expr, MatWindowSum):
            terms = [self.values(expr.body.xreplace({n.jw: q})) for q in range(WINDOW)]
            return [np.sum(t, axis=0) for t in zip(*terms, strict=True)]
        if isinstance(expr, sp.ZeroMatrix):
            return [np.zeros(self._shape(expr, p)) for p in self.point.points]
        if isinstance(expr, Grad):
            return self._derivative(self._scalar(expr.f), expr.wrt)
        if isinstance(expr, sp.MatrixExpr):
            return self._matrix(expr)
        return self.point.entries(self._scalar(expr), (), extra={n.w_t: self.words})

    def _scalar(self, expr: sp.Expr) -> sp.Expr:
        """Each window sum written out over the window's positions, each pair loss as its
        expression."""
        expr = expr.replace(lambda e: isinstance(e, WindowSum),
                            lambda e: sp.Add(*(e.body.xreplace({n.jw: q})
                                               for q in range(WINDOW))))
        return expr.replace(lambda e: isinstance(e, PairLoss),
                            lambda e: self.pair.xreplace({n.o: e.args[0]}))

    def _derivative(self, f: sp.Expr, wrt: sp.MatrixSymbol) -> list[np.ndarray]:
        obj = next(o for o in n.OBJECTS if o.matrix == wrt)
        if obj.indexed not in self.point.bases:  # f does not contain it
            return [np.zeros(self._shape(wrt, p)) for p in self.point.points]
        index = (n.j,) if len(obj.indexed.shape) == 1 else (n.j, n.k)
        grids = self.point.derivative(f, obj.indexed[index], index, extra={n.w_t: self.words})
        return [g.reshape(self._shape(wrt, p)) for g, p in zip(grids, self.point.points,
                                                               strict=True)]

    def _matrix(self, expr: sp.MatrixExpr) -> list[np.ndarray]:
        """A matrix form at one window position: its one-hot vector is that position's word."""
        hots = expr.atoms(OneHot)
        if not hots:
            return self.point.matrices(expr)
        (hot,) = hots
        q = int(hot.args[0].indices[0])
        outside = [int(words[q]) for words in self.words]
        return self.point.matrices(expr.xreplace({hot: n.y.matrix}), outside=outside)

    @staticmethod
    def _shape(x: sp.MatrixExpr, p: Any) -> tuple[int, int]:
        sizes = {n.V: p.V, n.d: p.d, n.K: p.K}
        rows, cols = (int(sp.sympify(s).subs(sizes)) for s in x.shape)
        return rows, cols
