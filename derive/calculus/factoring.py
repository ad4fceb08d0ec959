"""Common factors taken out of a gradient's entry, as a reader factors σ(z)(1 − σ(z)) and
(ŷ − y) back out of a two-layer network's gradient once the chain rule has multiplied them out.

The engine's steps expand every product (the deltas contract only in a sum of products), so a
gradient through σ or tanh ends as many terms of one shape; `factored` writes the sums over one
range as one sum (a sum over two indices as a sum in a sum, the index that meets the free
indices outside), factors each summand and the whole with SymPy, and turns each difference the
way a reader writes it: a number first (1 − σ(z), not σ(z) − 1) and the softmax first (ŷ − y,
not y − ŷ), an odd number of turns giving one minus sign outside. The engine tries it only on a
matrix form of several terms, keeps it only where it reads better (general._reads_better: fewer
terms, no input named more often, no new minus sign in front) and checks it as any other step.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from . import algebra


def factored(expr: sp.Expr, free: tuple[sp.Symbol, ...], first: sp.IndexedBase | None
             ) -> sp.Expr:
    """expr with its common factors taken out; `first` is the softmax ŷ, written first in a
    difference (ŷ − y)."""
    nested = _outside_functions(expr, sp.Sum,
                                lambda s: _nested(s, free) if len(s.limits) > 1 else s)
    merged = _merged(nested, free)
    inner = _outside_functions(merged, sp.Sum, lambda s: sp.Sum(
        _turned(_factor(_merged(s.function)), first), *s.limits))
    return _turned(_factor(inner), first)


def _factor(expr: sp.Expr) -> sp.Expr:
    """SymPy's factor, each difference of sums it leaves one sum (Σ_w M ŷ − Σ_w M y is
    Σ_w M (ŷ − y)), and each pair of factors whose product has two terms multiplied back
    ((1 − t)(1 + t) is 1 − t², as the derivative of tanh writes it)."""
    out = _outside_functions(sp.factor(expr), sp.Add,
                             lambda e: _factor_sum(_merged(e)) if e.has(sp.Sum) else e)
    return _outside_functions(out, sp.Mul, _squares_back)


def _factor_sum(expr: sp.Expr) -> sp.Expr:
    if isinstance(expr, sp.Sum):
        return sp.Sum(sp.factor(expr.function), *expr.limits)
    return expr


def _squares_back(m: sp.Mul) -> sp.Expr:
    factors = list(m.args)
    for i, f in enumerate(factors):
        for j in range(i + 1, len(factors)):
            g = factors[j]
            if isinstance(f, sp.Add) and isinstance(g, sp.Add):
                product = sp.expand(f * g)
                if len(sp.Add.make_args(product)) <= 2:
                    rest = [x for k, x in enumerate(factors) if k not in (i, j)]
                    return _squares_back(sp.Mul(product, *rest)) if rest else product
    return m


def _merged(expr: sp.Expr, free: tuple[sp.Symbol, ...] = ()) -> sp.Expr:
    """Σ_w a_w + c Σ_w′ b_w′ = Σ_w (a_w + c b_w), c any factor free of the sum's index, a
    function of another sum included (tanh(c_j + Σ_s W[j, s] x[s])²): algebra.merge_sums,
    with each term's one sum over the range found among its factors."""
    if not isinstance(expr, sp.Add):
        return expr
    placed, rest = [], []
    for term in expr.args:
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum) and len(f.limits) == 1]
        if len(sums) > 1:  # aᵀσ(Wx) Σ_s W[s, j] …: the sum that holds a free index
            sums = [f for f in sums if f.free_symbols & set(free)]
        if len(sums) != 1:
            rest.append(term)
            continue
        (s,) = sums
        c = sp.Mul(*(f for f in sp.Mul.make_args(term) if f is not s))
        placed.append(sp.Sum(c * s.function, *s.limits) if s.variables[0] not in c.free_symbols
                      else term)
    return algebra.merge_sums(sp.Add(*placed, *rest))


