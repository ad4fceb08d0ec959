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


def merge_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_w a_w + Σ_w′ b_w′ = Σ_w (a_w + b_w) for sums over one range, each renamed to an index
    that occurs in none of them (so a nested sum keeps its own index)."""
    groups: dict[tuple, list[tuple[sp.Expr, sp.Sum]]] = {}
    rest = []
    for term in sp.Add.make_args(expr):
        coeff, s = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(s, sp.Sum) and len(s.limits) == 1:
            groups.setdefault(s.limits[0][1:], []).append((coeff, s))
        else:
            rest.append(term)
    if not any(len(g) > 1 for g in groups.values()):
        return expr
    merged = []
    for (lo, hi), group in groups.items():
        if len(group) == 1:
            merged.append(group[0][0] * group[0][1])
            continue
        used = set().union(*(s.function.atoms(sp.Symbol) for _, s in group))
        var = next((s.variables[0] for _, s in group
                    if all(s.variables[0] not in t.function.atoms(sp.Symbol) - {t.variables[0]}
                           for _, t in group)), None)
        if var is None:
            var = next(sp.Symbol(f"w{k}", integer=True, nonnegative=True) for k in range(3, 99)
                       if sp.Symbol(f"w{k}", integer=True, nonnegative=True) not in used)
        body = sp.Add(*(c * s.function.xreplace({s.variables[0]: var}) for c, s in group))
        merged.append(sp.Sum(sp.factor_terms(body), (var, lo, hi)))
    return sp.Add(*rest, *merged)


def contract_deltas(expr: sp.Expr) -> sp.Expr:
    """Σ_s δ(s, t) f(s) = f(t), over any of a sum's indices (every index is declared in range,
    so no boundary case remains)."""
    def contract(s: sp.Sum) -> sp.Expr:
        body = sp.expand(s.function, deep=False, mul=True, multinomial=False, power_exp=False,
                         power_base=False, log=False)
        out = []
        for term in sp.Add.make_args(body):
            term, limits = _absorb(term, list(s.limits))
            for lim in list(limits):
                var = lim[0]
                delta = next((f for f in sp.Mul.make_args(term)
                              if isinstance(f, sp.KroneckerDelta) and var in f.args
                              and not all(a in {lm[0] for lm in limits} - {var} for a in f.args
                                          if a != var)), None)
                if delta is None:
                    delta = next((f for f in sp.Mul.make_args(term)
                                  if isinstance(f, sp.KroneckerDelta) and var in f.args
                                  and f.args[0] != f.args[1]), None)
                if delta is None:
                    continue
                target = delta.args[1] if delta.args[0] == var else delta.args[0]
                term = (term / delta).xreplace({var: target})
                limits.remove(lim)
            out.append(sp.Sum(term, *limits) if limits else term)
        return sp.Add(*out)

    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(
            lambda e: isinstance(e, sp.Sum) and any(
                isinstance(f, sp.KroneckerDelta) and set(f.args) & set(e.variables)
                for f in e.function.atoms(sp.KroneckerDelta)), contract)
    return expr


def _absorb(term: sp.Expr, limits: list) -> tuple[sp.Expr, list]:
    """c · Σ_s g = Σ_s c g, for a sum among term's factors whose index c does not use: so a δ in
    g is contracted against the outer sums too."""
    while True:
        factors = sp.Mul.make_args(term)
        inner = next((f for f in factors if isinstance(f, sp.Sum) and f.has(sp.KroneckerDelta)
                      and not any(v in (term / f).free_symbols for v in f.variables)
                      and not set(f.variables) & {lim[0] for lim in limits}), None)
        if inner is None:
            return term, limits
        term = (term / inner) * inner.function
        limits = [*inner.limits, *limits]


def canonical_indices(expr: sp.Expr) -> sp.Expr:
    """Each summed index renamed to the first of its size's usual names that the sum does not
    otherwise use, so that Σ_i f(i) and Σ_i′ f(i′) are seen to be one term."""
    names = ("i", "i2", "i3", "w", "w2", "w3", "k2", "s", "s2")

    def rename(sm: sp.Sum) -> sp.Expr:
        body = sm.function
        limits: list[tuple[sp.Expr, sp.Expr, sp.Expr]] = []
        for var, lo, hi in sm.limits:
            used = {str(x) for x in body.atoms(sp.Symbol)} | {str(lim[0]) for lim in limits}
            prefer = "w" if hi == sp.Symbol("V", integer=True, positive=True) - 1 else (
                "i" if hi == sp.Symbol("d", integer=True, positive=True) - 1 else "s")
            order = [x for x in names if x.startswith(prefer)] + list(names)
            name = next((x for x in order if x == str(var) or x not in used), str(var))
            new = sp.Symbol(name, integer=True, nonnegative=True)
            if new != var:
                body = body.xreplace({var: new})
            limits.append((new, lo, hi))
        return sp.Sum(body, *limits)
    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


def separate_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_w Σ_w′ f(w) g(w′) = (Σ_w f(w)) (Σ_w′ g(w′)): a sum over several indices whose body
    splits into factors of one index each."""
    def separate(sm: sp.Sum) -> sp.Expr:
        for var, lo, hi in sm.limits:
            others = {lim[0] for lim in sm.limits} - {var}
            factors = sp.Mul.make_args(sm.function)
            alone = [f for f in factors if var in f.free_symbols and not f.free_symbols & others]
            rest = [f for f in factors if f not in alone]
            if alone and not any(var in f.free_symbols for f in rest):
                remaining = [lim for lim in sm.limits if lim[0] != var]
                return sp.Sum(sp.Mul(*alone), (var, lo, hi)) * sp.Sum(sp.Mul(*rest), *remaining)
        return sm
    return expr.replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) > 1, separate)


def sigmoid_of_negative(expr: sp.Expr) -> sp.Expr:
    """σ(−x) = 1 − σ(x), multiplied out: so 1 − σ(−x) reads σ(x), as a handout writes it."""
    from .functions import sigmoid

    out = expr.replace(lambda e: isinstance(e, sigmoid) and e.args[0].could_extract_minus_sign(),
                       lambda e: 1 - sigmoid(-e.args[0]))
    return sp.expand(out, power_exp=False, power_base=False, log=False) if out != expr else expr


def step_of_max(expr: sp.Expr) -> sp.Expr:
    """step(z) max(z, 0)^k = max(z, 0)^k for k > 0: where the step is 0 the max is too (the
    derivative of a squared hinge, 2 max(z, 0) step(z), is 2 max(z, 0))."""
    def hinge(f: sp.Basic) -> sp.Expr | None:
        base = f.base if isinstance(f, sp.Pow) and f.exp.is_positive else f
        if isinstance(base, sp.Max) and len(base.args) == 2 and sp.S.Zero in base.args:
            return next(a for a in base.args if a != 0)
        return None

    def drop_steps(m: sp.Mul) -> sp.Expr:
        hinged = {z for f in m.args if (z := hinge(f)) is not None}
        return sp.Mul(*(f for f in m.args
                        if not (isinstance(f, sp.Heaviside) and f.args[0] in hinged)))
    return expr.replace(lambda e: isinstance(e, sp.Mul) and e.has(sp.Heaviside), drop_steps)
