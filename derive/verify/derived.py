"""The symbolic side of `derive verify`: each problem's derivation, made once, and what its
checks evaluate, printed into NumPy once (`compile`: a compiled.Compiled, which a later run
reads back without SymPy).

A derivation made with its checks on evaluates every step at the engine's fixed points (SEED),
then verify evaluated every step again at the run's points: the same checks, twice, most of the
run's time at any size. Here a problem is derived with its step checks off; verify's trace checks
make each of them at the run's points (reported, so a wrong step is a FAIL row with the seed to
replay), and the checks that are not steps — each result against SymPy's own elementwise
derivative, the column cases of ∂J/∂U — are made at those same points (Compiled.check_results),
raising as the derivation would. Each step's values are computed once: a step is the `after` of
one check and the `before` of the next.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import sympy as sp

from .. import calculus, printing, problems
from .. import notation as n
from ..calculus import lambdified as lambdified_
from ..calculus import scalar, window
from ..calculus.check import NumericPoint
from ..calculus.fold import entries_as_matrices
from ..calculus.records import Derivation, Gradient, Step
from . import compiled, stored, values
from .values import Entries, Fn, Matrices, OfX, Points, Rows, Total, Zeros, where_is


def derivation(problem: problems.Problem, known: Iterable[Derivation]) -> Derivation:
    """`problem` derived, its steps left to verify's trace checks and its other checks to
    Compiled.check_results. A window loss whose pair loss is not in `known` (derived and
    checked in this run) is derived with every check on, since verify checks only the window's
    own steps."""
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
    return stored.derivation(loss, "unchecked", lambda: calculus.derive(loss, check=False))


# The arguments each problem's derived forms are printed with; cases.py and windows.py pass
# arrays in this order (the handout's layout: U is d×V, vectors are columns).
def _evaluated() -> tuple[Any, ...]:
    return (n.U.matrix, n.v_c.matrix, n.y_hat.matrix, n.y.matrix, n.V, n.d)


def _form_args(problem: str) -> tuple[tuple[Any, ...], bool]:
    """(the arguments, whether vectors' entries in scalars become column matrices' entries)."""
    if problem == "neg-sampling":
        return (n.v_c.matrix, n.u_o.matrix, n.U_neg.matrix, n.d, n.K), True
    if problem == "neg-sampling-repeated":
        return (n.U.matrix, n.v_c.matrix, n.y.matrix, n.counts.matrix, n.o, n.V, n.d), True
    return _evaluated(), False


def compile(problem: problems.Problem, derivation: Derivation, *, checks: bool = True
            ) -> compiled.Compiled:
    """What verify's checks of `problem` read of `derivation`, printed; `checks` adds the
    results' checks the engine leaves to verify (for a derivation derived here unchecked)."""
    texts = {g.key: printing.text(g.result) for g in derivation.gradients}
    loss = derivation.loss
    if loss.wrt == (n.x,):
        (grad,) = derivation.gradients
        chains = tuple(compiled.Chain(label, "x", tuple(
            (s.rule, OfX(_scalar(s.expr))) for s in steps))
            for label, steps in (("J", derivation.loss_steps), ("dJ/dx", grad.steps)))
        return compiled.Compiled(problem.name, texts,
                                 forms={"J": _scalar(loss.expr), "dJ": _scalar(grad.result)},
                                 points=Points(scalar=scalar.POINTS), chains=chains)
    if loss.pair is not None:
        return _window(problem, derivation, texts)
    at = _Printed(loss)
    vector = [compiled.Chain("J", "J", at.chain(derivation.loss_steps, ()))]
    vector += [compiled.Chain(f"dJ/d{g.wrt.name}", g.wrt.name, at.chain(g.steps, g.index))
               for g in derivation.gradients if not g.case]
    args, columns = _form_args(problem.name)
    forms = {g.wrt.name: _matrix_form(args, entries_as_matrices(g.result) if columns
                                      else g.result)
             for g in derivation.gradients if not g.case}
    return compiled.Compiled(problem.name, texts, forms, points=at.spec(),
                             chains=tuple(vector),
                             checks=at.result_checks(derivation) if checks else ())