def _nested(s: sp.Sum, free: tuple[sp.Symbol, ...]) -> sp.Expr:
    """Σ_{s, w} f as Σ_s (Σ_w f), s the index that stands beside a free index in an entry
    (W_1[s, j]): the factors free of w then leave the inner sum."""
    variables = [lim[0] for lim in s.limits]
    touching = [v for v in variables if any(
        v in e.indices and set(e.indices) & set(free) for e in s.function.atoms(sp.Indexed))]
    outer = touching[0] if touching else variables[-1]
    limits = {lim[0]: lim for lim in s.limits}
    inner = sp.Sum(s.function, *(limits[v] for v in variables if v != outer))
    c, rest = inner.function.as_independent(*inner.variables, as_Add=False)
    return sp.Sum(c * sp.Sum(rest, *inner.limits), limits[outer])


def _turned(expr: sp.Expr, first: sp.IndexedBase | None) -> sp.Expr:
    """Each difference in a product turned as a reader writes it, the sign kept: then each
    sign a summand is left with taken out of its sum, and a product's minus sign taken into a
    difference that is free to turn (−(t − aᵀσ) is aᵀσ − t)."""
    def turn(m: sp.Mul) -> sp.Expr:
        factors, sign = [], sp.S.One
        for f in m.args:
            if isinstance(f, sp.Add) and _backwards(f, first):
                f, sign = -f, -sign
            factors.append(f)
        return sign * sp.Mul(*factors)

    def sign_out(s: sp.Sum) -> sp.Expr:
        c, rest = s.function.as_coeff_Mul()
        return c * sp.Sum(rest, *s.limits) if c != 1 else s

    def absorb(m: sp.Mul) -> sp.Expr:
        c, rest = m.as_coeff_Mul()
        if not c.is_negative:
            return m
        factors = list(sp.Mul.make_args(rest))
        k = next((k for k, f in enumerate(factors) if isinstance(f, sp.Add)
                  and _minus_signs(-f) <= _minus_signs(f) and not _backwards(-f, first)), None)
        if k is None:
            return m
        factors[k] = -factors[k]
        return -c * sp.Mul(*factors)
    out = _outside_functions(expr, sp.Mul, turn)
    out = _outside_functions(out, sp.Sum, sign_out)
    return _outside_functions(out, sp.Mul, absorb)


def _outside_functions(expr: sp.Expr, kind: type, rule: Callable[[Any], sp.Expr]) -> sp.Expr:
    """expr with `rule` applied to each node of `kind`, bottom up, but not inside the argument
    of a function (σ, tanh, the step function): an argument is written as the loss wrote it."""
    if isinstance(expr, sp.Function) or not expr.args or isinstance(expr, sp.Indexed):
        return expr
    rebuilt = expr.func(*(_outside_functions(a, kind, rule) for a in expr.args))
    return rule(rebuilt) if isinstance(rebuilt, kind) else rebuilt


def _minus_signs(f: sp.Expr) -> int:
    return sum(t.could_extract_minus_sign() for t in sp.Add.make_args(f))


def _backwards(f: sp.Add, first: sp.IndexedBase | None) -> bool:
    """σ(z) − 1 (a negative number with a positive term), or y − ŷ (ŷ negative, the rest
    positive): the difference the other way round reads better."""
    terms = f.args
    numbers = [t for t in terms if t.is_Number]
    others = [t for t in terms if not t.is_Number]
    if len(numbers) == 1 and numbers[0] < 0 and all(not t.could_extract_minus_sign()
                                                    for t in others):
        return True
    if first is None or numbers:
        return False
    with_first = [t for t in terms if t.has(first)]
    return bool(with_first) and all(t.could_extract_minus_sign() for t in with_first) and all(
        not t.could_extract_minus_sign() for t in terms if not t.has(first))
