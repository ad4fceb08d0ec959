"""The built-in kernels (derive.kernels) are a hand-tuned fast path: each equals the general
kernel printed by SymPy (derive.codegen.module) for the same derivation, the built-in problem's
shipped loss file, at inputs hypothesis draws."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import derive
from derive import kernels

LOSSES = Path(derive.__file__).parent / "steps" / "losses"


@functools.cache
def general(stem: str, batch: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return derive.compile(LOSSES / f"{stem}.tex", batch=batch)


def _draw(seed: int, V: int, d: int, B: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    U = rng.normal(size=(V, d))
    v = rng.normal(size=(B, d) if B else d)
    o = rng.integers(V, size=B) if B else np.array(int(rng.integers(V)))
    return v, o, U


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(1, 6))
def test_naive_softmax_equals_the_printed_kernel(seed: int, V: int, d: int) -> None:
    v_c, o, U = _draw(seed, V, d)
    loss, g_v, g_U = kernels.naive_softmax(v_c, int(o), U)
    want, grads = general("naive-softmax")({"U": U.T, "v_c": v_c, "o": int(o)})
    np.testing.assert_allclose(loss, want, rtol=1e-12)
    np.testing.assert_allclose(g_v, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(1, 6), st.integers(1, 5))
def test_naive_softmax_batch_equals_the_printed_batched_kernel(seed: int, V: int, d: int,
                                                               B: int) -> None:
    V_c, o, U = _draw(seed, V, d, B)
    loss, g_V, g_U = kernels.naive_softmax_batch(V_c, o, U)
    want, grads = general("naive-softmax", ("v_c", "o"))({"U": U.T, "v_c": V_c, "o": o})
    np.testing.assert_allclose(loss, want, rtol=1e-12)
    np.testing.assert_allclose(g_V, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(1, 6), st.integers(1, 6))
def test_neg_sampling_equals_the_printed_kernel(seed: int, V: int, d: int, K: int) -> None:
    """The fast path gathers u_o = U[o], U_neg = U[negatives]ᵀ and scatters the gradients back
    (a word sampled twice, or also o, gets both): the printed kernel's, scattered the same way."""
    v_c, o, U = _draw(seed, V, d)
    negatives = np.random.default_rng(seed + 1).integers(V, size=K)
    loss, g_v, g_U = kernels.neg_sampling(v_c, int(o), U, negatives)
    want, grads = general("neg-sampling")({"v_c": v_c, "u_o": U[int(o)], "U_neg": U[negatives].T})
    want_U = np.zeros_like(U)
    np.add.at(want_U, negatives, grads["U_neg"].T)
    want_U[int(o)] += grads["u_o"]
    np.testing.assert_allclose(loss, want, rtol=1e-12)
    np.testing.assert_allclose(g_v, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, want_U, rtol=1e-10, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(1, 6), st.integers(1, 5),
       st.integers(1, 4))
def test_neg_sampling_batch_equals_the_printed_batched_kernel(seed: int, V: int, d: int, K: int,
                                                              B: int) -> None:
    V_c, o, U = _draw(seed, V, d, B)
    N = np.random.default_rng(seed + 1).integers(V, size=(B, K))
    loss, g_V, g_U = kernels.neg_sampling_batch(V_c, o, U, N)
    batched = general("neg-sampling", ("v_c", "u_o", "U_neg"))
    want, grads = batched({"v_c": V_c, "u_o": U[o], "U_neg": np.transpose(U[N], (0, 2, 1))})
    want_U = np.zeros_like(U)
    np.add.at(want_U, N.reshape(-1), np.transpose(grads["U_neg"], (0, 2, 1)).reshape(-1, d))
    np.add.at(want_U, o, grads["u_o"])
    np.testing.assert_allclose(loss, want, rtol=1e-12)
    np.testing.assert_allclose(g_V, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, want_U, rtol=1e-10, atol=1e-12)


def test_skipgram_is_the_printed_kernel_summed_over_the_window() -> None:
    v_c, _, U = _draw(5, 7, 4)
    outside = np.array([1, 3, 3, 6])
    loss, g_v, g_U = kernels.skipgram(v_c, outside, U)
    batched = general("naive-softmax", ("v_c", "o"))
    want, grads = batched({"U": U.T, "v_c": np.tile(v_c, (4, 1)), "o": outside})
    np.testing.assert_allclose(loss, want, rtol=1e-12)
    np.testing.assert_allclose(g_v, grads["v_c"].sum(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=1e-10, atol=1e-12)
