"""The general engine: a loss of declared vectors and matrices of any size, differentiated by any
of them, every step a fact of the table (facts.py), checked numerically, folded into matrix form
where the table of patterns (matrixform.py) allows, and honestly left in entry form where not.

For each variable X the loss is differentiated by:
  1. rewrite J from its definitions (the one-hot y, the softmax, log of a quotient, log of exp);
  2. push ∂/∂X[idx] down the expression one layer per step, each step naming its facts, until
     every ∂ is gone; then contract the Kronecker deltas the derivative of an entry leaves;
  3. recognise the softmax ŷ and the one-hot y wherever they stand, collect like terms, and take
     common factors out where the result then reads better (factoring.py);
  4. fold the entry into matrix form, or say there is none and keep the entry form;
  5. check every step against the one before at sizes away from degenerate ones, and the result
     against SymPy's own elementwise derivative of the loss. A disagreement raises; a value that
     cannot be computed (NaN) is reported as a check not made, never passed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import sympy as sp
from sympy.polys.polyerrors import BasePolynomialError

from .. import notation as n
from ..errors import DerivationError
from . import algebra, factoring, facts, rules
from .check import compare, step_failed
from .families import fold_gathered
from .matrixform import NoMatrixForm
from .records import Derivation, Gradient, Loss, Softmax, Step
from .sample import Points

INDEX_NAMES = ("j", "k", "l", "p", "q", "r")
MAX_STEPS = 40
MATRIX_FORM = "matrix form"
ENTRY_FORM = "no matrix form: entry form"


def derive(loss: Loss, *, check: bool = True) -> Derivation:
    loss = _written_softmax(loss)
    points = Points(loss) if check else None
    J = loss.expr
    loss_steps = _run([Step(J, "definition")], [
        ("one-hot vector", rules.one_hot_entries(n.y.indexed)),
        ("linearity of Σ", algebra.split_sums),
        *_recognise_softmax(loss),
    ], points, (), (), "J")
    gradients = tuple(_gradient(loss, loss_steps[-1].expr, obj, points) for obj in loss.wrt)
    return Derivation(loss, tuple(loss_steps), gradients,
                      checked_at="sizes " + _sizes_text(points) if points else "unchecked")


def _written_softmax(loss: Loss) -> Loss:
    """A loss that writes its softmax out (exp(z_o) / Σ_w exp(z_w), or log Σ_w exp(z_w)) and
    names no ŷ: ŷ = softmax(z) is that softmax, recognised where it stands, as the seed does."""
    if loss.softmax is not None:
        return loss
    logits = {s.function.args[0].xreplace({s.variables[0]: n.w}) for s in loss.expr.atoms(sp.Sum)
              if isinstance(s.function, sp.exp) and len(s.limits) == 1
              and s.limits[0][1:] == (0, n.V - 1)}
    if len(logits) != 1:
        return loss
    (z,) = logits
    return replace(loss, softmax=Softmax(lambda x: z.xreplace({n.w: x})))


def _recognise_softmax(loss: Loss) -> list[tuple[str, rules.Rule]]:
    if loss.softmax is None:
        return []
    recognise = rules.softmax_definition(loss.softmax.base)

    def rule(expr: sp.Expr) -> sp.Expr:
        # bound indices named alike first: exp(u_oᵀv_c) is then seen as a term of Σ_w exp(u_wᵀv_c)
        renamed = algebra.canonical_indices(expr)
        out = recognise(renamed)
        return out if out != renamed else expr
    return [("softmax definition", rule)]


def _sizes_text(points: Points) -> str:
    return ", ".join("(" + ", ".join(f"{s} = {p.sizes[s]}" for s in points.sizes) + ")"
                     for p in points.points)


def free_indices(J: sp.Expr, obj: n.Obj) -> tuple[sp.Symbol, ...]:
    """One index per axis of obj, named j, k, … but never a name the loss already uses."""
    taken = {str(s) for s in J.atoms(sp.Symbol)}
    names = [x for x in INDEX_NAMES if x not in taken]
    return tuple(sp.Symbol(x, integer=True, nonnegative=True)
                 for x in names[:len(obj.indexed.shape)])


def _gradient(loss: Loss, J: sp.Expr, obj: n.Obj, points: Points | None) -> Gradient:
    free = free_indices(J, obj)
    shape = tuple(obj.indexed.shape)
    entry = obj.indexed[free] if free else obj.indexed  # a scalar variable is its own entry
    steps = [Step(facts.d(J, entry), "derivative")]
    definition = (loss.softmax.base, loss.softmax.logit) if loss.softmax is not None else None
    while steps[-1].expr.has(sp.Derivative):
        if len(steps) > MAX_STEPS:
            raise DerivationError(f"dJ/d{obj.name}: no end after {MAX_STEPS} steps",
                                  chain=obj.name, rule=steps[-1].rule)
        expr, used = facts.differentiate(steps[-1].expr, definition)
        _add(steps, Step(expr, ", ".join(used)), points, free, shape, obj.name)
    softmax = [("ŷ sums to 1", lambda e: algebra.sums_to_one(loss.softmax.base)(  # type: ignore
                   algebra.separate_sums(e)))
               ] if loss.softmax is not None else []
    steps = _run(steps, [
        ("contract the deltas", algebra.contract_deltas),
        ("rearrange", _rearrange),
        *_recognise_softmax(loss),
        ("linearity of Σ", algebra.split_sums),
        *softmax,
        ("σ(−x) = 1 − σ(x)", algebra.sigmoid_of_negative),
        ("step(z) max(z, 0) = max(z, 0)", algebra.step_of_max),
        ("one-hot vector", _one_hot(loss, free)),
        ("collect like terms", _collect),
    ], points, free, shape, obj.name)
    sizes = dict(zip(free, shape, strict=True))
    if not free:  # by a scalar: the last step states the whole result
        final = steps[-1] = Step(steps[-1].expr, steps[-1].rule, matrix=True)
    else:
        try:
            folded = _take_out_common_factors(steps, loss, free, sizes, points, shape, obj.name)
            final = Step(folded, MATRIX_FORM, matrix=True)
        except NoMatrixForm as exc:
            final = Step(steps[-1].expr, f"{ENTRY_FORM} ({exc})")
    if not free:
        pass
    elif final.matrix:
        _add(steps, final, points, free, shape, obj.name)
    else:
        steps.append(final)
    grad = Gradient(obj, free, tuple(steps))
    if points is not None:
        # The first step, ∂J/∂X[idx] unevaluated, is evaluated by SymPy's own diff of the loss
        # with ŷ spelled out: the elementwise derivative every result is checked against (of the
        # loss as written, when the rewrite of J changed it).
        start = steps[0] if J == loss.expr else Step(facts.d(loss.expr, entry), "derivative")
        want = _values(points, start, free, shape)
        err = compare(want, _values(points, final, free, shape))
        if err is not None:
            raise DerivationError(f"dJ/d{obj.name} = {final.expr} disagrees with the elementwise "
                                  f"derivative of {loss.name}: {err}", chain=obj.name,
                                  rule=final.rule)
    return grad


def _take_out_common_factors(steps: list[Step], loss: Loss, free: tuple[sp.Symbol, ...],
                             sizes: dict[sp.Symbol, sp.Expr], points: Points | None,
                             shape: tuple[sp.Expr, ...], chain: str) -> sp.MatrixExpr:
    """The matrix form of the last step, after the common factors are taken out (factoring.py)
    as a checked step where that reads better: a reader's σ(z) ∘ (𝟏 − σ(z)) ∘ W_2ᵀ(ŷ − y), not
    the three terms the expanded chain rule left. NoMatrixForm when neither folds."""
    expr = steps[-1].expr
    try:
        before: sp.MatrixExpr | None = fold_gathered(expr, free, sizes, loss.families)
    except NoMatrixForm:
        before = None
    if before is not None and not _crowded(before):
        return before  # one term with no long sum inside: nothing to take out (and SymPy's
        # factor is a tenth of a second a gradient)
    try:
        candidate = factoring.factored(expr, free,
                                       loss.softmax.base if loss.softmax is not None else None)
        after = fold_gathered(candidate, free, sizes, loss.families) if candidate != expr \
            else None
    except (BasePolynomialError, NoMatrixForm):  # a factoring SymPy cannot do, or one with no
        after = None  # matrix form, is not done: the step is optional
    if after is None or (before is not None and not _reads_better(after, before)):
        return _folded(before, expr, free, sizes, loss)
    try:
        _add(steps, Step(candidate, "take out common factors"), points, free, shape, chain)
    except DerivationError:  # a rewrite that does not hold at the points is not taken (and not
        return _folded(before, expr, free, sizes, loss)  # shown): the step before stands
    return after


def _folded(before: sp.MatrixExpr | None, expr: sp.Expr, free: tuple[sp.Symbol, ...],
            sizes: dict[sp.Symbol, sp.Expr], loss: Loss) -> sp.MatrixExpr:
    """The entry's matrix form, already made, or the NoMatrixForm that says why there is none."""
    return before if before is not None else fold_gathered(expr, free, sizes, loss.families)