def _window(problem: problems.Problem, derivation: Derivation, texts: dict[str, str]
            ) -> compiled.Compiled:
    """A window loss: its trace at the window checker's points, each gradient's window sum as
    its body at one outside word (evaluated at each word of the run's window), or the shape of
    one that is the zero matrix."""
    assert derivation.loss.pair is not None
    checker = _WindowPrinted(derivation.loss.pair)
    chains = [compiled.Chain("J", "J", tuple((s.rule, checker.values(s.expr))
                                             for s in derivation.loss_steps))]
    chains += [compiled.Chain(f"dJ/d{g.name}", g.name, tuple((s.rule, checker.values(s.expr))
                                                             for s in g.steps))
               for g in derivation.gradients]
    forms, zeros = {}, {}
    for g in derivation.gradients:
        if isinstance(g.result, sp.ZeroMatrix):
            zeros[g.wrt.name] = tuple(str(s) if isinstance(s, sp.Symbol) else int(s)
                                      for s in g.result.shape)
        elif hasattr(g.result, "body"):
            forms[g.wrt.name] = _matrix_form(_evaluated(), window.at_one_word(g.result.body))
    points = dataclasses.replace(checker.point.spec(), window=window.WINDOW)
    return compiled.Compiled(problem.name, texts, forms, zeros, points, tuple(chains))


_made: dict[int, Fn] = {}  # by id of the printed function (lambdified keeps each)


def _fn(f: Callable[..., Any]) -> Fn:
    """f as a Fn, one a function (so that equal values are one value at the points,
    computed once), with the source and names that keep it."""
    if id(f) not in _made:
        _made[id(f)] = _kept(f)
    return _made[id(f)]


def evaluate(expr: Any, U: Any, v: Any, o: int, yhat: Any = None) -> Any:
    """A derived matrix expression at U (rows, (V, d)), v_c and o (values.evaluate, printed
    here): for callers that hold the expression itself (diagnose's terms)."""
    return values.evaluate(_form(_evaluated(), expr), U, v, o, yhat)


def _form(args: tuple[Any, ...], expr: sp.Basic) -> Fn:
    """`expr` as a NumPy function of `args`: with the sizes among the arguments rather than
    substituted, one function serves every size — and printing an expression whose shapes are
    50 000 × 300 costs seconds where a symbolic one costs milliseconds."""
    return _fn(lambdified_.function(("verify", args, expr), lambda: (list(args), expr)))


def _matrix_form(args: tuple[Any, ...], expr: sp.Basic) -> Fn | values.Outer:
    """`expr` as `_form` prints it, or, when it is a column times a row (a matrix of outer
    product form, as a gradient of a bilinear term is), its two factors printed apart."""
    factors = _outer_factors(expr)
    if factors is None:
        return _form(args, expr)
    return values.Outer(_form(args, factors[0]), _form(args, factors[1]))


def _outer_factors(expr: sp.Basic) -> tuple[sp.MatrixExpr, sp.MatrixExpr] | None:
    """(a, b) with expr = a·b, a a column and b a row, for a product of matrices whose own
    shape is not a vector's; None otherwise."""
    if not isinstance(expr, sp.MatMul) or 1 in expr.shape:
        return None
    coeff, matrices = expr.as_coeff_matrices()
    for k in range(1, len(matrices)):
        if matrices[k - 1].shape[1] == 1:
            column = sp.MatMul(*matrices[:k]) if k > 1 else matrices[0]
            row = sp.MatMul(*matrices[k:]) if len(matrices) - k > 1 else matrices[k]
            return (coeff * column if coeff != 1 else column), row
    return None


def _scalar(expr: sp.Expr) -> Fn:
    """A scalar problem's expression as f(x, α), as scalar.step_error evaluates it."""
    args = [n.x_scalar, n.alpha]
    body = expr.doit() if expr.has(sp.Derivative) else expr
    return _fn(lambdified_.function(("verify scalar", tuple(args), body), lambda: (args, body)))


def _kept(f: Callable[..., Any]) -> Fn:
    """f with the source and names that keep it, when it reads NumPy's and builtins' names
    alone; else f for this run only (the record that holds it is then not stored)."""
    printed = lambdified_.source(f)
    if printed is None:
        return Fn(f)
    text, names = printed
    space = getattr(f, "__globals__", {})
    where = [(name, where_is(space.get(name))) for name in names if name in space]
    if len(where) != len(names) or any(w is None for _, w in where):
        return Fn(f)
    return Fn(f, text, tuple((name, w) for name, w in where if w is not None))


