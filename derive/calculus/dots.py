"""Sums a reader writes as products of vectors: Σ_i U[i, x] v[i] is u_xᵀv, Σ_i a[i] b[i] is aᵀb,
Σ_i a[i]² is ‖a‖², Σ_i Σ_j A[i, j]² is ‖A‖_F², and Σ_i W[x, i] h[i] is (Wh)_x. The printers
show them so, and the matrix-form fold leaves them as they are (they already read as a reader
writes them).
"""
from __future__ import annotations

import sympy as sp

from .. import notation as n


def _matrix_times_vector(s: sp.Sum) -> tuple[sp.Symbol, sp.Indexed, sp.Indexed] | None:
    """(i, A[…], b[i]) when s is Σ_i of an entry of a matrix with i among its indices times the
    entry i of a vector."""
    if len(s.limits) != 1:
        return None
    var = s.variables[0]
    factors = sp.Mul.make_args(s.function)
    if len(factors) != 2 or not all(isinstance(f, sp.Indexed) for f in factors):
        return None
    mat = next((f for f in factors if len(f.indices) == 2 and var in f.indices), None)
    vec = next((f for f in factors if f.indices == (var,)), None)
    return (var, mat, vec) if mat is not None and vec is not None else None


def dot_pair(s: sp.Sum) -> tuple[sp.Expr, sp.IndexedBase] | None:
    """(x, v) when s is Σ_i U[i, x] v[i]: the column u_x dotted with a vector."""
    found = _matrix_times_vector(s)
    if found is None:
        return None
    var, mat, vec = found
    if mat.indices[0] != var or mat.base not in n.COLUMN_TEXT:
        return None
    return mat.indices[1], vec.base


def product_entry(s: sp.Sum) -> tuple[n.Obj, n.Obj, sp.Expr, bool] | None:
    """(A, b, x, transposed) when s is Σ_i A[x, i] b[i], the entry x of A b (a row of W at the
    outside word, (Wh)_o), or Σ_i A[i, x] b[i] = (Aᵀb)_x for a matrix whose columns are not
    the handout's u_x; x an index of the loss, not the summed one."""
    found = _matrix_times_vector(s)
    if found is None or found[1].base in n.COLUMN_TEXT:
        return None
    var, mat, vec = found
    A, b = _object(mat.base), _object(vec.base)
    transposed = mat.indices[0] == var
    x = mat.indices[1] if transposed else mat.indices[0]
    if A is None or b is None or x.has(var):
        return None
    return A, b, x, transposed


def vector_dot(s: sp.Sum) -> tuple[n.Obj, n.Obj] | None:
    """(a, b) when s is Σ_i a[i] b[i] for two vectors of the notation: aᵀb, v_c last."""
    if len(s.limits) != 1:
        return None
    var = s.variables[0]
    factors = sp.Mul.make_args(s.function)
    if len(factors) != 2 or not all(isinstance(f, sp.Indexed) and f.indices == (var,)
                                    and _object(f.base) is not None for f in factors):
        return None
    objs = [o for o in (_object(f.base) for f in factors) if o is not None]
    a, b = sorted(objs, key=lambda o: o is n.v_c)
    return a, b


def norm_squared(s: sp.Basic) -> tuple[n.Obj, bool] | None:
    """(a, False) when s is Σ_i a[i]² for a vector of the notation, (A, True) when it is
    Σ_i Σ_j A[i, j]² for a matrix: ‖a‖² and ‖A‖_F², as a reader writes them."""
    if not isinstance(s, sp.Sum):
        return None
    f, limits = s.function, list(s.limits)
    if isinstance(f, sp.Sum) and len(s.limits) == 1:  # Σ_w (Σ_i A[i, w]²)
        f, limits = f.function, [*f.limits, *limits]
    if not (isinstance(f, sp.Pow) and f.exp == 2 and isinstance(f.base, sp.Indexed)):
        return None
    names = [lim[0] for lim in limits]
    if len(names) not in (1, 2) or sorted(f.base.indices, key=str) != sorted(names, key=str):
        return None
    obj = _object(f.base.base)
    return (obj, len(names) == 2) if obj is not None else None


def _object(base: sp.IndexedBase) -> n.Obj | None:
    """The handout's or a declared vector whose entries `base` holds."""
    if base in n.BY_INDEXED:
        return n.BY_INDEXED[base]
    declared = n.DECLARED.get(base.name)
    return declared if declared is not None and declared.indexed == base else None