def _crowded(m: sp.Basic) -> bool:
    """Several terms, or a sum of three or more inside: a form a common factor may shorten."""
    return isinstance(m, sp.MatAdd) or any(isinstance(e, (sp.MatAdd, sp.Add)) and len(e.args) > 2
                                           for e in sp.preorder_traversal(m))


def _size(expr: sp.Basic) -> int:
    return sum(1 for _ in sp.preorder_traversal(expr))


def _reads_better(after: sp.MatrixExpr, before: sp.MatrixExpr) -> bool:
    """Fewer terms, and no minus sign in front that was not there: W_1ᵀ(σ ∘ (𝟏 − σ) ∘
    W_2ᵀ(ŷ − y)) for three terms, but not −2 U(…) for 2 U(…) − 2‖ŷ‖² Uŷ."""
    def terms(m: sp.Basic) -> int:
        return len(m.args) if isinstance(m, sp.MatAdd) else 1

    def leading_minus(m: sp.Basic) -> bool:
        first = m.args[0] if isinstance(m, sp.MatMul) else None
        return first is not None and not isinstance(first, sp.MatrixExpr) and bool(
            first.as_coeff_Mul()[0].is_negative)
    def counts(m: sp.Basic) -> Counter[sp.Basic]:
        return Counter(e for e in sp.preorder_traversal(m)
                       if isinstance(e, (sp.Symbol, sp.MatrixSymbol)))
    # and no name written more often: not 1/V (V ŷ − ε 𝟏 …) for ŷ − ε/V 𝟏 − …
    more = counts(after) - counts(before)
    fewer = terms(after) < terms(before) or (
        terms(after) == terms(before) and _size(after) < _size(before))
    return fewer and not more and (
        leading_minus(before) or not leading_minus(after))


