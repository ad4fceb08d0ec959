"""The facts of calculus and algebra the derivation uses, one small rewrite per rule.

Each rule maps an elementwise expression to an equal one; the engine applies them in order and
records a step whenever a rule changed something. The rule names are what a handout prints as the
justification of a step.
"""
from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from .. import notation as n
from .functions import sigmoid

Rule = Callable[[sp.Expr], sp.Expr]
INDEX_SYMBOLS = (n.w, n.w2, n.k, n.o, n.i, n.j, n.kk, n.k2)


def contract_deltas(expr: sp.Expr) -> sp.Expr:
    """Σ_i δ(i, t) f(i) = f(t): every index is declared in range, so no boundary case remains."""
    def contract(s: sp.Sum) -> sp.Expr:
        (var, _lo, _hi), *rest = s.limits
        terms = sp.Add.make_args(sp.expand(s.function, deep=False, mul=True, multinomial=False,
                                           power_exp=False, power_base=False, log=False))
        out = []
        for term in terms:
            # δ(var, t) only: δ(k, s[var]) picks no single var (samples may repeat).
            delta = next((f for f in sp.Mul.make_args(term)
                          if isinstance(f, sp.KroneckerDelta) and var in f.args), None)
            if delta is None:
                out.append(sp.Sum(term, s.limits[0]))
                continue
            target = delta.args[1] if delta.args[0] == var else delta.args[0]
            out.append((term / delta).xreplace({var: target}))
        inner = sp.Add(*out)
        return sp.Sum(inner, *rest) if rest else inner

    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(
            lambda e: isinstance(e, sp.Sum) and e.function.has(sp.KroneckerDelta), contract)
    return expr


def log_of_quotient(expr: sp.Expr) -> sp.Expr:
    """log(a/b) = log a − log b."""
    def split(e: sp.log) -> sp.Expr:
        num, den = sp.fraction(e.args[0])
        return sp.log(num) - sp.log(den)
    return expr.replace(lambda e: isinstance(e, sp.log) and sp.fraction(e.args[0])[1] != 1, split)


def log_of_exp(expr: sp.Expr) -> sp.Expr:
    """log(exp(x)) = x."""
    return expr.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.exp),
                        lambda e: e.args[0].args[0])


def linearity(wrt: sp.Indexed) -> Rule:
    """∂(Σ terms) = Σ ∂terms; terms with no exp or log are differentiated at once."""
    def rule(expr: sp.Expr) -> sp.Expr:
        if not isinstance(expr, sp.Derivative):
            return expr
        out = []
        for term in sp.Add.make_args(expr.expr):
            if not term.has(wrt.base):
                continue  # a constant: its derivative is 0
            if term.has(sp.exp, sp.log):
                coeff, rest = term.as_independent(wrt.base, as_Add=False)
                if isinstance(rest, sp.Sum):  # ∂ Σ_k c_k f_k = Σ_k c_k ∂f_k
                    c, f = rest.function.as_independent(wrt.base, as_Add=False)
                    out.append(coeff * sp.Sum(c * sp.Derivative(f, wrt, evaluate=False),
                                              *rest.limits))
                    continue
                out.append(coeff * sp.Derivative(rest, wrt, evaluate=False))
            else:
                out.append(contract_deltas(sp.diff(term, wrt)))
        return sp.Add(*out)
    return rule


def chain_rule(expr: sp.Expr) -> sp.Expr:
    """∂ f(g) = f′(g) ∂g for the outer function of each unevaluated derivative."""
    def apply(der: sp.Derivative) -> sp.Expr:
        outer, wrt = der.expr, der.variables[0]
        inner = outer.args[0]
        g = sp.Dummy("g")
        return outer.func(g).diff(g).subs(g, inner) * sp.Derivative(inner, wrt, evaluate=False)
    return expr.replace(
        lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.log), apply)


def derivative_of_sigmoid(expr: sp.Expr) -> sp.Expr:
    """∂ σ(a) = σ(a)(1 − σ(a)) ∂a, the derivative of the argument evaluated and contracted (a
    factor 1/σ(a) from the chain rule cancels at once)."""
    def apply(der: sp.Derivative) -> sp.Expr:
        s = der.expr
        return s * (1 - s) * contract_deltas(sp.diff(s.args[0], der.variables[0]))
    out = expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sigmoid),
                       apply)
    return contract_deltas(out) if out != expr else expr


def one_minus_sigmoid(expr: sp.Expr) -> sp.Expr:
    """1 − σ(x) = σ(−x), so the result reads in σ alone, as the handout writes it."""
    def is_complement(e: sp.Expr) -> bool:
        if not isinstance(e, sp.Add) or len(e.args) != 2:
            return False
        const, s = sorted(e.args, key=lambda a: not a.is_Number)
        return const in (1, -1) and isinstance(-const * s, sigmoid)

    def complement(e: sp.Add) -> sp.Expr:
        const, s = sorted(e.args, key=lambda a: not a.is_Number)
        return const * sigmoid(-(-const * s).args[0])
    if not expr.has(sigmoid):
        return expr
    paired = expr.replace(lambda e: isinstance(e, sp.Add), _pair_complements)
    return paired.replace(is_complement, complement)


