"""The kernel printer on its own: one word's softmax split into blocks of U's rows, and losses
other than the course's (a temperature, regularisers) printed into kernels that match hand-written
ones."""
from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import codegen, engine, problems
from derive import notation as n
from derive.errors import CodegenError

from ..reference import naive_softmax_rows
from . import require_loops

TOL = {np.float32: 3e-5, np.float64: 1e-11}
LAM, T, MU = sp.symbols("lambda T mu", positive=True)


WRAPPERS = (Path(codegen.__file__).parent / "wrappers.py").read_text()


def _namespace(compiled: bool) -> dict:
    """What a printed kernel runs in (the helpers of wrappers.py); without derive's compiled
    loops (`compiled` False), one word takes the blocked NumPy pass, which these tests split."""
    namespace = {"np": np, "numpy": np}
    exec(WRAPPERS, namespace)  # noqa: S102
    if not compiled:
        namespace["_loops"] = None
    else:
        require_loops(namespace["_loops"])
    return namespace


def _kernel(loss: engine.Loss, *, compiled: bool = False, **options):
    namespace = _namespace(compiled)
    exec(codegen.source(engine.derive(loss), "kernel", **options), namespace)  # noqa: S102
    return namespace["kernel"]


@cache
def _naive_in_blocks(block_bytes: int):
    return _kernel(problems.get("naive-softmax").make_loss(), block_bytes=block_bytes)


def _close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=TOL[dtype], atol=TOL[dtype])


@settings(max_examples=60, deadline=None)
@given(V=st.integers(1, 40), d=st.integers(1, 6), block_bytes=st.sampled_from([1, 24, 64, 400]),
       spread=st.floats(0, 3), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**32 - 1))
def test_one_word_in_blocks_equals_the_whole_softmax(V, d, block_bytes, spread, dtype, seed):
    """Blocks of 1 row up to all of them, their logits 10^±spread apart: the per-block maxima
    rescaled to the overall one give the whole softmax's loss and gradients."""
    rng = np.random.default_rng(seed)
    U = (rng.normal(size=(V, d)) * 10 ** rng.uniform(-spread, spread, size=(V, 1))).astype(dtype)
    v_c = rng.normal(size=d).astype(dtype)
    o = int(rng.integers(V))
    loss, grad_v, grad_U = _naive_in_blocks(block_bytes)(v_c[None, :], np.array([o]), U)
    ref_loss, ref_v, ref_U = naive_softmax_rows(v_c.astype(float), o, U.astype(float))
    assert loss.dtype == grad_v.dtype == grad_U.dtype == dtype
    scale = max(1.0, float(np.abs(U).max()) * float(np.abs(v_c).max()))
    np.testing.assert_allclose(loss[0], ref_loss, rtol=TOL[dtype], atol=TOL[dtype] * scale)
    _close(grad_v[0], ref_v, dtype)
    _close(grad_U, ref_U, dtype)


def test_blocks_far_below_the_largest_logit_vanish_without_nan():
    """One block's logits 1e4 above the others': their weights exp(m_k − m) underflow to 0."""
    U = np.zeros((6, 2))
    U[4] = [1e4, 0]
    v_c = np.array([1.0, 1.0])
    loss, grad_v, grad_U = _naive_in_blocks(16)(v_c[None, :], np.array([0]), U)  # 1 row a block
    assert loss[0] == pytest.approx(1e4)
    np.testing.assert_array_equal(grad_v[0], U[4] - U[0])
    np.testing.assert_array_equal(grad_U[[0, 4]], [-v_c, v_c])


def test_a_nan_in_any_block_is_reported():
    U = np.ones((9, 2))
    U[7, 1] = np.nan
    with pytest.raises(ValueError, match=r"^the logits U v_c are not all finite: v_c or U holds "
                                         r"NaN or inf$"):
        _naive_in_blocks(16)(np.ones((1, 2)), np.array([0]), U)


def _softmax_rows(V_c, o, U, scale=1.0):
    """Per-sample (losses, ∂/∂v_c rows, ∂/∂U summed) of −log softmax(scale·U v_c)_o."""
    refs = [naive_softmax_rows(scale * v, int(w), U) for v, w in zip(V_c, o, strict=True)]
    return (np.array([r[0] for r in refs]), np.stack([scale * r[1] for r in refs]),
            sum(r[2] for r in refs))  # r[2] = δ (scale·v_c)ᵀ already