def _values(points: Points, step: Step, free: tuple[sp.Symbol, ...],
            shape: tuple[sp.Expr, ...]) -> list:
    key = (step, free)
    if key not in points.cache:
        points.cache[key] = _evaluate(points, step, free, shape)
    return points.cache[key]


def _evaluate(points: Points, step: Step, free: tuple[sp.Symbol, ...],
              shape: tuple[sp.Expr, ...]) -> list:
    if step.matrix:
        return points.matrices(step.expr, shape)
    return points.entries(step.expr, free, shape)


def _add(steps: list[Step], step: Step, points: Points | None, free: tuple[sp.Symbol, ...],
         shape: tuple[sp.Expr, ...], chain: str) -> None:
    if points is not None:
        before = _values(points, steps[-1], free, shape)
        after = _values(points, step, free, shape)
        if any(np.isnan(v).any() for v in (*before, *after)):
            raise DerivationError(f"step 'dJ/d{chain}: {step.rule}' could not be checked: a "
                                  "value is not a number at the check points", chain=chain,
                                  rule=step.rule)
        err = compare(before, after)
        if err is not None:
            raise step_failed(chain, step.rule, err)
    steps.append(step)


def _run(steps: list[Step], named: list, points: Points | None, free: tuple[sp.Symbol, ...],
         shape: tuple[sp.Expr, ...], chain: str) -> list[Step]:
    for name, rule in named:
        expr = rule(steps[-1].expr)
        if expr != steps[-1].expr:
            _add(steps, Step(expr, name), points, free, shape, chain)
    return steps


