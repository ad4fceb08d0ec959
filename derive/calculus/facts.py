"""The facts of calculus, as a table: one line per function, what its derivative is and the name
a step prints as its justification (as autograd's numpy_vjps lists one VJP per primitive).

`differentiate` pushes every unevaluated ∂ one layer down the expression, by these facts and the
structural ones (linearity, the product rule, the power rule, the derivative of an entry), and
says which facts it used: one call is one step of a derivation.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..errors import DerivationError
from .functions import Heaviside, sigmoid


@dataclass(frozen=True)
class Fact:
    """d f(a) = f′(a) da for the function `head`."""

    head: type
    name: str
    derivative: Callable[[sp.Expr], sp.Expr]


FACTS: tuple[Fact, ...] = (
    Fact(sp.exp, "derivative of exp", lambda a: sp.exp(a)),
    Fact(sp.log, "derivative of log", lambda a: 1 / a),
    Fact(sigmoid, "derivative of σ", lambda a: sigmoid(a) * (1 - sigmoid(a))),
    Fact(sp.tanh, "derivative of tanh", lambda a: 1 - sp.tanh(a) ** 2),
    Fact(sp.Abs, "derivative of |x|", lambda a: sp.sign(a)),
    Fact(sp.sin, "derivative of sin", lambda a: sp.cos(a)),
    Fact(sp.cos, "derivative of cos", lambda a: -sp.sin(a)),
)
BY_HEAD = {f.head: f for f in FACTS}
# The structural facts, by the names a step prints.
LINEARITY = "linearity"
PRODUCT = "product rule"
POWER = "power rule"
MAX = "derivative of max (a step function)"
ENTRY = "derivative of an entry"
SOFTMAX = "derivative of softmax"

# ŷ = softmax(z), as the differentiator needs it: the IndexedBase of ŷ, the logit z_x as a
# function of the index x, and a summation index free for Σ_w′.
Definition = tuple[sp.IndexedBase, Callable[[sp.Expr], sp.Expr]]


def d(expr: sp.Expr, wrt: sp.Indexed) -> sp.Expr:
    """∂expr/∂wrt, unevaluated."""
    return sp.Derivative(expr, wrt, evaluate=False)


def differentiate(expr: sp.Expr, softmax: Definition | None = None
                  ) -> tuple[sp.Expr, list[str]]:
    """Every ∂ in expr pushed one function down (linearity at once, as often as it applies), with
    the names of the facts used. With `softmax`, ŷ_x = softmax(z)_x is differentiated by
    ∂ŷ_x = ŷ_x (∂z_x − Σ_w′ ŷ_w′ ∂z_w′)."""
    used: list[str] = []

    def note(name: str) -> None:
        if name not in used:
            used.append(name)

    def push(der: sp.Derivative) -> sp.Expr:
        return _push(der.expr, der.variables[0], note, softmax)
    out = expr.replace(lambda e: isinstance(e, sp.Derivative), push)
    return out, used


def _push(f: sp.Expr, x: sp.Indexed, note: Callable[[str], None],
          softmax: Definition | None = None) -> sp.Expr:
    if softmax is not None and isinstance(f, sp.Indexed) and f.base == softmax[0]:
        base, logit = softmax
        (at,) = f.indices
        taken = {str(s) for s in f.free_symbols | x.free_symbols}
        var = next(sp.Symbol(name, integer=True, nonnegative=True)
                   for name in ("w2", "w3", "w4", "w5") if name not in taken)
        note(SOFTMAX)
        return f * (d(logit(at), x)
                    - sp.Sum(base[var] * d(logit(var), x), (var, 0, base.shape[0] - 1)))
    bases = (x.base,) if softmax is None else (x.base, softmax[0])
    if not f.has(*bases):
        return sp.S.Zero
    if isinstance(f, sp.Add):
        note(LINEARITY)
        return sp.Add(*(_push(t, x, note, softmax) for t in f.args))
    if isinstance(f, sp.Sum):
        note(LINEARITY)
        return sp.Sum(_push(f.function, x, note, softmax), *f.limits)
    if isinstance(f, sp.Mul):
        const, rest = f.as_independent(*bases, as_Add=False)
        if const != 1:
            note(LINEARITY)
            return const * _push(rest, x, note, softmax)
        note(PRODUCT)
        factors = rest.args
        return sp.Add(*(sp.Mul(*factors[:k], d(g, x), *factors[k + 1:])
                        for k, g in enumerate(factors)))
    if f == x:  # a scalar variable (a bias b)
        note(ENTRY)
        return sp.S.One
    if isinstance(f, sp.Indexed):
        if f.base != x.base:
            return sp.S.Zero
        note(ENTRY)
        return sp.Mul(*(sp.KroneckerDelta(a, b) for a, b in zip(f.indices, x.indices, strict=True)))
    if isinstance(f, sp.Pow):
        base, p = f.args
        if p.has(*bases):
            raise DerivationError(f"no fact differentiates {f}: an exponent depends on {x}")
        note(POWER)
        return p * base ** (p - 1) * d(base, x)
    if isinstance(f, (sp.Max, sp.Min)):
        note(MAX)
        if len(f.args) != 2:
            raise DerivationError(f"no fact differentiates {f}: more than two arguments")
        a, b = sorted(f.args, key=lambda t: t.has(*bases))  # a constant argument first
        h = Heaviside(b - a) if isinstance(f, sp.Max) else Heaviside(a - b)
        if not a.has(*bases):  # max(0, g): step(g) ∂g
            return h * d(b, x)
        return h * d(b, x) + (1 - h) * d(a, x)
    fact = BY_HEAD.get(type(f))
    if fact is not None and len(f.args) == 1:
        note(f"chain rule, {fact.name}")
        return fact.derivative(f.args[0]) * d(f.args[0], x)
    raise DerivationError(f"no fact in the table differentiates {type(f).__name__}: {f}")