def _pair_complements(add: sp.Add) -> sp.Expr:
    """x − σ(a) x, as contracting the deltas leaves it, is (1 − σ(a)) x = σ(−a) x: each term
    b·σ(a) paired with a term −b."""
    terms = list(add.args)
    paired: dict[int, sp.Expr] = {}  # term index → what replaces it (0 for the partner)
    for idx, t in enumerate(terms):
        s = next((f for f in sp.Mul.make_args(t) if isinstance(f, sigmoid)), None)
        if s is None or idx in paired:
            continue
        b = t / s
        match = next((m for m, u in enumerate(terms)
                      if m != idx and m not in paired and sp.expand(u + b) == 0), None)
        if match is not None:
            paired[idx], paired[match] = -b * sigmoid(-s.args[0]), sp.S.Zero
    if not paired:
        return add
    return sp.Add(*(paired.get(idx, t) for idx, t in enumerate(terms)))


def derivative_of_exp(expr: sp.Expr) -> sp.Expr:
    """∂ Σ exp(a) = Σ exp(a) ∂a: what remains of each derivative is evaluated and contracted."""
    return expr.replace(lambda e: isinstance(e, sp.Derivative),
                        lambda e: contract_deltas(e.doit()))


def rearrange(expr: sp.Expr) -> sp.Expr:
    """c · Σ f = Σ c f, for factors c that do not depend on the summation index."""
    def push(m: sp.Mul) -> sp.Expr:
        sums = [f for f in m.args if isinstance(f, sp.Sum)]
        if len(sums) != 1:
            return m
        (s,) = sums
        coeff = m / s
        if any(var in coeff.free_symbols for var in s.variables):
            return m
        if coeff.is_Number and _is_dot(s):
            return m  # −uᵀv stays as written, not Σ_i (−u_i v_i)
        return sp.Sum(coeff * s.function, *s.limits)
    return sp.expand(expr, deep=False).replace(lambda e: isinstance(e, sp.Mul), push)


def _is_dot(s: sp.Sum) -> bool:
    factors = sp.Mul.make_args(s.function)
    return len(factors) == 2 and all(isinstance(f, sp.Indexed) for f in factors)


def softmax_definition(yhat: sp.IndexedBase) -> Rule:
    """exp(a_x) / Σ_w′ exp(a_w′) = ŷ_x: the softmax is recognised wherever it stands."""
    def rule(expr: sp.Expr) -> sp.Expr:
        for z in expr.atoms(sp.Sum):
            if not isinstance(z.function, sp.exp):
                continue
            var, arg = z.variables[0], z.function.args[0]

            def is_entry(m: sp.Expr, z: sp.Sum = z, var: sp.Symbol = var,
                         arg: sp.Expr = arg) -> bool:
                return (isinstance(m, sp.Mul) and sp.Pow(z, -1) in m.args
                        and _entry(m, var, arg) is not None)

            def to_yhat(m: sp.Mul, z: sp.Sum = z, var: sp.Symbol = var,
                        arg: sp.Expr = arg) -> sp.Expr:
                x = _entry(m, var, arg)
                e = sp.exp(arg.xreplace({var: x}))
                return (m * z / e) * yhat[x]
            expr = expr.replace(is_entry, to_yhat)
        return expr
    return rule


def _entry(m: sp.Mul, var: sp.Symbol, arg: sp.Expr) -> sp.Symbol | None:
    """The index x for which an exp factor of m is exp(arg with var → x), if there is one."""
    for f in m.args:
        if isinstance(f, sp.exp):
            for x in f.free_symbols & set(INDEX_SYMBOLS) | {var}:
                if arg.xreplace({var: x}) == f.args[0]:
                    return x
    return None


def one_hot_entries(y: sp.IndexedBase) -> Rule:
    """y_x = δ(x, o): a sum weighted by the one-hot y keeps its term at o alone."""
    def rule(expr: sp.Expr) -> sp.Expr:
        if not expr.has(y):
            return expr
        return contract_deltas(expr.replace(
            lambda e: isinstance(e, sp.Indexed) and e.base == y,
            lambda e: sp.KroneckerDelta(e.indices[0], n.o)))
    return rule


def one_hot(y: sp.IndexedBase, matrices: tuple[sp.IndexedBase, ...]) -> Rule:
    """δ(x, o) = y_x, and the column u_o = Σ_w u_w y_w = U y; sums over one range are merged."""
    def rule(expr: sp.Expr) -> sp.Expr:
        expr = expr.replace(lambda e: isinstance(e, sp.KroneckerDelta) and n.o in e.args,
                            lambda e: y[e.args[0] if e.args[1] == n.o else e.args[1]])
        expr = expr.replace(
            lambda e: isinstance(e, sp.Indexed) and e.base in matrices and e.indices[-1] == n.o,
            lambda e: sp.Sum(e.base[(*e.indices[:-1], n.w)] * y[n.w], (n.w, 0, n.V - 1)))
        return merge_sums(expr)
    return rule


def merge_sums(expr: sp.Expr) -> sp.Expr:
    """Σ_w a_w + Σ_w′ b_w′ = Σ_w (a_w + b_w), with each common factor taken out of the sum."""
    groups: dict[tuple, list[sp.Expr]] = {}
    rest = []
    for term in sp.Add.make_args(expr):
        coeff, s = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(s, sp.Sum) and len(s.limits) == 1:
            var, lo, hi = s.limits[0]
            groups.setdefault((lo, hi), []).append(coeff * s.function.xreplace({var: n.w}))
        else:
            rest.append(term)
    if not any(len(g) > 1 for g in groups.values()):
        return expr
    merged = [sp.Sum(sp.factor_terms(sp.Add(*fs)), (n.w, lo, hi))
              for (lo, hi), fs in groups.items()]
    return sp.Add(*rest, *merged)
