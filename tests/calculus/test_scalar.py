"""The scalar rules that bring σ back, e^{−a}/(1 + e^{−a})² = σ(a)(1 − σ(a)) and
1/(1 + e^{−a}) = σ(a), as facts about any argument a: on their own, as parts of larger expressions,
as no-ops where the pattern is absent, and in whole derivations checked against SymPy's diff."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from derive import notation as n
from derive.calculus import scalar
from derive.calculus.functions import sigmoid
from derive.calculus.records import Loss
from derive.printing import text

x = n.x_scalar
y = sp.Symbol("y", real=True)
ARGUMENTS = {"x": x, "2x": 2 * x, "x²": x**2, "y": y, "−x": -x, "x + y": x + y}
POINTS = np.linspace(-2.5, 2.5, 7)


def _close(a: sp.Expr, b: sp.Expr) -> None:
    """a and b agree at points of every symbol they hold (σ evaluated as 1/(1 + e^{−a}))."""
    symbols = sorted((a + b).free_symbols, key=str)
    f, g = (sp.lambdify(symbols, scalar.sigmoid_definition(e), "numpy") for e in (a, b))
    grid = np.meshgrid(*[POINTS + 0.1 * k for k in range(len(symbols))])
    np.testing.assert_allclose(f(*grid), g(*grid), rtol=1e-12, atol=1e-14)


def _g(a: sp.Expr) -> sp.Expr:
    return 1 + sp.exp(-a)


@pytest.mark.parametrize("name", ARGUMENTS)
def test_split_logistic_holds_for_any_argument(name):
    a = ARGUMENTS[name]
    g = _g(a)
    got = scalar.split_logistic(sp.exp(-a) / g**2)
    assert got == sp.Mul(1 / g, sp.Add(1, -1 / g, evaluate=False), evaluate=False)
    _close(got, sp.exp(-a) / g**2)


@pytest.mark.parametrize("name", ARGUMENTS)
def test_recognise_sigmoid_holds_for_any_argument(name):
    a = ARGUMENTS[name]
    assert scalar.recognise_sigmoid(1 / _g(a)) == sigmoid(a)
    assert scalar.recognise_sigmoid(_g(a) ** -3) == sigmoid(a) ** 3


def test_the_sigmoid_problems_own_step_prints_as_before():
    got = scalar.split_logistic(sp.exp(-x) / _g(x) ** 2)
    assert text(got) == "(1 - 1/(1 + exp(-x)))/(1 + exp(-x))"
    assert text(scalar.recognise_sigmoid(got)) == "(1 - σ(x))*σ(x)"


@pytest.mark.parametrize(("expr", "want"), [
    (3 * sp.exp(-2 * x) / _g(2 * x) ** 2 + x,
     3 * sigmoid(2 * x) * (1 - sigmoid(2 * x)) + x),
    (sp.cos(x) * sp.exp(-y) / _g(y) ** 2 + sp.exp(-x) / _g(x) ** 2,
     sp.cos(x) * sigmoid(y) * (1 - sigmoid(y)) + sigmoid(x) * (1 - sigmoid(x))),
    (sp.exp(-x) / _g(x) ** 4, sigmoid(x) ** 3 * (1 - sigmoid(x))),
    (sp.log(1 + sp.exp(-x**2) / _g(x**2) ** 2), sp.log(1 + sigmoid(x**2) * (1 - sigmoid(x**2)))),
])
def test_both_rules_apply_wherever_the_pattern_stands(expr, want):
    got = scalar.recognise_sigmoid(scalar.split_logistic(expr))
    assert sp.expand(got - want) == 0
    assert not got.has(sp.exp)
    _close(got, expr)


NOT_LOGISTIC = {
    "2 + e^{−x}": sp.exp(-x) / (2 + sp.exp(-x)) ** 2,
    "1 + 2e^{−x}": sp.exp(-x) / (1 + 2 * sp.exp(-x)) ** 2,
    "other exponent on top": sp.exp(-2 * x) / _g(x) ** 2,
    "first power": sp.exp(-x) / _g(x),
    "a square, no e^{−x} on top": x / _g(x) ** 2,
    "g to a positive power": sp.exp(-x) * _g(x) ** 2,
    "no exp at all": x / (1 + x) ** 2,
}


@pytest.mark.parametrize("name", NOT_LOGISTIC)
def test_split_logistic_is_a_no_op_where_the_pattern_is_absent(name):
    expr = NOT_LOGISTIC[name]
    assert scalar.split_logistic(expr) == expr


@pytest.mark.parametrize("expr", [1 / (2 + sp.exp(-x)), 1 / (1 + 2 * sp.exp(-x)), _g(x),
                                  _g(x) ** 2, 1 / (1 + sp.exp(-x) + x), sp.sqrt(1 / _g(x)),
                                  1 / (1 + x)])
def test_recognise_sigmoid_is_a_no_op_where_the_pattern_is_absent(expr):
    assert scalar.recognise_sigmoid(expr) == expr


LOSSES = {"σ(2x)": sigmoid(2 * x), "σ(x²)": sigmoid(x**2), "σ(x)²": sigmoid(x) ** 2,
          "σ(−x)": sigmoid(-x), "σ(x)σ(2x)": sigmoid(x) * sigmoid(2 * x)}


@pytest.mark.parametrize("name", LOSSES)
def test_a_derivation_of_another_sigmoid_loss_ends_in_sigma_and_agrees_with_sympy(name):
    """Through scalar.derive, which checks each step itself; here again, at fixed points."""
    loss = LOSSES[name]
    derivation = scalar.derive(Loss(name, loss, None, wrt=(n.x,), column_cases=False))
    (gradient,) = derivation.gradients
    assert [s.rule for s in gradient.steps][-2:] == ["rearrange", "definition of σ"]
    assert gradient.result.has(sigmoid) and not gradient.result.has(sp.exp)
    _close(gradient.result, sp.diff(scalar.sigmoid_definition(loss), x))
