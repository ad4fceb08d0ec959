"""The derivation engine: from a loss to its gradients in matrix form, step by step, each verified.

The pipeline, for each variable x the loss is differentiated by:
  1. rewrite J from its definition (softmax, log of a quotient, log of exp);
  2. take ∂J/∂x[idx] entry by entry, rule by rule (linearity, chain rule, derivative of exp, …);
  3. recognise the softmax and the one-hot vector, and fold the entry back into matrix form;
  4. check every step numerically against the one before, and the result against SymPy's own
     elementwise derivative of the loss, at several small sizes. A disagreement raises.
Sizes V and d stay symbolic throughout, so the cost does not grow with them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from . import notation as n
from . import rules
from .fold import to_matrix
from .numeric import NumericPoint, check_equal, compare


class DerivationError(Exception):
    """The engine produced a step or result that does not hold numerically: in chain `chain`
    (a Gradient.key, or "J"), at the step whose rule is `rule`."""

    def __init__(self, message: str, *, chain: str = "", rule: str = "") -> None:
        super().__init__(message)
        self.chain, self.rule = chain, rule


# Where every step of a derivation is checked, as a report states it.
CHECKED_AT = "(V, d) = " + ", ".join(f"({V}, {d})" for V, d in n.CHECK_SIZES)


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the expression (an entry, or the matrix form) and its rule."""

    expr: sp.Expr
    rule: str
    matrix: bool = False


@dataclass(frozen=True)
class Gradient:
    """∂J/∂(wrt): the steps that reach it, and its matrix form."""

    wrt: n.Obj
    index: tuple[sp.Symbol, ...]
    steps: tuple[Step, ...]
    case: str = ""

    @property
    def result(self) -> sp.MatrixExpr:
        return self.steps[-1].expr

    @property
    def name(self) -> str:
        """What the chain differentiates by: u_w for a column case of U, else the object."""
        return "u_w" if self.case and self.wrt is n.U else self.wrt.name

    @property
    def key(self) -> str:
        """The chain's name in rubrics and reports: "v_c", "U", "u_w (w = o)", …"""
        return f"{self.name} ({self.case})" if self.case else self.name


@dataclass(frozen=True)
class Softmax:
    """ŷ_x = exp(a(x)) / Σ_w′ exp(a(w′)) for logits a."""

    logit: Callable[[sp.Symbol], sp.Expr]
    base: sp.IndexedBase = n.y_hat.indexed

    def entry(self, x: sp.Expr) -> sp.Expr:
        return sp.exp(self.logit(x)) / sp.Sum(sp.exp(self.logit(n.w2)), (n.w2, 0, n.V - 1))


@dataclass(frozen=True)
class Loss:
    """A loss written with the notation's objects; `softmax` says what ŷ stands for."""

    name: str
    expr: sp.Expr
    softmax: Softmax | None
    wrt: tuple[n.Obj, ...] = (n.v_c, n.U)
    params: dict[sp.Symbol, float] = field(default_factory=dict)
    # ∂J/∂u_w in its two cases (w = o, w ≠ o), from ∂J/∂U: for losses where u_w meets only v_c.
    column_cases: bool = True
    # The loss of one (centre, outside) pair, when this loss sums it over a context window.
    pair: Loss | None = None


@dataclass(frozen=True)
class Derivation:
    loss: Loss
    loss_steps: tuple[Step, ...]
    gradients: tuple[Gradient, ...]
    checked_at: str = CHECKED_AT

    def _repr_latex_(self) -> str:
        """Jupyter shows the derivation typeset: every chain, one under the other."""
        from .report import chains

        blocks = [" \\\\\n".join(rf"{r.lhs} &= {r.rhs} && \text{{({r.rule})}}" for r in rows)
                  for rows in chains(self).values()]
        return "$$\\begin{aligned}\n" + " \\\\[1em]\n".join(blocks) + "\n\\end{aligned}$$"


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
    """Every gradient of `loss`, with its trace; each step checked numerically unless told not."""
    if loss.wrt == (n.x,):
        from . import scalar
        return scalar.derive(loss, check=check)
    if loss.pair is not None:
        from . import window
        return window.derive(loss, check=check)
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
        with _located(grad.key, "matrix form"):
            point.check_against_sympy_diff(loss, grad, DerivationError)
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
            with _located(g.key, "matrix form"):
                point.check_case(grad, g, DerivationError)
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


def trace(start: Step, rules: Sequence[tuple[str, Callable[[sp.Basic], sp.Basic]]],
          values: Callable[[Step], list[Any]] | None, chain: str) -> list[Step]:
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
            raise _step_failed(chain, name, err)
        out.append(step)
    return out


def _check(point: NumericPoint, before: Step, after: Step, index: tuple[sp.Symbol, ...],
           chain: str, rule: str) -> None:
    err = check_equal(point, before, after, index)
    if err is not None:
        raise _step_failed(chain, rule, err)


def _step_failed(chain: str, rule: str, err: str) -> DerivationError:
    label = "J" if chain == "J" else f"dJ/d{chain}"
    return DerivationError(f"step '{label}: {rule}' does not hold numerically: {err}",
                           chain=chain, rule=rule)


@contextmanager
def _located(chain: str, rule: str) -> Iterator[None]:
    """Name the chain and step on a DerivationError raised by a check that does not know them."""
    try:
        yield
    except DerivationError as exc:
        raise DerivationError(str(exc), chain=chain, rule=rule) from None
