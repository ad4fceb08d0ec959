"""The forms the softmax printer recognises: which gradients let one word write grad_U in blocks."""
from __future__ import annotations

import sympy as sp

from derive import engine, problems
from derive import notation as n
from derive.codegen.softmax_forms import outer_with_delta, yhat_only_in_products

v, U = n.v_c.matrix, n.U.matrix
yhat, y = n.y_hat.matrix, n.y.matrix


def mul(*factors):
    """A matrix product kept as written ((ŷ − y)ᵀ stays one factor, as the derivation has it)."""
    return sp.MatMul(*factors, evaluate=False)


def T(x):
    return sp.Transpose(x)


def test_the_derived_naive_softmax_grad_u_is_the_outer_form_of_v_c():
    naive = engine.derive(problems.get("naive-softmax").make_loss())
    grads = {g.wrt.name: g.result for g in naive.gradients if not g.case}
    assert outer_with_delta(grads["U"]) == v
    assert outer_with_delta(mul(v, T(sp.MatAdd(-y, yhat)))) == v  # either order of the terms


def test_other_products_are_not_the_blocked_outer_form():
    assert outer_with_delta(mul(2, v, T(yhat - y))) is None  # a coefficient: printed generally
    assert outer_with_delta(mul(v, T(yhat))) is None  # ŷ alone, not ŷ − y
    assert outer_with_delta(sp.MatAdd(mul(v, T(yhat - y)), U)) is None  # a sum
    assert outer_with_delta(mul(U, yhat, T(yhat - y))) is None  # three factors, ŷ among them


def test_yhat_counts_as_used_only_outside_u_times_yhat_minus_y():
    assert yhat_only_in_products(mul(U, yhat - y))
    assert yhat_only_in_products(mul(sp.Rational(1, 2), U, yhat - y) + v)
    assert not yhat_only_in_products(mul(U, yhat))
    assert not yhat_only_in_products(mul(U, yhat - y) + mul(v, T(yhat), yhat))
