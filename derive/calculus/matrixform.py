"""Fold an entry of a gradient back into matrix form, by the index patterns of the table below
(free indices r, c; a summed index s):

    x[r]                      x                  A[r, c], A[c, r]      A, Aᵀ
    Σ_s A[r, s] g(s)          A g                Σ_s A[s, r] g(s)      Aᵀ g
    Σ_s A[r, s] B[s, c]       A B                Σ_s f(r, s)           F 𝟏
    f(r) g(r)                 f ∘ g              f(r) g(c)             f gᵀ
    a(r) M[r, c]              diag(a) M          δ(r, c)               I
    c, free of r              c 𝟏                φ(g(r))               φ(g), φ entrywise
    A[r, k], k an index       a_k, column k      δ(r, k)               e_k, one-hot
    A[r, w_s], w indices      (A[:, w])[r, s]    δ(r, w_s)             (I[:, w])[r, s]
    a scalar Σ_s a[s] g(s)    aᵀg                a scalar Σ_s g(s)     𝟏ᵀg

A term with no pattern has no matrix form: `fold` raises NoMatrixForm, and the engine gives the
entry form instead, saying so.
"""
from __future__ import annotations

import sympy as sp

from .. import notation as n
from .dots import dot_pair, norm_squared, vector_dot
from .fold import matrix_of
from .functions import Sigmoid, sigmoid
from .matrices import Column, Diag, Dot, Entrywise, OneHot, Ones


class NoMatrixForm(Exception):
    """No pattern of the table folds this expression."""


Sizes = dict[sp.Symbol, sp.Expr]


def fold(expr: sp.Expr, free: tuple[sp.Symbol, ...], sizes: Sizes) -> sp.MatrixExpr:
    """The matrix (or vector) whose entry at the free indices is expr."""
    terms = _like_terms([_term(t, free, sizes) for t in sp.Add.make_args(expr)])
    terms = [_columns(t) for t in terms]
    out = sp.MatAdd(*terms) if len(terms) > 1 else terms[0]
    dots = {s: d for s in _outer_sums(out) if (d := _dot(s, sizes)) != s}
    # only where a sum changes: a rebuilt 2*(wᵀx − t) would distribute into 2*wᵀx − 2*t
    return out.xreplace(dots) if dots else out


def _outer_sums(expr: sp.Basic) -> list[sp.Sum]:
    """The sums a matrix form still holds, each a scalar factor, outermost only (Σ_w step(1 +
    u_wᵀv_c − u_oᵀv_c), not the u_wᵀv_c inside it, which is in w)."""
    if isinstance(expr, sp.Sum):
        return [expr]
    return [s for a in expr.args for s in _outer_sums(a)]


def _dot(s: sp.Sum, sizes: Sizes) -> sp.Expr:
    """A scalar sum as a reader writes it: Σ_s a[s] g(s) = aᵀg, Σ_s g(s) = 𝟏ᵀg. A dot of two
    entries (u_oᵀv_c), a squared norm and any sum with no vector form stay as they are."""
    if len(s.limits) != 1 or dot_pair(s) or vector_dot(s) or norm_squared(s):
        return s
    var, lo, hi = s.limits[0]
    try:
        g = fold(s.function, (var,), {**sizes, var: hi + 1}) if lo == 0 else None
    except NoMatrixForm:
        return s
    if g is None:
        return s
    if isinstance(g, sp.HadamardProduct) and len(g.args) == 2:
        return Dot(*sorted(g.args, key=lambda a: not isinstance(a, sp.MatrixSymbol)))
    if isinstance(g, sp.MatMul) and not isinstance(g.args[0], sp.MatrixExpr):
        return g.args[0] * Dot(Ones(hi + 1), _scaled(sp.S.One, *g.args[1:]))
    return Dot(Ones(hi + 1), g)


