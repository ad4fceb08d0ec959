"""Derivatives of functions of one scalar x (σ, Leaky ReLU), step by step.

The same records as the engine's (Step, Gradient, Derivation), so printing, verification and the
handouts treat them as they treat a loss. Each rule is a fact about a function, not about a
problem: σ's definition, the power rule, the derivative of exp, e^{−a}/(1 + e^{−a})² =
σ(a)(1 − σ(a)) for any argument a, and max(αx, x) for 0 < α < 1 as two pieces. Every step is
checked at random x (away from 0, where Leaky ReLU has no derivative) and α, and the result against
SymPy's own derivative.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import notation as n
from ..errors import DerivationError
from . import numpyspace
from .check import RTOL, max_error, trace
from .functions import sigmoid
from .records import Derivation, Gradient, Loss, Step

x = n.x_scalar
POINTS = 24
SEED = 20261125


def sigmoid_definition(expr: sp.Expr) -> sp.Expr:
    """σ(a) = 1 / (1 + exp(−a))."""
    return expr.replace(lambda e: isinstance(e, sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0])))


def max_as_pieces(expr: sp.Expr) -> sp.Expr:
    """max(αx, x) = αx if x < 0, else x: for 0 < α < 1, αx > x exactly when x < 0."""
    def pieces(m: sp.Max) -> sp.Expr:
        scaled = next((a for a in m.args if a != x), None)
        if len(m.args) != 2 or x not in m.args or scaled is None or scaled / x != n.alpha:
            return m
        return sp.Piecewise((scaled, x < 0), (x, True))
    return expr.replace(lambda e: isinstance(e, sp.Max), pieces)


def power_rule(expr: sp.Expr) -> sp.Expr:
    """d/dx g^p = p g^{p−1} dg/dx, the derivative of g left to the next rule."""
    def apply(d: sp.Derivative) -> sp.Expr:
        g, p = d.expr.args
        return p * g ** (p - 1) * sp.Derivative(g, x, evaluate=False)
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, sp.Pow)
                        and not e.expr.exp.has(x), apply)


def _evaluate_derivatives(expr: sp.Expr, of: type = sp.Basic) -> sp.Expr:
    """Every unevaluated derivative of an `of` in `expr`, worked out by SymPy."""
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and isinstance(e.expr, of),
                        lambda e: e.doit())


def derivative_of_pieces(expr: sp.Expr) -> sp.Expr:
    """The derivative of a piecewise function is the derivative of each piece (x ≠ 0)."""
    return _evaluate_derivatives(expr, sp.Piecewise)


def derivative_of_exp(expr: sp.Expr) -> sp.Expr:
    """d/dx (1 + exp(−x)) = −exp(−x): what derivatives remain are evaluated."""
    return _evaluate_derivatives(expr)


def _logistic_argument(g: sp.Expr) -> sp.Expr | None:
    """a when g is 1 + exp(−a), for any a; else None."""
    if isinstance(g, sp.Add) and len(g.args) == 2 and sp.S.One in g.args:
        other = g.args[1] if g.args[0] == 1 else g.args[0]
        if isinstance(other, sp.exp):
            return -other.args[0]
    return None


def split_logistic(expr: sp.Expr) -> sp.Expr:
    """e^{−a} / (1 + e^{−a})² = 1/(1 + e^{−a}) · (1 − 1/(1 + e^{−a})), kept unevaluated, for any a
    and wherever such a product stands; with g = 1 + e^{−a} and e^{−a} = g − 1, a higher power
    g^{−p} (integer p > 2) leaves its g^{2−p}: e^{−a}/g^p = (1/g)(1 − 1/g) g^{2−p}."""
    def split(m: sp.Mul) -> sp.Expr:
        for f in m.args:
            a = _logistic_argument(f.base) if isinstance(f, sp.Pow) else None
            if (a is None or not (f.exp.is_integer and (f.exp + 2).is_nonpositive)
                    or sp.exp(-a) not in m.args):
                continue
            g = f.base
            rest = [h for h in m.args if h not in (f, sp.exp(-a))]
            power = [] if f.exp == -2 else [g ** (f.exp + 2)]
            return sp.Mul(*rest, 1 / g, sp.Add(1, -1 / g, evaluate=False), *power, evaluate=False)
        return m
    return expr.replace(lambda e: isinstance(e, sp.Mul), split)


def recognise_sigmoid(expr: sp.Expr) -> sp.Expr:
    """1 / (1 + exp(−a)) = σ(a) for any a, wherever it stands; an integer power
    (1 + exp(−a))^{−q} is σ(a)^q."""
    def is_logistic(e: sp.Basic) -> bool:
        return (isinstance(e, sp.Pow) and e.exp.is_integer is True and e.exp.is_negative is True
                and _logistic_argument(e.base) is not None)
    return expr.replace(is_logistic, lambda e: sigmoid(_logistic_argument(e.base)) ** -e.exp)


LOSS_RULES = [("definition of σ", sigmoid_definition),
              ("max(αx, x) for 0 < α < 1", max_as_pieces)]
GRADIENT_RULES = [("power rule", power_rule), ("derivative of each piece", derivative_of_pieces),
                  ("derivative of exp", derivative_of_exp),
                  ("rearrange", split_logistic), ("definition of σ", recognise_sigmoid)]


def derive(loss: Loss, *, check: bool = True) -> Derivation:
    """dJ/dx for a loss of the scalar x, with its trace; each step checked unless told not."""
    samples = random_points()
    values = (lambda s: _values(s.expr, samples)) if check else None
    loss_steps = trace(Step(loss.expr, "definition"), LOSS_RULES, values, "J")
    start = Step(sp.Derivative(loss_steps[-1].expr, x, evaluate=False), "derivative")
    steps = trace(start, GRADIENT_RULES, values, "x")
    if check:
        err = max_error(_values(steps[-1].expr, samples), _values(sp.diff(loss.expr, x), samples))
        if not err <= RTOL:
            raise DerivationError(f"d{loss.name}/dx = {steps[-1].expr} disagrees with SymPy's "
                                  f"derivative: max relative error {err:.3g}", chain="x",
                                  rule=steps[-1].rule)
    # The last step states the whole result, as a matrix form does for a vector gradient.
    steps[-1] = Step(steps[-1].expr, steps[-1].rule, matrix=True)
    return Derivation(loss, tuple(loss_steps), (Gradient(n.x, (), tuple(steps)),),
                      checked_at="random x away from 0")


def random_points(seed: int = SEED) -> list[np.ndarray]:
    """Random x in ±(0.1, 4), away from Leaky ReLU's kink, and α in (0.05, 0.95)."""
    rng = np.random.default_rng(seed)
    xs = rng.uniform(0.1, 4, POINTS) * rng.choice([-1.0, 1.0], POINTS)
    return [xs, rng.uniform(0.05, 0.95, POINTS)]


def _values(expr: sp.Expr, samples: list[np.ndarray]) -> list[np.ndarray]:
    f = numpyspace.lambdify([x, n.alpha], expr.doit() if expr.has(sp.Derivative) else expr)
    return [np.broadcast_to(np.asarray(f(*samples), dtype=float), samples[0].shape)]


def step_error(before: Step, after: Step, *, seed: int = SEED) -> float:
    """The largest relative error between two steps at the random points of `seed` (verify passes
    its own, so that it checks points other than those the derivation was checked at)."""
    samples = random_points(seed)
    return max_error(_values(before.expr, samples), _values(after.expr, samples))
