"""Values read off the SymPy tree (values.py) are the values lambdify gives: on every entry step
of every loss in the corpus, on random expressions, and on the cases the walker must leave to
lambdify."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import notation as n
from derive.calculus import derive, values
from derive.calculus.functions import sigmoid
from derive.calculus.records import Loss
from derive.calculus.sample import Points

from .corpus.losses import CASES

j = sp.Symbol("j", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
w = sp.Symbol("w", integer=True, nonnegative=True)
i = sp.Symbol("i", integer=True, nonnegative=True)
U, v = n.U.indexed, n.v_c.indexed


def _points() -> Points:
    uo_vc = sp.Sum(U[i, n.o] * v[i], (i, 0, n.d - 1))
    return Points(Loss("t", -sp.log(sigmoid(uo_vc)), None, wrt=(n.v_c, n.U),
                       objects=(n.U, n.v_c)))


def _walked(points: Points, expr: sp.Expr, free: tuple, sizes: tuple) -> list[np.ndarray]:
    return [values.entries(expr, free, points._shape(sizes, at), points._scope(at))
            for at in range(len(points.points))]


def _agree(points: Points, expr: sp.Expr, free: tuple, sizes: tuple) -> None:
    walked = _walked(points, expr, free, sizes)
    lambdified = points.lambdified_entries(expr, free, sizes)
    for a, b in zip(walked, lambdified, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_step_of_the_corpus_is_valued_as_lambdify_values_it(case) -> None:
    derivation = derive(case.loss, check=False)
    points = Points(case.loss)
    walked = 0
    for g in derivation.gradients:
        sizes = tuple(g.wrt.indexed.shape)
        for step in g.steps:
            if step.matrix or step.rule.startswith("no matrix form"):
                continue
            try:
                _agree(points, step.expr, g.index, sizes)
                walked += 1
            except values.Unsupported:
                # left to lambdify: only a derivative of max, |x| or the step function
                assert step.expr.has(sp.Derivative) and step.expr.has(*values.NON_ANALYTIC)
    assert walked > 0


def test_a_sum_whose_index_is_absent_counts_its_terms() -> None:
    points = _points()
    # Σ_w v_c[j] over V terms, and Σ_w Σ_i U[i, w] v_c[i] (the index of each inner term)
    for at, value in enumerate(_walked(points, sp.Sum(v[j], (w, 0, n.V - 1)), (j,), (n.d,))):
        p = points.points[at]
        np.testing.assert_allclose(value, p.sizes[n.V] * p.arrays[v])
    nested = sp.Sum(sp.Sum(U[i, w] * v[i], (i, 0, n.d - 1)), (w, 0, n.V - 1))
    for at, value in enumerate(_walked(points, nested, (), ())):
        p = points.points[at]
        np.testing.assert_allclose(value, (p.arrays[v] @ p.arrays[U]).sum())


def test_a_derivative_is_the_complex_step_at_every_entry_at_once() -> None:
    points = _points()
    # ∂/∂U[j, k] of Σ_w exp(Σ_i U[i, w] v_c[i]) = v_c[j] exp(u_kᵀ v_c)
    f = sp.Sum(sp.exp(sp.Sum(U[i, w] * v[i], (i, 0, n.d - 1))), (w, 0, n.V - 1))
    for at, value in enumerate(_walked(points, sp.Derivative(f, U[j, k]), (j, k), (n.d, n.V))):
        p = points.points[at]
        Uv, vv = p.arrays[U], p.arrays[v]
        np.testing.assert_allclose(value, np.outer(vv, np.exp(vv @ Uv)), rtol=1e-12)


def test_a_derivative_reaches_through_the_softmax() -> None:
    loss = Loss("t", -sp.log(n.y_hat.indexed[n.o]), None, wrt=(n.v_c,), objects=(n.U, n.v_c))
    from derive.calculus.records import Softmax
    loss = Loss(loss.name, loss.expr, Softmax(lambda x: sp.Sum(U[i, x] * v[i], (i, 0, n.d - 1))),
                wrt=(n.v_c,), objects=(n.U, n.v_c))
    points = Points(loss)
    for at, value in enumerate(_walked(points, sp.Derivative(loss.expr, v[j]), (j,), (n.d,))):
        p = points.points[at]
        Uv, vv, o = p.arrays[U], p.arrays[v], p.indices[n.o]
        z = vv @ Uv
        yhat = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        np.testing.assert_allclose(value, Uv @ yhat - Uv[:, o], rtol=1e-9)


@pytest.mark.parametrize("expr", [
    sp.Derivative(sp.Max(0, v[j]), v[j]),
    sp.Derivative(sp.Abs(v[j]) * U[j, n.o], v[j]),
    sp.Derivative(sp.Derivative(sp.exp(v[j]), v[j]), v[j]),
])
def test_a_derivative_the_complex_step_cannot_take_is_sympys_walked(expr) -> None:
    points = _points()
    _agree(points, expr, (j,), (n.d,))
    for at, value in enumerate(_walked(points, expr, (j,), (n.d,))):
        p = points.points[at]
        x, u_o = p.arrays[v], p.arrays[U][:, p.indices[n.o]]
        want = ((x > 0) * 1.0 if expr.has(sp.Max) else np.sign(x) * u_o if expr.has(sp.Abs)
                else np.exp(x))
        np.testing.assert_allclose(value, want, rtol=1e-12)


def test_what_the_walker_cannot_take_is_left_to_lambdify() -> None:
    points = _points()
    expr = sp.Piecewise((v[j], v[j] > 0), (0, True))
    with pytest.raises(values.Unsupported):
        _walked(points, expr, (j,), (n.d,))
    assert len(points.entries(expr, (j,), (n.d,))) == 2  # and the caller still values it


_leaf = st.sampled_from([U[j, w], U[j, k], v[j], U[i, k] * v[i], sp.KroneckerDelta(j, n.o),
                         n.y.indexed[k], sp.Integer(2), sp.Rational(1, 3), n.V])


def _node(children: st.SearchStrategy) -> st.SearchStrategy:
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: ab[0] + ab[1]), pair.map(lambda ab: ab[0] * ab[1]),
        children.map(sp.exp), children.map(lambda a: sp.log(1 + sp.exp(a))),
        children.map(sigmoid), children.map(sp.tanh), children.map(lambda a: a ** 2),
        children.map(lambda a: 1 / (2 + a ** 2)),
        children.map(lambda a: sp.Sum(a, (w, 0, n.V - 1))),
        children.map(lambda a: sp.Sum(a, (i, 0, n.d - 1))),
        children.map(lambda a: sp.Derivative(a, U[j, k])),
        children.map(lambda a: sp.Derivative(a, v[j])))


@settings(max_examples=60, deadline=None)
@given(st.recursive(_leaf, _node, max_leaves=6))
def test_random_expressions_are_valued_as_lambdify_values_them(expr) -> None:
    # i and w are only ever bound by their sums; an expression that leaves one free is not an
    # entry of (j, k), so both ways are asked only about closed ones
    if expr.free_symbols & {i, w}:
        return
    try:
        _agree(_points(), expr, (j, k), (n.d, n.V))
    except values.Unsupported:
        assert expr.has(sp.Derivative)  # a derivative inside a derivative