def _columns(term: sp.MatrixExpr) -> sp.MatrixExpr:
    """A y = a_o, the column of A at the outside word, where the one-hot y ends a product of its
    own (in U(ŷ − y) it does not: y is part of a sum there). The engine writes a column at o as
    A y so that like terms such as Σ_w ŷ_w u_w − u_o collect into U(ŷ − y)."""
    y = n.y.matrix
    factors = list(term.args) if isinstance(term, sp.MatMul) else [term]
    if len(factors) >= 2 and factors[-1] == y and isinstance(factors[-2], sp.MatrixSymbol):
        return _scaled(sp.S.One, *factors[:-2], Column(factors[-2], n.o))
    return term


def _like_terms(terms: list[sp.MatrixExpr]) -> list[sp.MatrixExpr]:
    """c A + c′ A = (c + c′) A: matrix terms that differ only in their scalar collected."""
    coeffs: dict[sp.MatrixExpr, sp.Expr] = {}
    for t in terms:
        c, mat = sp.S.One, t
        if isinstance(t, sp.MatMul) and not isinstance(t.args[0], sp.MatrixExpr):
            c, mat = t.args[0], _scaled(sp.S.One, *t.args[1:])
        coeffs[mat] = coeffs.get(mat, sp.S.Zero) + c
    out = [_signed(c, mat) for c, mat in _common_scalars(coeffs)]
    # A reader's order: the terms with a positive sign first (ŷ − (1 − ε) y − (ε/V) 𝟏).
    return sorted(out, key=lambda t: isinstance(t, sp.MatMul) and _negative(t.args[0]))


def _common_scalars(coeffs: dict[sp.MatrixExpr, sp.Expr]) -> list[tuple[sp.Expr, sp.MatrixExpr]]:
    """c A − c B = c (A − B): terms whose scalars are one expression (not a number), up to sign,
    share it, as a reader factors (1 − ŷ_o)^γ out of (1 − ŷ_o)^γ ŷ − (1 − ŷ_o)^γ y."""
    groups: list[tuple[sp.Expr, list[sp.MatrixExpr]]] = []
    for mat, c in coeffs.items():
        c = sp.factor_terms(c)
        if c == 0:
            continue
        for shared, mats in groups:
            if shared.is_Number:
                continue
            if c == shared:
                mats.append(mat)
                break
            if sp.expand(c + shared) == 0:
                mats.append(_scaled(sp.S.NegativeOne, mat))
                break
        else:
            groups.append((c, [mat]))
    out = []
    for c, mats in groups:
        if len(mats) == 1:
            out.append((c, mats[0]))
            continue
        mats.sort(key=lambda t: isinstance(t, sp.MatMul) and _negative(t.args[0]))
        if all(isinstance(t, sp.MatMul) and _negative(t.args[0]) for t in mats):
            c, mats = -c, [_scaled(sp.S.NegativeOne, t) for t in mats]
        out.append((c, sp.MatAdd(*mats)))
    return out


def _negative(c: sp.Basic) -> bool:
    return not isinstance(c, sp.MatrixExpr) and bool(c.could_extract_minus_sign())


def _signed(c: sp.Expr, mat: sp.MatrixExpr) -> sp.MatrixExpr:
    """c M, written −(−c) M when −c reads with fewer minus signs: (ε − 1) y as −(1 − ε) y."""
    if isinstance(c, sp.Add):
        minus = sum(t.could_extract_minus_sign() for t in c.args)
        if 2 * minus > len(c.args) or (2 * minus == len(c.args) and c.args[0].is_Number
                                       and c.args[0] < 0):
            return _scaled(sp.S.NegativeOne, *_factors(_scaled(-c, mat)))
    return _scaled(c, mat)


def _factors(m: sp.MatrixExpr) -> tuple[sp.Basic, ...]:
    return m.args if isinstance(m, sp.MatMul) else (m,)


def _deps(f: sp.Expr, free: tuple[sp.Symbol, ...]) -> set[sp.Symbol]:
    return f.free_symbols & set(free)