def _rearrange(expr: sp.Expr) -> sp.Expr:
    """Products multiplied out over sums of terms, constants taken into or out of Σ."""
    return rules.rearrange(sp.expand(expr, power_exp=False, power_base=False, log=False))


def _one_hot(loss: Loss, free: tuple[sp.Symbol, ...]) -> rules.Rule:
    """δ(x, o) = y_x; and, where a free index runs along it, the column A[:, o] = A y or the row
    A[o, :] = Aᵀ y of a declared matrix A whose axis runs over the vocabulary (inside a scalar
    such as u_oᵀv_c the column stays as it is)."""
    y = n.y.indexed
    matrices = tuple(obj.indexed for obj in loss.objects if len(obj.indexed.shape) == 2)

    def rule(expr: sp.Expr) -> sp.Expr:
        expr = expr.replace(lambda e: isinstance(e, sp.KroneckerDelta) and n.o in e.args,
                            lambda e: y[e.args[0] if e.args[1] == n.o else e.args[1]])
        taken = {str(s) for s in expr.atoms(sp.Symbol)}
        var = next(sp.Symbol(x, integer=True, nonnegative=True)
                   for x in ("w", "w2", "w3", "w4", "w5", "w6") if x not in taken)

        def as_column(e: sp.Indexed) -> sp.Expr:
            idx = [var if x == n.o else x for x in e.indices]
            return sp.Sum(e.base[tuple(idx)] * y[var], (var, 0, n.V - 1))
        def runs_along(e: sp.Basic, along: set[sp.Symbol]) -> bool:
            return (isinstance(e, sp.Indexed) and e.base in matrices and n.o in e.indices
                    and e.base.shape[e.indices.index(n.o)] == n.V and bool(set(e.indices) & along))

        expr = expr.replace(lambda e: runs_along(e, set(free)), as_column)
        # and where the other index is summed in a product that reaches a free index, as s in
        # Σ_s W_2[o, s] W_1[s, j] = (W_1ᵀ W_2ᵀ y)_j
        return expr.replace(
            lambda e: isinstance(e, sp.Sum) and bool(e.function.free_symbols & set(free))
            and any(runs_along(f, set(e.variables)) for f in sp.Mul.make_args(e.function)),
            lambda e: sp.Sum(sp.Mul(*(as_column(f) if runs_along(f, set(e.variables)) else f
                                      for f in sp.Mul.make_args(e.function))), *e.limits))
    return rule


def _collect(expr: sp.Expr) -> sp.Expr:
    """Like terms collected: sums over one range merged, common factors taken out."""
    def by_entries(e: sp.Expr) -> sp.Expr:
        entries = sorted(e.atoms(sp.Indexed), key=sp.default_sort_key)
        return sp.collect(e, entries) if entries else e
    merged = sp.factor_terms(algebra.merge_sums(algebra.canonical_indices(expr)))
    merged = merged.replace(lambda e: isinstance(e, sp.Sum),
                            lambda e: sp.Sum(by_entries(e.function), *e.limits))
    return by_entries(merged)
