"""The symbolic side of `derive verify`: each problem's derivation, made once, with every check
it needs made once, and each derived expression turned into NumPy once.

A derivation made with its checks on evaluates every step at the engine's fixed points (SEED),
then verify evaluated every step again at the run's points: the same checks, twice, most of the
run's time at any size. Here a problem is derived with its step checks off; verify's trace checks
make each of them at the run's points (reported, so a wrong step is a FAIL row with the seed to
replay), and the checks that are not steps — each result against SymPy's own elementwise
derivative, the column cases of ∂J/∂U — are made here at those same points, raising as the
derivation would. Each step's values are computed once: a step is the `after` of one check and
the `before` of the next.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from .. import calculus, printing, problems
from .. import notation as n
from ..calculus import lambdified as lambdified_
from ..calculus import window
from ..calculus.check import NumericPoint, located, max_error
from ..calculus.records import Derivation, Step
from . import stored


class Point(NumericPoint):
    """The run's numeric points for a loss, each step's values kept once computed."""

    def __init__(self, loss: calculus.Loss, *, seed: int) -> None:
        super().__init__(loss, seed=seed)
        self._values: dict[tuple[Any, ...], list[Any]] = {}

    def values(self, step: Step, index: tuple[sp.Symbol, ...]) -> list[Any]:
        key = (step.expr, step.matrix, index)
        if key not in self._values:
            self._values[key] = super().values(step, index)
        return self._values[key]


class WindowPoint:
    """A window.Checker at the run's points, each expression's values kept once computed."""

    def __init__(self, pair: calculus.Loss, *, seed: int) -> None:
        self.checker = window.Checker(pair, seed=seed)
        self._memo: dict[Any, list[Any]] = {}

    def error(self, before: Step, after: Step) -> float:
        return max_error(self._of(before.expr), self._of(after.expr))

    def _of(self, expr: Any) -> list[Any]:
        if expr not in self._memo:
            self._memo[expr] = self.checker.values(expr)
        return self._memo[expr]


def derivation(problem: problems.Problem, point: Callable[[calculus.Loss], Point],
               known: Iterable[Derivation]) -> Derivation:
    """`problem` derived, its steps left to verify's trace checks and its other checks made here
    at `point(loss)`. A window loss whose pair loss is not in `known` (derived and checked in
    this run) is derived with every check on, since verify checks only the window's own steps."""
    loss = problem.make_loss()
    if loss.pair is not None:
        pair = next((d for d in known if d.loss == loss.pair), None)
        if pair is None:
            return stored.derivation(loss, "checked", lambda: calculus.derive(loss))
        return stored.derivation(loss, "unchecked, from its pair", lambda: calculus.derive(
            loss, check=False, known=[pair]), given=pair)
    if loss.objects or loss.wrt == (n.x,):
        # Its checks are its own (general, scalar), at the engine's points: kept with it.
        return stored.derivation(loss, "checked", lambda: calculus.derive(loss))
    made = stored.derivation(loss, "unchecked", lambda: calculus.derive(loss, check=False))
    at = point(loss)
    full = next((g for g in made.gradients if g.wrt is n.U and not g.case), None)
    for grad in made.gradients:
        with located(grad.key, "matrix form"):
            if not grad.case:
                at.check_against_sympy_diff(loss, grad)
            elif full is not None:
                at.check_case(full, grad)
    return made


@cache
def lambdified(args: Sequence[sp.Basic], expr: sp.Basic) -> Callable[..., Any]:
    """`expr` as a NumPy function of `args` (a tuple), made once: with the sizes among the
    arguments rather than substituted, one function serves every size — and printing an
    expression whose shapes are 50 000 × 300 costs seconds where a symbolic one costs
    milliseconds. The printed function is kept on disk (calculus.lambdified)."""
    return lambdified_.function(("verify", tuple(args), expr), lambda: (list(args), expr))


def text(expr: Any) -> str:
    return printing.text(expr)


def softmax_at(U: np.ndarray, v: np.ndarray) -> np.ndarray:
    """ŷ at U (rows) and v_c: the definition's value, not a gradient (the max-shifted softmax)."""
    logits = U @ v
    yhat = np.exp(logits - logits.max())
    yhat /= yhat.sum()
    return yhat


def evaluate(expr: Any, U: np.ndarray, v: np.ndarray, o: int,
             yhat: np.ndarray | None = None) -> np.ndarray:
    """A derived matrix expression at U (rows, (V, d)), v_c and o, in the handout's layout; ŷ
    (softmax_at(U, v)) may be given, computed once for the expressions evaluated at one point."""
    V, d = U.shape
    # ŷ and y are the definitions' values, not gradients: softmax and one-hot at this point.
    yhat = softmax_at(U, v) if yhat is None else yhat
    onehot = np.zeros(V)
    onehot[o] = 1.0
    args = (n.U.matrix, n.v_c.matrix, n.y_hat.matrix, n.y.matrix, n.V, n.d)
    f = lambdified(args, expr)
    return np.asarray(f(U.T, v[:, None], yhat[:, None], onehot[:, None], V, d), dtype=float)