def _scaled(scalar: sp.Expr, *factors: sp.MatrixExpr) -> sp.MatrixExpr:
    # MatMul's `*` would evaluate (ŷ − y)ᵀ into ŷᵀ − yᵀ; keep the form a reader expects.
    flat: list[sp.Basic] = []
    for f in factors:
        if isinstance(f, sp.MatMul):  # A (B c) = A B c
            inner, *rest = f.args
            if isinstance(inner, sp.MatrixExpr):
                flat.extend(f.args)
            else:
                scalar, flat = scalar * inner, [*flat, *rest]
        elif f is not None:
            flat.append(f)
    factors = tuple(flat)
    if scalar == 1 and len(factors) == 1:
        return factors[0]
    return sp.MatMul(*([] if scalar == 1 else [scalar]), *factors)


def _term(term: sp.Expr, free: tuple[sp.Symbol, ...], sizes: Sizes) -> sp.MatrixExpr:
    scalar, parts = term.as_independent(*free, as_Add=False)
    factors = [f for f in sp.Mul.make_args(parts) if f != 1]
    if len(free) == 1:
        (r,) = free
        if not factors:
            return _scaled(scalar, Ones(sizes[r]))
        return _scaled(scalar, _hadamard([_vector(f, r, sizes) for f in factors]))
    r, c = free
    rows = [f for f in factors if _deps(f, free) == {r}]
    cols = [f for f in factors if _deps(f, free) == {c}]
    both = [f for f in factors if _deps(f, free) == {r, c}]
    left = _hadamard([_vector(f, r, sizes) for f in rows]) if rows else None
    right = _hadamard([_vector(f, c, sizes) for f in cols]) if cols else None
    if not both:
        return _scaled(scalar, left if left is not None else Ones(sizes[r]),
                       sp.Transpose(right if right is not None else Ones(sizes[c])))
    middle = _hadamard([_matrix(f, r, c, sizes) for f in both])
    return _scaled(scalar, Diag(left) if left is not None else None, middle,
                   Diag(right) if right is not None else None)


def _hadamard(vectors: list[sp.MatrixExpr]) -> sp.MatrixExpr:
    return vectors[0] if len(vectors) == 1 else sp.HadamardProduct(*vectors)


def _bound_sizes(s: sp.Sum, sizes: Sizes) -> Sizes:
    out = dict(sizes)
    for var, lo, hi in s.limits:
        if lo != 0:
            raise NoMatrixForm(f"a sum from {lo}: no matrix form")
        out[var] = hi + 1
    return out


def _vector(f: sp.Expr, r: sp.Symbol, sizes: Sizes) -> sp.MatrixExpr:
    """The vector whose entry r is f."""
    if isinstance(f, sp.Indexed) and f.indices == (r,):
        return matrix_of(f.base)
    if isinstance(f, sp.Indexed) and len(f.indices) == 2 and f.indices[0] == r \
            and _index_of_loss(f.indices[1], r):
        return Column(matrix_of(f.base), f.indices[1])
    if isinstance(f, sp.KroneckerDelta) and r in f.args:
        (k,) = [x for x in f.args if x != r] or [r]
        if _index_of_loss(k, r):
            return OneHot(k, sizes[r])
    if isinstance(f, (sp.Add, sp.Mul)):
        return fold(f, (r,), sizes)
    if isinstance(f, sp.Pow) and not f.exp.has(r):
        return Entrywise.of(sp.Pow(_T, f.exp), _T, _vector(f.base, r, sizes))
    if isinstance(f, sigmoid):
        return Sigmoid(_vector(f.args[0], r, sizes))
    if isinstance(f, sp.Function) and (len(f.args) == 1 or isinstance(f, sp.Heaviside)):
        return Entrywise.of(f.func(_T, *f.args[1:]), _T, _vector(f.args[0], r, sizes))
    if isinstance(f, sp.Sum):
        return _sum_vector(f, r, sizes)
    raise NoMatrixForm(f"no pattern folds {f} into a vector over {r}")


_T = sp.Dummy("t")


