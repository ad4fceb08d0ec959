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

from . import require_loops

LOSSES = Path(derive.__file__).parent / "steps" / "losses"


@functools.cache
def general(stem: str, batch: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    return derive.compile(LOSSES / f"{stem}.tex", batch=batch)


# A loss near 0 (ŷ_o near 1) is log Σ exp(z) − z_o, a difference of terms of size 1: it carries
# their rounding, a few 1e-16 absolute, which a relative tolerance alone would call a mismatch
# (a loss of 1.1e-4 off by 8.9e-16 at seed 3329, V = 2, d = 6). A wrong loss is off by O(1).
LOSS_ATOL = 1e-14


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
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=LOSS_ATOL)
    np.testing.assert_allclose(g_v, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 9), st.integers(1, 6), st.integers(1, 5))
def test_naive_softmax_batch_equals_the_printed_batched_kernel(seed: int, V: int, d: int,
                                                               B: int) -> None:
    V_c, o, U = _draw(seed, V, d, B)
    loss, g_V, g_U = kernels.naive_softmax_batch(V_c, o, U)
    want, grads = general("naive-softmax", ("v_c", "o"))({"U": U.T, "v_c": V_c, "o": o})
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=LOSS_ATOL)
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
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=LOSS_ATOL)
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
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=LOSS_ATOL)
    np.testing.assert_allclose(g_V, grads["v_c"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, want_U, rtol=1e-10, atol=1e-12)


def test_skipgram_is_the_printed_kernel_summed_over_the_window() -> None:
    v_c, _, U = _draw(5, 7, 4)
    outside = np.array([1, 3, 3, 6])
    loss, g_v, g_U = kernels.skipgram(v_c, outside, U)
    batched = general("naive-softmax", ("v_c", "o"))
    want, grads = batched({"U": U.T, "v_c": np.tile(v_c, (4, 1)), "o": outside})
    np.testing.assert_allclose(loss, want, rtol=1e-12, atol=LOSS_ATOL)
    np.testing.assert_allclose(g_v, grads["v_c"].sum(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=1e-10, atol=1e-12)


@functools.cache
def _in_blocks(block_bytes: int):  # type: ignore[no-untyped-def]
    """derive.kernels' module with one word's softmax in blocks of `block_bytes`: the kernel
    derive.kernels loads (cache.module_source), with blocks small enough for a few rows each."""
    from derive import codegen, engine, problems

    wrappers = (Path(codegen.__file__).parent / "wrappers.py").read_text()
    derivation = engine.derive(problems.get("naive-softmax").make_loss())
    namespace = {"__name__": "blocks"}
    exec(codegen.source(derivation, "_naive_softmax_kernel", block_bytes=block_bytes)  # noqa: S102
         + "\n" + wrappers, namespace)
    namespace["_loops"] = None  # the blocked NumPy pass, which derive.codegen._loops replaces
    return namespace["naive_softmax"]


TOL = {np.float32: 2e-4, np.float64: 1e-10}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), V=st.integers(1, 23), d=st.integers(1, 5),
       rows=st.integers(1, 7), scale=st.sampled_from([1e-3, 1.0, 30.0, 1e3]),
       end=st.sampled_from(["first", "last", "any"]),
       dtype=st.sampled_from([np.float32, np.float64]), out=st.booleans())
def test_one_word_in_blocks_equals_the_printed_kernel(seed: int, V: int, d: int, rows: int,
                                                      scale: float, end: str, dtype: type,
                                                      out: bool) -> None:
    """The hand-tuned one-word pass — U in blocks of `rows` rows (V rarely a multiple of it),
    grad_U written block by block with each block's w_k/z folded in — against the printed
    kernel of the same loss file, in the same dtype: logits up to ~1e3·d (exp overflows float32 at
    89, float64 at 710, so only the shifted forms survive), o the first, last or any word, and
    grad_U into the caller's buffer or a new one."""
    rng = np.random.default_rng(seed)
    U = (rng.normal(size=(V, d)) * scale).astype(dtype)
    v_c = rng.normal(size=d).astype(dtype)
    _check_one_word(_in_blocks(rows * d * np.dtype(dtype).itemsize), v_c, U, end, out, rng)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), V=st.integers(1, 150), d=st.integers(1, 9),
       scale=st.sampled_from([1e-3, 1.0, 30.0, 1e3]),
       order=st.sampled_from(["as drawn", "rising", "falling"]),
       end=st.sampled_from(["first", "last", "any"]),
       dtype=st.sampled_from([np.float32, np.float64]), out=st.booleans())
def test_one_word_compiled_equals_the_printed_kernel(seed: int, V: int, d: int, scale: float,
                                                     order: str, end: str, dtype: type,
                                                     out: bool) -> None:
    """derive.kernels' one word by the compiled loops (derive/codegen/_loops.c): chunks of 32
    rows and the rest, accumulated four rows a sweep and the rest; rows sorted by logit rising (the
    running maximum rises in every chunk, so z and eᵀU are rescaled each time) or falling (never),
    against the printed kernel of the same loss file."""
    require_loops(kernels._ns["_loops"])
    rng = np.random.default_rng(seed)
    U = (rng.normal(size=(V, d)) * scale).astype(dtype)
    v_c = rng.normal(size=d).astype(dtype)
    if order != "as drawn":
        U = U[np.argsort(U @ v_c)[::1 if order == "rising" else -1]].copy()
    _check_one_word(kernels.naive_softmax, v_c, U, end, out, rng)


def _check_one_word(kernel, v_c, U, end, out, rng) -> None:  # type: ignore[no-untyped-def]
    V, d = U.shape
    dtype = U.dtype.type
    o = {"first": 0, "last": V - 1, "any": int(rng.integers(V))}[end]
    bufs = (np.full(d, np.nan, dtype), np.full((V, d), np.nan, dtype)) if out else None
    loss, g_v, g_U = kernel(v_c, o, U, out=bufs)
    want, grads = general("naive-softmax")({"U": U.T, "v_c": v_c, "o": o})
    assert loss.dtype == g_v.dtype == g_U.dtype == dtype
    if out:
        assert g_v is bufs[0] and g_U is bufs[1]
    tol = TOL[dtype]
    # The loss is a difference of logits of size |U||v_c|: its error scales with them.
    big = max(1.0, float(np.abs(U).max() * np.abs(v_c).sum()))
    np.testing.assert_allclose(loss, want, rtol=tol, atol=tol * big)
    np.testing.assert_allclose(g_v, grads["v_c"], rtol=tol, atol=tol * float(np.abs(U).max()))
    np.testing.assert_allclose(g_U, grads["U"].T, rtol=tol, atol=tol)


def test_a_block_far_below_the_largest_logit_writes_zero_rows_of_grad_U() -> None:
    """Blocks of 2 rows, the last block's logit 1e4 above the rest (V = 7, so it is a block of
    one row): every other block's weight w_k underflows to 0 and its rows of grad_U are exactly
    0, and row o is −v_c, as the printed kernel has them."""
    U = np.zeros((7, 2))
    U[6] = [1e4, 0]
    v_c = np.array([1.0, 1.0])
    loss, g_v, g_U = _in_blocks(2 * 2 * 8)(v_c, 3, U)
    want, grads = general("naive-softmax")({"U": U.T, "v_c": v_c, "o": 3})
    assert loss == want == 1e4
    np.testing.assert_array_equal(g_v, U[6] - U[3])
    np.testing.assert_array_equal(g_U, grads["U"].T)
    np.testing.assert_array_equal(g_U[[3, 6]], [-v_c, v_c])
    assert not g_U[[0, 1, 2, 4, 5]].any()
