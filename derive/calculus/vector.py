"""Vector and matrix losses: from a loss to its gradients in matrix form, step by step, each
verified.

The pipeline, for each variable x the loss is differentiated by:
  1. rewrite J from its definition (softmax, log of a quotient, log of exp);
  2. take ∂J/∂x[idx] entry by entry, rule by rule (linearity, chain rule, derivative of exp, …);
  3. recognise the softmax and the one-hot vector, and fold the entry back into matrix form;
  4. check every step numerically against the one before, and the result against SymPy's own
     elementwise derivative of the loss, at several small sizes. A disagreement raises.
Sizes V and d stay symbolic throughout, so the cost does not grow with them.
"""
from __future__ import annotations

import sympy as sp

from .. import notation as n
from . import rules
from .check import NumericPoint, check_equal, located, step_failed, trace
from .fold import to_matrix
from .records import Derivation, Gradient, Loss, Softmax, Step


def logit(x: sp.Expr) -> sp.Expr:
    """u_xᵀ v_c = Σ_i U[i, x] v_c[i]."""
    return sp.Sum(n.U.indexed[n.i, x] * n.v_c.indexed[n.i], (n.i, 0, n.d - 1))


def norm_sq(obj: n.Obj) -> sp.Expr:
    """‖x‖² (Frobenius for a matrix) as a sum of squared entries."""
    if len(obj.indexed.shape) == 1:
        return sp.Sum(obj.indexed[n.i] ** 2, (n.i, 0, obj.indexed.shape[0] - 1))
    rows, cols = obj.indexed.shape
    return sp.Sum(obj.indexed[n.i, n.w2] ** 2, (n.i, 0, rows - 1), (n.w2, 0, cols - 1))


def neg_log_softmax() -> sp.Expr:
    """−log ŷ_o."""
    return -sp.log(n.y_hat.indexed[n.o])


def derive(loss: Loss, *, check: bool = True) -> Derivation:
    """Every gradient of a vector or matrix `loss`, with its trace; each step checked numerically
    unless told not."""
    point = NumericPoint(loss) if check else None
    loss_steps = _trace(loss.expr, [
        ("one-hot vector", rules.one_hot_entries(n.y.indexed)),
        ("softmax definition", lambda e: _expand_softmax(e, loss.softmax)),  # no-op without one
        ("log of a quotient", rules.log_of_quotient),
        ("log of exp", rules.log_of_exp),
    ], point, "J")
    gradients: list[Gradient] = []
    for obj in loss.wrt:
        grad = _gradient(loss, loss_steps[-1].expr, obj, point)
        gradients.append(grad)
        if obj is n.U and loss.column_cases:
            gradients.extend(_column_cases(grad, point))
    return Derivation(loss, tuple(loss_steps), tuple(gradients))


def _gradient(loss: Loss, J: sp.Expr, obj: n.Obj, point: NumericPoint | None) -> Gradient:
    shape = obj.indexed.shape
    index = (n.j,) if len(shape) == 1 else (n.j, n.COLUMN_INDEX[shape[1]])
    entry = obj.indexed[index]
    matrices = tuple(o.indexed for o in (n.U,) if o is not obj)
    # Each rule is a no-op where its function is absent (σ in a softmax loss, exp in a σ loss).
    softmax = [("softmax definition", rules.softmax_definition(loss.softmax.base))
               ] if loss.softmax is not None else []
    steps = _trace(sp.Derivative(J, entry, evaluate=False), [
        ("linearity", rules.linearity(entry)),
        ("chain rule", rules.chain_rule),
        ("derivative of σ", rules.derivative_of_sigmoid),
        ("1 − σ(x) = σ(−x)", rules.one_minus_sigmoid),
        ("derivative of exp", rules.derivative_of_exp),
        ("rearrange", rules.rearrange),
        *softmax,
        ("one-hot vector", rules.one_hot(n.y.indexed, matrices)),
    ], point, obj.name, index=index)
    steps.append(Step(to_matrix(steps[-1].expr, *index), "matrix form", matrix=True))
    grad = Gradient(obj, index, tuple(steps))
    if point is not None:
        _check(point, steps[-2], steps[-1], index, obj.name, "matrix form")
        with located(grad.key, "matrix form"):
            point.check_against_sympy_diff(loss, grad)
    return grad


def _column_cases(grad: Gradient, point: NumericPoint | None) -> list[Gradient]:
    """∂J/∂u_w, the column w of ∂J/∂U, in its two cases: w = o (y_w = 1) and w ≠ o (y_w = 0)."""
    entry = grad.steps[-2].expr.xreplace({n.k: n.w})
    cases = []
    for case, value in (("w = o", 1), ("w != o", 0)):
        expr = entry.xreplace({n.y.indexed[n.w]: value})
        steps = (Step(entry, "column w of the U gradient"), Step(expr, f"one-hot vector ({case})"),
                 Step(to_matrix(expr, n.j), "matrix form", matrix=True))
        cases.append(Gradient(n.U, (n.j,), steps, case=case))
    if point is not None:
        for g in cases:
            with located(g.key, "matrix form"):
                point.check_case(grad, g)
    return cases


def _expand_softmax(expr: sp.Expr, softmax: Softmax | None) -> sp.Expr:
    if softmax is None:
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == softmax.base,
                        lambda e: softmax.entry(e.indices[0]))


def _trace(start: sp.Expr, steps: list, point: NumericPoint | None, chain: str,
           index: tuple[sp.Symbol, ...] = ()) -> list[Step]:
    first = Step(start, "definition" if not isinstance(start, sp.Derivative) else "derivative")
    values = (lambda s: point.values(s, index)) if point is not None else None
    return trace(first, steps, values, chain)


def _check(point: NumericPoint, before: Step, after: Step, index: tuple[sp.Symbol, ...],
           chain: str, rule: str) -> None:
    err = check_equal(point, before, after, index)
    if err is not None:
        raise step_failed(chain, rule, err)