LOSSES = {
    "temperature": (engine.Loss("temp", engine.neg_log_softmax(),
                                engine.Softmax(lambda x: engine.logit(x) / T)), {"T": 0.5},
                    lambda V_c, o, U: _softmax_rows(V_c, o, U, scale=2.0)),
    "l2 on v_c": (engine.Loss("l2", engine.neg_log_softmax() + LAM / 2 * engine.norm_sq(n.v_c),
                              engine.Softmax(engine.logit)), {"lambda_": 0.3},
                  lambda V_c, o, U: _plus(_softmax_rows(V_c, o, U),
                                          0.15 * (V_c**2).sum(axis=1), 0.3 * V_c, 0)),
    "Frobenius on U": (engine.Loss("frob", engine.neg_log_softmax() + MU / 2 * engine.norm_sq(n.U),
                                   engine.Softmax(engine.logit), column_cases=False), {"mu": 0.7},
                       lambda V_c, o, U: _plus(_softmax_rows(V_c, o, U),
                                               0.35 * (U**2).sum(), 0, 0.7 * len(V_c) * U)),
}


def _plus(ref, loss, grad_v, grad_U):
    return ref[0] + loss, ref[1] + grad_v, ref[2] + grad_U


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("B, compiled", [(1, False), (1, True), (4, False)])
def test_other_losses_print_into_kernels_that_match_hand_written_ones(name, B, compiled, rng):
    """One word by the compiled loop (a temperature's logits are those of v_c / T) and by blocks
    of 2 rows, and a batch."""
    loss, params, reference = LOSSES[name]
    kernel = _kernel(loss, compiled=compiled, block_bytes=48)
    V_c, o, U = rng.normal(size=(B, 3)), rng.integers(11, size=B), rng.normal(size=(11, 3))
    for got, want in zip(kernel(V_c, o, U, **params), reference(V_c, o, U), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_parameter_the_kernel_would_overwrite_is_refused():
    m = sp.Symbol("m", positive=True)
    loss = engine.Loss("shadow", engine.neg_log_softmax(),
                       engine.Softmax(lambda x: engine.logit(x) / m))
    with pytest.raises(CodegenError, match=r"^a loss parameter named m would be overwritten by "
                                           r"the kernel's own variable of that name: rename the "
                                           r"symbol$"):
        codegen.source(engine.derive(loss), "kernel")


@pytest.mark.parametrize("compiled", [False, True])
def test_yhat_used_outside_its_delta_is_normalised_and_not_overwritten(compiled, rng):
    # No loss the engine writes has ŷ outside ŷ − y in a gradient, so this one is made by hand:
    # dJ/dU = v_c ŷᵀ + v_c (ŷ − y)ᵀ needs ŷ itself (e / z) and e − zy on a copy of e, not in place.
    naive = engine.derive(problems.get("naive-softmax").make_loss())
    v, yhat = n.v_c.matrix, n.y_hat.matrix
    gradients = tuple(
        replace(g, steps=(*g.steps, engine.Step(sp.MatAdd(v * yhat.T, g.result), "by hand",
                                                matrix=True)))
        if g.wrt is n.U and not g.case else g for g in naive.gradients)
    namespace = _namespace(compiled)
    exec(codegen.source(replace(naive, gradients=gradients), "kernel", block_bytes=48),  # noqa: S102
         namespace)
    for B in (1, 4):
        V_c, o, U = rng.normal(size=(B, 3)), rng.integers(11, size=B), rng.normal(size=(11, 3))
        refs = [naive_softmax_rows(v_c, int(w), U) for v_c, w in zip(V_c, o, strict=True)]
        want = sum(r[2] + np.outer(_softmax(U @ v_c), v_c)
                   for r, v_c in zip(refs, V_c, strict=True))
        losses, grad_v, grad_U = namespace["kernel"](V_c, o, U)
        np.testing.assert_allclose(grad_U, want, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grad_v, [r[1] for r in refs], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(losses, [r[0] for r in refs], rtol=1e-12)


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()