def _index_of_loss(k: sp.Basic, r: sp.Symbol) -> bool:
    """k is an index the loss declares (o, or a sampled word k), not the free index r: a symbol
    that is neither free nor summed here, since a summed index is folded as a free one."""
    return isinstance(k, sp.Symbol) and k != r and bool(k.is_integer)


def _sum_vector(f: sp.Sum, r: sp.Symbol, sizes: Sizes) -> sp.MatrixExpr:
    """Σ_s g(r, s) = (G h)_r, G the factors in r and s, h those in s alone; the outer sum
    first when there are several."""
    inner = _bound_sizes(f, sizes)
    s = f.limits[-1][0]
    summand = _pulled(sp.Sum(f.function, *f.limits[:-1])) if len(f.limits) > 1 else f.function
    scalar, parts = summand.as_independent(r, s, as_Add=False)
    factors = sp.Mul.make_args(parts)
    with_r = [g for g in factors if r in g.free_symbols]
    with_s = [g for g in factors if r not in g.free_symbols]
    if not with_r:
        raise NoMatrixForm(f"{f} does not depend on {r}")
    if not any(s in g.free_symbols for g in with_r):
        raise NoMatrixForm(f"{f}: a factor free of the summed index")
    left = _term(sp.Mul(*with_r), (r, s), inner)
    right = fold(sp.Mul(*with_s), (s,), inner) if with_s else Ones(inner[s])
    lefts = left.args if isinstance(left, sp.MatMul) else (left,)
    return _scaled(scalar, *lefts, right)


def _pulled(s: sp.Sum) -> sp.Expr:
    """Σ_s c g(s) = c Σ_s g(s): the factors free of the summed indices taken out."""
    c, rest = s.function.as_independent(*s.variables, as_Add=False)
    return c * sp.Sum(rest, *s.limits)


def _matrix(f: sp.Expr, r: sp.Symbol, c: sp.Symbol, sizes: Sizes) -> sp.MatrixExpr:
    """The matrix whose entry (r, c) is f."""
    if isinstance(f, sp.Indexed) and len(f.indices) == 2:
        if f.indices == (r, c):
            return matrix_of(f.base)
        if f.indices == (c, r):
            return sp.Transpose(matrix_of(f.base))
    if isinstance(f, sp.KroneckerDelta) and set(f.args) == {r, c}:
        return sp.Identity(sizes[r])
    if isinstance(f, (sp.Add, sp.Mul)):
        return fold(f, (r, c), sizes)
    if isinstance(f, sp.Pow) and not f.exp.has(r, c):
        return Entrywise.of(sp.Pow(_T, f.exp), _T, _matrix(f.base, r, c, sizes))
    if isinstance(f, sp.Function) and (len(f.args) == 1 or isinstance(f, sp.Heaviside)):
        return Entrywise.of(f.func(_T, *f.args[1:]), _T, _matrix(f.args[0], r, c, sizes))
    if isinstance(f, sp.Sum):
        s = f.limits[-1][0]
        inner = _bound_sizes(f, sizes)
        summand = _pulled(sp.Sum(f.function, *f.limits[:-1])) if len(f.limits) > 1 \
            else f.function
        scalar, parts = summand.as_independent(r, c, s, as_Add=False)
        factors = sp.Mul.make_args(parts)
        lefts = [g for g in factors if r in g.free_symbols]
        rights = [g for g in factors if c in g.free_symbols]
        mids = [g for g in factors if g not in lefts and g not in rights]
        if set(lefts) & set(rights) or not lefts or not rights:
            raise NoMatrixForm(f"no pattern folds {f} into a matrix over ({r}, {c})")
        left = _term(sp.Mul(*lefts), (r, s), inner)
        right = _term(sp.Mul(*rights), (s, c), inner)
        mid = [Diag(fold(sp.Mul(*mids), (s,), inner))] if mids else []
        return _scaled(scalar, left, *mid, right)
    raise NoMatrixForm(f"no pattern folds {f} into a matrix over ({r}, {c})")
