"""Facts of algebra the general engine simplifies with, one rewrite each, named as a step prints
them: sums split over their terms, the sum of a constant, the softmax summing to one, and
exp(a) exp(−a) = 1.
"""
from __future__ import annotations

import sympy as sp


def split_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_s (a_s + b_s) = Σ_s a_s + Σ_s b_s, and Σ_s c f_s = c Σ_s f_s for c free of s."""
    def split(s: sp.Sum) -> sp.Expr:
        body = sp.expand(s.function, deep=False, power_exp=False, power_base=False, log=False)
        out = []
        for term in sp.Add.make_args(body):
            coeff, rest = term.as_independent(*s.variables, as_Add=False)
            out.append(coeff * sum_of_constant(sp.Sum(rest, *s.limits)))
        return sp.Add(*out)
    return expr.replace(lambda e: isinstance(e, sp.Sum), split)


def sum_of_constant(expr: sp.Expr) -> sp.Expr:
    """Σ_{s=lo}^{hi} c = (hi − lo + 1) c, for c free of s."""
    def count(s: sp.Sum) -> sp.Expr:
        keep = [lim for lim in s.limits if lim[0] in s.function.free_symbols]
        factor = sp.Mul(*(hi - lo + 1 for var, lo, hi in s.limits if (var, lo, hi) not in keep))
        return factor * (sp.Sum(s.function, *keep) if keep else s.function)
    return expr.replace(lambda e: isinstance(e, sp.Sum)
                        and any(v not in e.function.free_symbols for v in e.variables), count)


def sums_to_one(base: sp.IndexedBase) -> sp.Callable:  # type: ignore[name-defined]
    """Σ_w ŷ_w = 1: the entries of a softmax sum to one."""
    def rule(expr: sp.Expr) -> sp.Expr:
        return expr.replace(
            lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1
            and e.function == base[e.variables[0]], lambda e: sp.S.One)
    return rule


def cancel_exp(expr: sp.Expr) -> sp.Expr:
    """exp(a) exp(−a) = 1."""
    def cancel(m: sp.Mul) -> sp.Expr:
        exps = [f for f in m.args if isinstance(f, sp.exp)]
        drop = [f for f in exps if sp.exp(-f.args[0]) in exps]
        if not drop:
            return m
        return sp.Mul(*(f for f in m.args if f not in drop))
    return expr.replace(lambda m: isinstance(m, sp.Mul), cancel)
