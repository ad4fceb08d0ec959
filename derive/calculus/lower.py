"""Losses written in matrix notation, lowered to the entry (index) form the engine differentiates.

    J = -log(entry(softmax-logits, o)) + λ/2 · scalar(v_cᵀ v_c)

`entry(M, x)` is entry x of a vector expression (or (x, y) of a matrix one), `scalar(M)` the one
entry of a 1×1 product; every matrix entry becomes an entry of its declared object, and SymPy's
summation dummies are named as a reader names them (i over d, w′ over V, …), never clashing with
an index already in use.
"""
from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import notation as n
from .functions import Sigmoid, sigmoid
from .matrices import Entrywise
from .records import Softmax

# Preferred names of a summed index, by the size it runs over.
SUM_NAMES: dict[sp.Expr, tuple[sp.Symbol, ...]] = {
    n.d: (n.i, sp.Symbol("i2", integer=True, nonnegative=True)),
    n.V: (n.w2, n.w, n.k),
    n.K: (n.k2, n.kk),
}
SPARE = tuple(sp.Symbol(x, integer=True, nonnegative=True) for x in ("s", "t", "u", "a", "c"))


def entry(expr: sp.MatrixExpr, *index: sp.Expr) -> sp.Expr:
    """Entry `index` of a matrix expression (one index for a vector), in index form."""
    at = (*index, 0) if len(index) == 1 else index
    return indexed(expr[at])


def scalar(expr: sp.MatrixExpr) -> sp.Expr:
    """The value of a 1×1 matrix expression such as xᵀy, in index form."""
    return indexed(expr[0, 0])


def apply(function: Callable[[sp.Expr], sp.Expr], arg: sp.MatrixExpr) -> sp.MatrixExpr:
    """function applied to every entry of arg: exp, log, σ, …"""
    if function is sigmoid:
        return Sigmoid(arg)
    t = sp.Dummy("t")
    return Entrywise.of(function(t), t, arg)


def softmax(logits: sp.MatrixExpr) -> Softmax:
    """ŷ = softmax(logits), for a V-vector of logits."""
    return Softmax(lambda x: entry(logits, x))


def indexed(expr: sp.Expr) -> sp.Expr:
    """Matrix elements as entries of their objects; dummies named as a reader names them."""
    def element(e: MatrixElement) -> sp.Expr:
        # The object is known from the matrix symbol alone (name and shape), as declare made
        # it: never from whatever a later declaration of the same name holds.
        rows, cols = e.parent.shape
        handout = next((o for o in n.OBJECTS if o.matrix == e.parent), None)
        base = handout.indexed if handout is not None else sp.IndexedBase(
            e.parent.name, shape=(rows,) if cols == 1 else (rows, cols), real=True)
        a, b = e.indices
        return base[a] if cols == 1 else base[a, b]
    expr = expr.replace(lambda e: isinstance(e, MatrixElement), element)
    return _rename(expr)


def _rename(expr: sp.Expr) -> sp.Expr:
    """Each sum's Dummy index named by its size's preferred names (then spare letters), never a
    name the expression already uses: by name, not by symbol, since a constant t or a vector a
    is a symbol of other assumptions with the same name, and Σ_t … t … would capture it."""
    taken = {str(s) for s in expr.atoms(sp.Symbol) if not isinstance(s, sp.Dummy)}
    taken |= {b.name for b in expr.atoms(sp.IndexedBase)}
    renames: dict[sp.Dummy, sp.Symbol] = {}
    for s in sorted(expr.atoms(sp.Sum), key=sp.default_sort_key):
        for var, _lo, hi in s.limits:
            if not isinstance(var, sp.Dummy) or var in renames:
                continue
            options = (*SUM_NAMES.get(hi + 1, ()), *SPARE)
            name = next((x for x in options if str(x) not in taken), None)
            if name is None:
                name = next(sp.Symbol(f"{x}{k}", integer=True, nonnegative=True)
                            for k in range(2, 99) for x in ("s", "i")
                            if f"{x}{k}" not in taken)
            taken.add(str(name))
            renames[var] = name
    return expr.xreplace(renames)
