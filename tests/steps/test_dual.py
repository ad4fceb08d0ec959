"""Forward mode: every rule's value and derivative against SymPy's, an independent oracle."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.steps import dual
from derive.steps.dual import Inexact, Val

t = sp.Symbol("t", real=True)
SIGMOID = 1 / (1 + sp.exp(-t))

# (rule, the same function in SymPy, where it is defined)
RULES = [
    (dual.exp, sp.exp(t), (-5.0, 5.0)),
    (dual.log, sp.log(t), (0.01, 9.0)),
    (dual.absolute, sp.Abs(t), (-5.0, 5.0)),
    (dual.reciprocal, 1 / t, (0.05, 9.0)),
    (dual.sigma, SIGMOID, (-8.0, 8.0)),
]


def seeded(x: float) -> Val:
    """x, with derivative 1 by itself."""
    return Val(np.array([[x]]), np.ones((1, 1, 1)), None, abs(x))


@pytest.mark.parametrize(("rule", "expr", "domain"), RULES)
@settings(max_examples=40, deadline=None)
@given(u=st.floats(0.0, 1.0))
def test_a_rule_gives_sympys_value_and_derivative(rule, expr, domain, u) -> None:  # type: ignore[no-untyped-def]
    x = domain[0] + u * (domain[1] - domain[0])
    out = rule(seeded(x))
    assert out.v[0, 0] == pytest.approx(float(expr.subs(t, x)), rel=1e-13, abs=1e-15)
    assert out.t is not None
    assert out.t[0, 0, 0] == pytest.approx(float(sp.diff(expr, t).subs(t, x)), rel=1e-12,
                                            abs=1e-15)


def test_sigma_prime_is_the_derivative_forward_mode_finds() -> None:
    x = 0.7
    got = dual.dsigma(dual.const(x)).v[0, 0]
    assert got == pytest.approx(float(sp.diff(SIGMOID, t).subs(t, x)), rel=1e-14)
    with pytest.raises(Inexact, match="^a derivative of σ'$"):
        dual.dsigma(seeded(x))  # σ'' would be needed


def test_products_follow_the_product_rule(rng: np.random.Generator) -> None:
    # f(A) = (A B) ∘ A for a 2×2 A seeded entry by entry: df/dA_k against SymPy's
    a, b = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    ids = np.arange(4).reshape(2, 2)
    A = dual.variable(a, ids, np.arange(4))
    out = dual.hadamard(dual.matmul(A, dual.const(b)), A)
    S = sp.Matrix(2, 2, lambda r, c: sp.Symbol(f"a{r}{c}"))
    F = (S * sp.Matrix(b)).multiply_elementwise(S)
    at = {S[r, c]: a[r, c] for r in range(2) for c in range(2)}
    assert np.allclose(out.v, np.array(F.subs(at), dtype=float), rtol=1e-13)
    assert out.t is not None
    for k, s in enumerate(S):
        assert np.allclose(out.t[:, :, k], np.array(F.diff(s).subs(at), dtype=float),
                           rtol=1e-12)


def test_softmax_and_its_jacobian(rng: np.random.Generator) -> None:
    z = rng.normal(size=(3, 1))
    out = dual.softmax(dual.variable(z, np.arange(3).reshape(3, 1), np.arange(3)))
    p = np.exp(z[:, 0]) / np.exp(z[:, 0]).sum()
    assert np.allclose(out.v[:, 0], p, rtol=1e-14)
    assert out.t is not None
    assert np.allclose(out.t[:, 0, :], np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: dual.log(dual.const(-1.0)), "^a logarithm of a number that is not positive$"),
    (lambda: dual.reciprocal(dual.const(0.0)), "^a division by zero$"),
    (lambda: dual.power(dual.const(-2.0), dual.const(0.5)),
     "^a power with no real value or derivative here$"),
    (lambda: dual.exp(dual.const(800.0)), "^a value is not finite in floating point$"),
    (lambda: dual.largest([dual.const(1.0), dual.const(1.0)]), "^a tie in a max$"),
])
def test_what_floating_point_cannot_settle_is_inexact(make, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Inexact, match=message), np.errstate(all="ignore"):  # as check does
        make()


def test_a_value_remembers_the_largest_magnitude_on_its_way() -> None:
    # e^5 − e^5 + 1 is 1, but rounding is relative to e^5, the largest value met
    big = dual.exp(dual.const(5.0))
    out = dual.add(dual.add(big, dual.neg(big)), dual.const(1.0))
    assert out.v[0, 0] == 1.0 and out.mag == pytest.approx(np.exp(5.0))
