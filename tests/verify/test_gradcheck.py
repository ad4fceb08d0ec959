from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import kernels
from derive.verify import gradcheck


def _problem(rng, V, d, dtype=np.float64):
    U = rng.normal(size=(V, d)).astype(dtype)
    v = rng.normal(size=d).astype(dtype)
    return v, int(rng.integers(V)), U


def _checks(v, o, U, grad_v, grad_U, dtype=np.float64, rng=None):
    """Both gradients, both modes; the loss always in float64."""
    V, d = U.shape
    tol = gradcheck.tolerance(dtype, max(V, d))

    def f_v(x):
        return kernels.naive_softmax(x, o, U.astype(np.float64))[0]

    def f_U(x):
        return kernels.naive_softmax(v.astype(np.float64), o, x)[0]

    rng = rng or np.random.default_rng(0)
    return [gradcheck.coordinate(f_v, v, grad_v, tol=tol),
            gradcheck.coordinate(f_U, U, grad_U, tol=tol),
            gradcheck.directional(f_v, v, grad_v, tol=tol, rng=rng),
            gradcheck.directional(f_U, U, grad_U, tol=tol, rng=rng)]


@settings(max_examples=30, deadline=None)
@given(V=st.integers(2, 8), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_correct_kernels_pass_in_both_modes_and_dtypes(V, d, seed, dtype):
    rng = np.random.default_rng(seed)
    v, o, U = _problem(rng, V, d, dtype)
    _, grad_v, grad_U = kernels.naive_softmax(v, o, U)
    results = _checks(v, o, U, grad_v, grad_U, dtype, rng)
    assert all(r.passed for r in results), results


def _wrong(name, v, o, U):
    """Deliberately wrong gradients (grad_v, grad_U), as students write them."""
    logits = U @ v
    yhat = np.exp(logits - logits.max())
    yhat /= yhat.sum()
    delta = yhat.copy()
    delta[o] -= 1
    right_v, right_U = delta @ U, np.outer(delta, v)
    match name:
        case "sign flipped":
            return -right_v, -right_U
        case "transpose missing":
            return right_v, right_U.T
        case "term dropped":
            return yhat @ U, np.outer(yhat, v)
        case "scaled by 2":
            return 2 * right_v, 2 * right_U
        case "off-by-one index":
            shifted = yhat.copy()
            shifted[(o + 1) % len(yhat)] -= 1
            return shifted @ U, np.outer(shifted, v)
        case "w = o case swapped":
            swapped = yhat - 1
            swapped[o] += 1
            return swapped @ U, np.outer(swapped, v)
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["sign flipped", "transpose missing", "term dropped",
                                  "scaled by 2", "off-by-one index", "w = o case swapped"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_wrong_gradient_fails(name, dtype):
    rng = np.random.default_rng(5)
    v, o, U = _problem(rng, 4, 4, dtype)  # V = d, so a transposed grad_U has the right shape
    grad_v, grad_U = _wrong(name, v.astype(float), o, U.astype(float))
    coord_v, coord_U, dir_v, dir_U = _checks(v, o, U, grad_v.astype(dtype), grad_U.astype(dtype),
                                             dtype)
    assert not (coord_v.passed and coord_U.passed)
    assert not (dir_v.passed and dir_U.passed)


def test_coordinate_names_the_worst_entry():
    rng = np.random.default_rng(1)
    v, o, U = _problem(rng, 5, 3)
    _, grad_v, grad_U = kernels.naive_softmax(v, o, U)
    grad_U = grad_U.copy()
    grad_U[3, 2] += 0.5
    result = gradcheck.coordinate(lambda x: kernels.naive_softmax(v, o, x)[0], U, grad_U,
                                  tol=gradcheck.TOL64)
    assert not result.passed and result.worst_index == (3, 2)
    assert result.max_rel_error == pytest.approx(0.5 / max(1, abs(grad_U[3, 2])), rel=1e-4)


def test_nan_gradient_fails():
    result = gradcheck.coordinate(lambda x: float(x @ x), np.ones(3), np.array([2, np.nan, 2]),
                                  tol=gradcheck.TOL64)
    assert not result.passed and result.worst_index == (1,)


def test_random_state_is_restored_before_every_evaluation():
    def sampled(x):  # a loss that draws, like negative sampling
        k = np.random.randint(3)
        return float(x[k] ** 2)

    np.random.seed(3)
    k = np.random.randint(3)
    np.random.seed(3)
    grad = np.zeros(3)
    grad[k] = 2.0
    assert gradcheck.coordinate(sampled, np.ones(3), grad, tol=gradcheck.TOL64).passed


@pytest.mark.parametrize(("dtype", "n", "expected"), [
    (np.float64, 1, 1e-5 + 8 * 2**-53),
    (np.float32, 50_000, 1e-5 + 8 * np.sqrt(50_000) * 2**-24),
])
def test_tolerance_grows_with_rounding(dtype, n, expected):
    assert gradcheck.tolerance(dtype, n) == pytest.approx(expected, rel=1e-12)