class _Printed(NumericPoint):
    """A NumericPoint whose values are printed, not evaluated: compiled specs, which
    At evaluates at the run's points (drawn as NumericPoint draws them)."""

    def spec(self) -> Points:
        f = self.softmax_function()
        softmax = None if f is None else Entries(
            _fn(f), ("V",), shapes=tuple((p.V, 1) for p in self.points))
        return Points(
            sizes=tuple((p.V, p.d, p.K) for p in self.points),
            shapes=tuple(tuple(a.shape for a in p.arrays.values()) for p in self.points),
            params=tuple(float(self.loss.params[p]) if p in self.loss.params else None
                         for p in self.params),
            softmax=softmax)

    def _entries(self, key: tuple[Any, ...], make: Callable[[], sp.Expr],  # type: ignore[override]
                 index: tuple[sp.Symbol, ...], extra: dict[sp.Basic, list[Any]]
                 ) -> Entries:
        if set(extra) - {n.w_t}:
            raise TypeError(f"no value kept for {sorted(map(str, extra))}")
        return Entries(_fn(self.entry_function(key, make, index, extra)),
                                tuple(str(n.INDEX_SIZE[s]) for s in index), words=bool(extra))

    def matrices(self, expr: sp.MatrixExpr, free: tuple[sp.Symbol, ...] = (),  # type: ignore[override]
                 outside: list[int] | None = None, *, window: int | None = None
                 ) -> Matrices:
        if outside is not None:
            raise TypeError("a printed matrix form takes its outside word by window position")
        return Matrices(tuple(_fn(f) for f in self.matrix_functions(expr, free)),
                                 len(free), window)

    def values(self, step: Step, index: tuple[sp.Symbol, ...]) -> Any:
        if step.matrix:
            return Rows(self.matrices(step.expr), rows=len(index) > 1)
        return self.entries(step.expr, index)

    def chain(self, steps: Iterable[Step], index: tuple[sp.Symbol, ...]
              ) -> tuple[tuple[str, Any], ...]:
        return tuple((s.rule, self.values(s, index)) for s in steps)

    def result_checks(self, derivation: Derivation
                      ) -> tuple[compiled.AgainstDiff | compiled.CaseCheck, ...]:
        """Each result against SymPy's elementwise derivative of the loss, each column case of
        ∂J/∂U against the full gradient (NumericPoint.check_against_sympy_diff, check_case)."""
        loss = derivation.loss
        out: list[compiled.AgainstDiff | compiled.CaseCheck] = []
        full = next((g for g in derivation.gradients if g.wrt is n.U and not g.case), None)
        for grad in derivation.gradients:
            if not grad.case:
                out.append(compiled.AgainstDiff(grad.key, self._reference(grad), self.values(
                    grad.steps[-1], grad.index), f"dJ/d{grad.wrt.name} = {grad.result} disagrees "
                    f"with the elementwise derivative of {loss.name}"))
            elif full is not None:
                out.append(compiled.CaseCheck(
                    grad.key, self.values(full.steps[-1], full.index),
                    self.matrices(grad.result, (n.w,)), grad.case == "w = o",
                    f"dJ/du_w ({grad.case}) = {grad.result}"))
        return tuple(out)

    def _reference(self, grad: Gradient) -> Entries:
        entry = grad.wrt.indexed[grad.index]
        return self._entries(("sympy diff", self.loss.expr, entry),
                             lambda: self.expand(sp.diff(self.expand(self.loss.expr), entry)),
                             grad.index, {})


class _WindowPrinted(window.Checker):
    """window.Checker's values, printed (compiled specs) rather than evaluated: the same
    cases, one a kind of expression."""

    point: _Printed

    def __init__(self, pair: calculus.Loss) -> None:
        super().__init__(pair)
        self.point = _Printed(pair)

    def values(self, expr: sp.Basic) -> Any:
        if isinstance(expr, window.MatWindowSum):
            return Total(tuple(self.values(expr.body.xreplace({n.jw: q}))
                                        for q in range(window.WINDOW)))
        if isinstance(expr, sp.ZeroMatrix):
            return Zeros(tuple(self._shape(expr, p) for p in self.point.points))
        if isinstance(expr, window.Grad):
            return self._derivative(self._scalar(expr.f), expr.wrt)
        if isinstance(expr, sp.MatrixExpr):
            return self._matrix(expr)
        return self.point.entries(self._scalar(expr), (), extra={n.w_t: self.words})

    def _derivative(self, f: sp.Expr, wrt: sp.MatrixSymbol) -> Any:
        obj = next(o for o in n.OBJECTS if o.matrix == wrt)
        shapes = tuple(self._shape(wrt, p) for p in self.point.points)
        if obj.indexed not in self.point.bases:  # f does not contain it
            return Zeros(shapes)
        index = (n.j,) if len(obj.indexed.shape) == 1 else (n.j, n.k)
        entries: Any = self.point.derivative(f, obj.indexed[index], index,
                                             extra={n.w_t: self.words})
        return dataclasses.replace(entries, shapes=shapes)

    def _matrix(self, expr: sp.MatrixExpr) -> Any:
        hots = expr.atoms(window.OneHot)
        if not hots:
            return self.point.matrices(expr)
        (hot,) = hots
        return self.point.matrices(expr.xreplace({hot: n.y.matrix}),
                                   window=int(hot.args[0].indices[0]))
