"""Fold an elementwise result back into matrix form: the last step of every derivation.

An entry g[row] or g[row, col] becomes a matrix expression by three facts:
  x[row] is the vector x;  A[row, col] is the matrix A;
  Σ_s A[row, s] c(s) = (A c)[row];  Σ_s A[s, row] c(s) = (Aᵀ c)[row];
  f(row) g(col) = (f gᵀ)[row, col];  σ(a(row)) = σ(a)[row], σ entrywise;
  f(row) g(row) = (f ∘ g)[row], the entrywise (Hadamard) product.
"""
from __future__ import annotations

import sympy as sp

from ..errors import FoldError
from .functions import Sigmoid, sigmoid


def to_matrix(expr: sp.Expr, row: sp.Symbol, col: sp.Symbol | None = None) -> sp.MatrixExpr:
    """The matrix expression whose (row[, col]) entry is expr."""
    # Group a_j b_k − a_j c_k as a_j (b_k − c_k), so the outer product folds as a (b − c)ᵀ.
    rows = [a for a in expr.atoms(sp.Indexed) if a.free_symbols & {row, col} == {row}]
    expr = sp.collect(sp.factor_terms(expr), rows) if col is not None else sp.factor_terms(expr)
    terms = [_term(t, row, col) for t in sp.Add.make_args(expr)]
    return sp.MatAdd(*terms) if len(terms) > 1 else terms[0]


def matrix_of(base: sp.IndexedBase) -> sp.MatrixSymbol:
    """The MatrixSymbol face of an IndexedBase: vectors are columns (a scalar is itself)."""
    shape = base.shape
    if not shape:
        return base  # type: ignore[return-value]
    return sp.MatrixSymbol(base.name, shape[0], shape[1] if len(shape) > 1 else 1)


def entries_as_matrices(expr: sp.Basic) -> sp.Basic:
    """Each entry x[i] or A[i, j] as the entry of its MatrixSymbol face, so that a matrix form
    with scalar factors (σ(u_oᵀv_c) = σ(Σ_i U[i, o] v_c[i])) evaluates from the matrices alone."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed),
                        lambda e: matrix_of(e.base)[(*e.indices, 0)[:2]])


def _term(term: sp.Expr, row: sp.Symbol, col: sp.Symbol | None) -> sp.MatrixExpr:
    scalar, row_part, col_part, both = sp.S.One, [], [], []
    for f in sp.Mul.make_args(term):
        deps = f.free_symbols & {row, col}
        if not deps:
            scalar *= f
        elif deps == {row}:
            row_part.append(f)
        elif deps == {col}:
            col_part.append(f)
        else:
            both.append(f)
    if both:
        if row_part or col_part or len(both) > 1:
            raise FoldError(f"cannot fold {term} into a matrix form")
        (f,) = both
        if isinstance(f, sp.Indexed) and f.indices == (row, col):
            return scalar * matrix_of(f.base)
        raise FoldError(f"cannot fold {f} into a matrix form")
    if not row_part or (col is not None and not col_part):
        raise FoldError(f"cannot fold {term} into a matrix form")
    left = _vectors(row_part, row)
    if col is None:
        return _scaled(scalar, left)
    return _scaled(scalar, left, sp.Transpose(_vectors(col_part, col)))


def _vectors(factors: list[sp.Expr], index: sp.Symbol) -> sp.MatrixExpr:
    """The vector whose entry is the product of `factors`: f(x) g(x) = (f ∘ g)[x]."""
    vectors = [_vector(f, index) for f in factors]
    return vectors[0] if len(vectors) == 1 else sp.HadamardProduct(*vectors)


def _scaled(scalar: sp.Expr, *factors: sp.MatrixExpr) -> sp.MatrixExpr:
    # MatMul's `*` would evaluate (ŷ − y)ᵀ into ŷᵀ − yᵀ; keep the form a reader expects.
    if scalar == 1 and len(factors) == 1:
        return factors[0]
    return sp.MatMul(*([] if scalar == 1 else [scalar]), *factors)


def _vector(expr: sp.Expr, index: sp.Symbol) -> sp.MatrixExpr:
    if isinstance(expr, sp.Indexed) and expr.indices == (index,):
        return matrix_of(expr.base)
    if isinstance(expr, sigmoid):  # σ(a_x) over x is σ applied to the vector a
        return Sigmoid(to_matrix(expr.args[0], index))
    if isinstance(expr, sp.Sum) and len(expr.limits) == 1:
        var = expr.variables[0]
        factors = sp.Mul.make_args(expr.function)
        mats = [f for f in factors if isinstance(f, sp.Indexed) and f.indices == (index, var)]
        if len(mats) == 1:
            rest = expr.function / mats[0]
            return matrix_of(mats[0].base) * to_matrix(rest, var)
        # Σ_s A[s, row] c(s) = (Aᵀ c)[row]
        mats = [f for f in factors if isinstance(f, sp.Indexed) and f.indices == (var, index)]
        if len(mats) == 1:
            rest = expr.function / mats[0]
            return sp.Transpose(matrix_of(mats[0].base)) * to_matrix(rest, var)
    if isinstance(expr, sp.Add):
        return to_matrix(expr, index)
    raise FoldError(f"cannot fold {expr} into a vector")
