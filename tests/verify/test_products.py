"""Directional differences from products w @ U: the same numbers as moving U, and a loss that
reads U otherwise is refused (TypeError), so that the caller moves U instead."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.verify import differences, gradcheck, products
from derive.verify.draws import Directions


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def _naive(v: np.ndarray, U_handout, o) -> float:  # J = −log softmax(Uᵀv)_o, handout layout
    z = v @ U_handout
    return float(np.sum(_logsumexp(z) - np.take_along_axis(
        np.atleast_2d(z), np.reshape(o, (-1, 1)), axis=1)[:, 0]))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), V=st.integers(2, 60), d=st.integers(1, 9),
       batch=st.booleans())
def test_products_give_the_differences_moving_u_gives(seed, V, d, batch):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(V, d))
    v = rng.normal(size=(3, d)) if batch else rng.normal(size=d)
    o = rng.integers(V, size=3) if batch else int(rng.integers(V))
    rs = Directions(rng).of(U.shape)

    def f(x) -> float:
        return _naive(v, x.T, o)
    moved = differences.directional(f, U.copy(), rs, h=gradcheck.H)
    taken = products.directional(lambda x: f(x), products.Products(U, [r.q for r in rs]), rs,
                                 h=gradcheck.H)
    np.testing.assert_allclose(taken, moved, rtol=1e-7, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), V=st.integers(2, 60), d=st.integers(1, 9),
       batch=st.booleans())
def test_stacked_products_give_the_differences_of_a_small_x(seed, V, d, batch):
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(V, d))
    x = rng.normal(size=(3, d)) if batch else rng.normal(size=d)
    o = rng.integers(V, size=3) if batch else int(rng.integers(V))
    rs = Directions(rng).of(x.shape)
    stack = products.Products(U)
    moved = differences.directional(lambda y: _naive(y, U.T, o), x.copy(), rs, h=gradcheck.H)
    taken = products.stacked(lambda y: _naive(y, products.Moved(stack).T, o), x, rs, stack,
                             h=gradcheck.H)
    np.testing.assert_allclose(taken, moved, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("read", [
    lambda U: U[0], lambda U: U * 2.0, lambda U: np.exp(U), lambda U: U @ np.ones(4),
    lambda U: np.ones(3) @ U.T, lambda U: np.asarray(U, dtype=float)])
def test_a_loss_that_reads_u_otherwise_than_w_at_u_is_refused(read):
    U = np.arange(12.0).reshape(4, 3)  # rows: the handout's U is U.T, 3×4
    with pytest.raises(TypeError):
        read(products.Moved(products.Products(U)).T)


def test_the_caller_moves_u_when_the_loss_reads_it_otherwise():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(40, 5))
    rs = Directions(rng).of(U.shape)

    def f(x: np.ndarray) -> float:  # reads a row of U: no product form
        return float(np.sum(np.asarray(x)[2] ** 3))
    expected = differences.directional(f, U.copy(), rs, h=gradcheck.H)
    got = gradcheck.numeric_directional_many([f], U, rs, through=True)[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # and the products are exact where they apply: w @ (U + c q) is w @ U + c (w @ q)
    w = rng.normal(size=5)
    moved = products.Moved(products.Products(U, [rs[0].q]), 0, 2.0**-10).T
    np.testing.assert_allclose(w @ moved, w @ (U + 2.0**-10 * rs[0].q).T, rtol=1e-12)
