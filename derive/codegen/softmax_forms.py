"""The forms the softmax kernel printer recognises in a derivation: ŷ − y, U(ŷ − y), a(ŷ − y)ᵀ,
‖x‖², u_xᵀv_c. Each is a predicate on SymPy expressions, whatever order SymPy keeps terms in."""
from __future__ import annotations

import sympy as sp

from .. import notation as n


def split(m: sp.MatMul) -> tuple[sp.Expr, list[sp.MatrixExpr]]:
    """(the scalar coefficient, the matrix factors in order) of a matrix product."""
    coeff = sp.Mul(*[a for a in m.args if not getattr(a, "is_Matrix", False)])
    return coeff, [a for a in m.args if getattr(a, "is_Matrix", False)]



_DELTA_TERMS = frozenset({n.y_hat.matrix, -n.y.matrix})


def is_delta(e: sp.Basic) -> bool:
    """Whether e is ŷ − y, in whatever order SymPy keeps its terms."""
    return isinstance(e, sp.MatAdd) and set(e.args) == _DELTA_TERMS


def is_product_with_delta(e: sp.Basic) -> bool:
    """Whether e is c·U(ŷ − y) — U, then ŷ − y, as its only matrix factors — which the kernels
    evaluate as c·(Uŷ − u_o): Uy = u_o for the one-hot y of the outside word o."""
    if not isinstance(e, sp.MatMul):
        return False
    mats = split(e)[1]
    return len(mats) == 2 and mats[0] == n.U.matrix and is_delta(mats[1])


def outer_with_delta(e: sp.Basic) -> sp.MatrixExpr | None:
    """a, when e is a(ŷ − y)ᵀ for a per-sample vector a free of ŷ: the U gradient of a softmax
    of the logits u_wᵀ(·), written in blocks for one word."""
    if not isinstance(e, sp.MatMul):
        return None
    coeff, mats = split(e)
    if coeff != 1 or len(mats) != 2 or not isinstance(mats[1], sp.Transpose):
        return None
    if not is_delta(mats[1].arg) or mats[0].has(n.y_hat.matrix):
        return None
    return mats[0]


def yhat_only_in_products(e: sp.Basic) -> bool:
    """Whether ŷ appears in e only inside c·U(ŷ − y), which the kernels print as c·(Uŷ − u_o)."""
    return not e.replace(is_product_with_delta,
                         lambda x: sp.ZeroMatrix(*x.shape)).has(n.y_hat.matrix)


def is_norm_sq(e: sp.Basic, base: sp.IndexedBase) -> bool:
    """Whether e is a sum of the squared entries of `base` over its whole shape: ‖base‖² (the
    Frobenius norm for a matrix), each index of base[…]² summed once over 0 … size − 1."""
    if not isinstance(e, sp.Sum) or not isinstance(e.function, sp.Pow) or e.function.exp != 2:
        return False
    entry = e.function.base
    if not isinstance(entry, sp.Indexed) or entry.base != base:
        return False
    return over_axes(e, entry.indices, base.shape)


def is_column_dot(e: sp.Basic, column: sp.Expr) -> bool:
    """Whether e is u_xᵀv_c = Σ_i U[i, x] v_c[i] for x = `column`, i over all d rows of U."""
    if not isinstance(e, sp.Sum) or len(e.limits) != 1:
        return False
    i = e.variables[0]
    return (i != column and e.function == n.U.indexed[i, column] * n.v_c.indexed[i]
            and over_axes(e, (i,), n.U.indexed.shape[:1]))


def over_axes(s: sp.Sum, indices: tuple[sp.Expr, ...], shape: tuple[sp.Expr, ...]) -> bool:
    """Whether the sum s runs exactly the distinct variables `indices`, each over the whole axis
    of `shape` it indexes: (indices[a], 0, shape[a] − 1) for every axis a, in any order."""
    limits = {var: (lower, upper) for var, lower, upper in s.limits}
    return (len(indices) == len(shape) == len(s.limits) == len(limits)
            and set(indices) == set(limits)
            and all(limits[var] == (0, size - 1) for var, size in zip(indices, shape, strict=True)))
