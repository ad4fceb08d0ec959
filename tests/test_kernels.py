from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import cs224n, files, kernels
from derive.codegen import cache

from . import reference
from .reference import evaluate_matrix_form, naive_softmax_rows, normalize_rows

TOL = {np.float32: 2e-5, np.float64: 1e-12}


def _case(rng, V, d, B, dtype, scale=1.0):
    U = (scale * rng.normal(size=(V, d))).astype(dtype)
    V_c = rng.normal(size=(B, d)).astype(dtype)
    o = rng.integers(V, size=B)
    return V_c, o, U


def _assert_close(actual, expected, dtype):
    np.testing.assert_allclose(actual, expected, rtol=TOL[dtype], atol=TOL[dtype])


@settings(max_examples=40, deadline=None)
@given(V=st.integers(1, 9), d=st.integers(1, 6), B=st.integers(1, 5),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_kernels_match_the_hand_written_reference(V, d, B, dtype, seed):
    V_c, o, U = _case(np.random.default_rng(seed), V, d, B, dtype)
    refs = [naive_softmax_rows(V_c[b].astype(float), int(o[b]), U.astype(float)) for b in range(B)]
    loss, gV, gU = kernels.naive_softmax_batch(V_c, o, U)
    assert gV.dtype == gU.dtype == loss.dtype == dtype
    assert gV.shape == (B, d) and gU.shape == (V, d)
    _assert_close(loss, sum(r[0] for r in refs), dtype)
    _assert_close(gV, np.stack([r[1] for r in refs]), dtype)
    _assert_close(gU, sum(r[2] for r in refs), dtype)
    l1, g1, gU1 = kernels.naive_softmax(V_c[0], int(o[0]), U)
    assert g1.dtype == dtype and g1.shape == (d,)
    _assert_close(l1, refs[0][0], dtype)
    _assert_close(g1, refs[0][1], dtype)
    _assert_close(gU1, refs[0][2], dtype)


@pytest.mark.parametrize(("dtype", "scale"), [(np.float64, 1e4), (np.float32, 1e3)])
def test_huge_logits_stay_finite_and_correct(rng, dtype, scale):
    V_c, o, U = _case(rng, 50, 4, 3, dtype, scale=scale)
    loss, gV, gU = kernels.naive_softmax_batch(V_c, o, U)
    assert np.isfinite(loss) and np.isfinite(gV).all() and np.isfinite(gU).all()
    refs = [naive_softmax_rows(V_c[b].astype(float), int(o[b]), U.astype(float)) for b in range(3)]
    np.testing.assert_allclose(loss, sum(r[0] for r in refs), rtol=1e-5)
    np.testing.assert_allclose(gV, np.stack([r[1] for r in refs]), rtol=1e-4, atol=1e-3 * scale)


def test_loss_is_finite_when_yhat_o_underflows():
    U = np.array([[0.0], [1.0]])
    loss, _, _ = kernels.naive_softmax(np.array([2000.0]), 0, U)
    assert loss == pytest.approx(2000.0)


def test_views_and_the_handout_layout_work(rng):
    U_handout = rng.normal(size=(4, 12))  # d × V, columns u_w
    v = rng.normal(size=8)[::2]
    expected = naive_softmax_rows(np.ascontiguousarray(v), 3, np.ascontiguousarray(U_handout.T))
    loss, g, gU = kernels.naive_softmax(v, 3, U_handout.T)
    assert loss == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(g, expected[1], rtol=1e-12)
    np.testing.assert_allclose(gU, expected[2], rtol=1e-12)


V5 = np.ones((5, 3))
v3 = np.ones(3)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: kernels.naive_softmax(v3, 5, V5), r"^o must be in range\(0, 5\) .*got 5$"),
    (lambda: kernels.naive_softmax(v3, -1, V5), r"^o must be in range\(0, 5\) .*got -1$"),
    (lambda: kernels.naive_softmax(v3, 1.0, V5), r"^o must be an int index .*got 1.0$"),
    (lambda: kernels.naive_softmax(v3, True, V5), r"^o must be an int index .*got True$"),
    (lambda: kernels.naive_softmax(np.ones(4), 0, V5), r"^v_c has 4 entries but the rows of U have 3"),
    (lambda: kernels.naive_softmax(np.ones(3, dtype=int), 0, V5), r"^v_c must be a float32 or float64 array .*dtype int64$"),
    (lambda: kernels.naive_softmax(v3, 0, V5.astype(object)), r"^U must be a float32 .*dtype object$"),
    (lambda: kernels.naive_softmax(v3, 0, np.ones((0, 3))), r"^U must be a non-empty array .*shape \(0, 3\)$"),
    (lambda: kernels.naive_softmax(np.ones(0), 0, np.ones((5, 0))), r"^v_c must be a non-empty .*shape \(0,\)$"),
    (lambda: kernels.naive_softmax(np.ones((1, 3)), 0, V5), r"^v_c must be a non-empty array of shape \(d,\); got shape \(1, 3\)$"),
    (lambda: kernels.naive_softmax(v3, 0, np.r_[V5[:4], [[np.nan, 1, 1]]]), r"^the logits .* NaN or inf$"),
    (lambda: kernels.naive_softmax(np.array([np.inf, 0, 0]), 0, V5), r"^the logits .* NaN or inf$"),
    (lambda: kernels.naive_softmax_batch(np.ones((2, 3)), np.array([0, 5]), V5), r"^o must hold indices in range\(0, 5\) .*got 5$"),
    (lambda: kernels.naive_softmax_batch(np.ones((2, 3)), np.array([0, -2]), V5), r"^o must hold indices in range\(0, 5\) .*got -2$"),
    (lambda: kernels.naive_softmax_batch(np.ones((2, 3)), np.array([0.0, 1.0]), V5), r"^o must be an integer array of shape \(2,\)"),
    (lambda: kernels.naive_softmax_batch(np.ones((2, 3)), np.array([0]), V5), r"^o must be an integer array of shape \(2,\), .*got dtype int64, shape \(1,\)$"),
])
def test_bad_input_gets_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_check_finite_false_skips_the_check():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss, _, _ = kernels.naive_softmax(np.array([np.nan, 0, 0]), 0, V5, check_finite=False)
    assert np.isnan(loss)


def test_exported_module_imports_only_numpy_and_agrees(tmp_path, rng):
    path = tmp_path / "k.py"
    files.write_atomic(path, cache.module_source())
    imports = {line.split()[1] for line in path.read_text().splitlines()
               if line.startswith(("import ", "from "))}
    assert imports == {"numpy", "numbers"}
    spec = importlib.util.spec_from_file_location("exported", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    V_c, o, U = _case(rng, 20, 5, 4, np.float64)
    for a, b in zip(mod.naive_softmax_batch(V_c, o, U), kernels.naive_softmax_batch(V_c, o, U),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    negatives = rng.integers(20, size=(len(o), 6))
    exported = mod.neg_sampling_batch(V_c, o, U, negatives)
    refs = [reference.neg_sampling_rows(V_c[b], int(o[b]), U, negatives[b]) for b in range(len(o))]
    assert exported[0] == pytest.approx(sum(r[0] for r in refs), rel=1e-12)
    np.testing.assert_allclose(exported[2], sum(r[2] for r in refs), rtol=1e-12, atol=1e-15)


def test_cached_kernels_load_without_sympy(tmp_path):
    code = ("import sys; from derive.kernels import naive_softmax; import numpy as np; "
            "naive_softmax(np.ones(2), 0, np.ones((3, 2))); print('sympy' in sys.modules)")
    env = {"DERIVE_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert (first.stdout, second.stdout) == ("True\n", "False\n"), first.stderr + second.stderr
    assert len(list(tmp_path.glob("kernels-*.py"))) == 1


def _course_dummy_vectors() -> np.ndarray:
    random.seed(31415)
    np.random.seed(9265)
    return normalize_rows(np.random.randn(10, 3))


def test_course_adapter_on_the_dummy_vectors():
    vectors = _course_dummy_vectors()
    center, outside = vectors[:5], vectors[5:]
    for c, o in [(0, 1), (2, 4), (4, 0)]:
        loss, g_center, g_outside = cs224n.naiveSoftmaxLossAndGradient(center[c], o, outside, None)
        ref = naive_softmax_rows(center[c], o, outside)
        assert loss == pytest.approx(ref[0], rel=1e-12)
        np.testing.assert_allclose(g_center, ref[1], rtol=1e-12)
        np.testing.assert_allclose(g_outside, ref[2], rtol=1e-12)
        k = kernels.naive_softmax(center[c], o, outside)
        assert loss == k[0] and g_center.shape == (3,) and g_outside.shape == (5, 3)


def test_sigmoid_is_stable_and_exact():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = cs224n.sigmoid(np.array([-1000.0, 0.0, 1000.0, 2.0]))
    np.testing.assert_allclose(s, [0.0, 0.5, 1.0, 1 / (1 + np.exp(-2.0))], rtol=1e-15, atol=0)


@pytest.mark.parametrize("B", [1, 3])
def test_out_buffers_receive_the_gradients(rng, B):
    V_c, o, U = _case(rng, 30, 4, B, np.float64)
    expected = kernels.naive_softmax_batch(V_c, o, U)
    bufs = (np.full((B, 4), 7.0), np.full((30, 4), 7.0))
    loss, gV, gU = kernels.naive_softmax_batch(V_c, o, U, out=bufs)
    assert gV is bufs[0] and gU is bufs[1]
    np.testing.assert_allclose(gU, expected[2], rtol=1e-12)
    np.testing.assert_allclose(gV, expected[1], rtol=1e-12)
    single = kernels.naive_softmax(V_c[0], int(o[0]), U, out=(None, bufs[1]))
    np.testing.assert_allclose(bufs[1], kernels.naive_softmax(V_c[0], int(o[0]), U)[2], rtol=1e-12)
    assert single[2] is bufs[1]


@pytest.mark.parametrize(("out", "message"), [
    ([None, None], r"^out must be a tuple of 2 arrays or None .*got list$"),
    ((None, np.empty((5, 2))), r"^out buffer for grad_U must be .* float64 array of shape \(5, 3\); got shape \(5, 2\), dtype float64$"),
    ((None, np.empty((5, 3), dtype=np.float32)), r"^out buffer for grad_U must be .*; got shape \(5, 3\), dtype float32$"),
    ((None, np.empty((3, 5)).T), r"^out buffer for grad_U must be a writeable C-contiguous"),
])
def test_bad_out_buffers(out, message):
    with pytest.raises(ValueError, match=message):
        kernels.naive_softmax(v3, 0, V5, out=out)


@pytest.mark.parametrize(("row", "v"), [
    ([-np.inf, 1, 1], [1.0, 0, 0]),   # a −inf logit: ŷ_w = 0, yet grad_v_c meets 0·∞
    ([np.inf, 1, 1], [-1.0, 0, 0]),   # the same from the other sign
    ([np.inf, 1, 1], [0.0, 1, 1]),    # ∞·0 in the logit itself
    ([1, 1, 1], [np.nan, 1, 1]),
])
def test_every_non_finite_logit_is_caught(row, v):
    U = np.r_[np.ones((4, 3)), [row]]
    with pytest.raises(ValueError, match=r"^the logits U v_c are not all finite"):
        kernels.naive_softmax(np.array(v), 0, U)
    with pytest.raises(ValueError, match=r"^the logits U v_c are not all finite"):
        kernels.naive_softmax_batch(np.array([v, [1.0, 1, 1]]), np.array([0, 1]), U)


def test_kernels_equal_the_derived_expressions_evaluated_directly(naive, rng):
    results = {g.wrt.name: g.result for g in naive.gradients if not g.case}
    for V, d in [(1, 1), (6, 3), (2, 5)]:
        U_handout, v = rng.normal(size=(d, V)), rng.normal(size=d)
        o = int(rng.integers(V))
        _, grad_v, grad_U = kernels.naive_softmax(v, o, U_handout.T)
        np.testing.assert_allclose(grad_v, evaluate_matrix_form(results["v_c"], U_handout, v, o)[:, 0],
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grad_U.T, evaluate_matrix_form(results["U"], U_handout, v, o),
                                   rtol=1e-12, atol=1e-14)


# Negative sampling and skip-gram.

@settings(max_examples=40, deadline=None)
@given(V=st.integers(2, 30), d=st.integers(1, 8), K=st.integers(1, 12),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float32, np.float64]))
def test_neg_sampling_matches_the_hand_written_loop(V, d, K, seed, dtype):
    rng = np.random.default_rng(seed)
    U, v = rng.normal(size=(V, d)), rng.normal(size=d)
    o, negatives = int(rng.integers(V)), rng.integers(V, size=K)  # repeats, even o, allowed
    loss, gv, gU = kernels.neg_sampling(v.astype(dtype), o, U.astype(dtype), negatives)
    ref = reference.neg_sampling_rows(v, o, U, negatives)
    tol = 1e-10 if dtype is np.float64 else 2e-5
    assert gv.dtype == gU.dtype == np.dtype(dtype) and np.asarray(loss).dtype == np.dtype(dtype)
    assert np.isclose(loss, ref[0], rtol=tol)
    np.testing.assert_allclose(gv, ref[1], rtol=tol, atol=tol)
    np.testing.assert_allclose(gU, ref[2], rtol=tol, atol=tol)


@pytest.mark.parametrize("scale", [1e3, -1e3])
def test_neg_sampling_is_finite_for_huge_dot_products(scale):
    U = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    v = np.array([scale, scale])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        loss, gv, gU = kernels.neg_sampling(v, 0, U, np.array([1, 2]))
    assert np.isfinite(loss) and np.isfinite(gv).all() and np.isfinite(gU).all()
    assert loss == pytest.approx(reference.neg_sampling_rows(v, 0, U, np.array([1, 2]))[0])


@pytest.mark.parametrize(("negatives", "message"), [
    (np.array([1, 5]), r"^negatives must hold indices in range\(0, 4\) .*got 5$"),
    (np.array([-1]), r"^negatives must hold indices in range\(0, 4\) .*got -1$"),
    (np.array([1.0]), r"^negatives must be a non-empty 1-D integer array .*dtype float64"),
    (np.array([], dtype=int), r"^negatives must be a non-empty 1-D integer array"),
])
def test_neg_sampling_bad_negatives(negatives, message):
    with pytest.raises(ValueError, match=message):
        kernels.neg_sampling(np.ones(2), 0, np.ones((4, 2)), negatives)


def test_neg_sampling_nan_is_named():
    U = np.ones((4, 2))
    U[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"^u_oᵀv_c or U_negᵀv_c is not finite: v_c or a used row of U holds NaN or inf$"):
        kernels.neg_sampling(np.ones(2), 0, U, np.array([2]))


@settings(max_examples=40, deadline=None)
@given(V=st.integers(1, 30), d=st.integers(1, 8), B=st.integers(1, 9), K=st.integers(1, 12),
       seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float32, np.float64]))
def test_neg_sampling_batch_is_the_sum_of_single_words(V, d, B, K, seed, dtype):
    rng = np.random.default_rng(seed)
    U, V_c = rng.normal(size=(V, d)), rng.normal(size=(B, d))
    o, negatives = rng.integers(V, size=B), rng.integers(V, size=(B, K))
    loss, gV, gU = kernels.neg_sampling_batch(V_c.astype(dtype), o, U.astype(dtype), negatives)
    refs = [reference.neg_sampling_rows(V_c[b], int(o[b]), U, negatives[b]) for b in range(B)]
    tol = 1e-10 if dtype is np.float64 else 2e-5
    assert gV.dtype == gU.dtype == np.asarray(loss).dtype == np.dtype(dtype)
    assert gV.shape == (B, d) and gU.shape == (V, d)
    assert np.isclose(loss, sum(r[0] for r in refs), rtol=tol)
    np.testing.assert_allclose(gV, np.stack([r[1] for r in refs]), rtol=tol, atol=tol)
    np.testing.assert_allclose(gU, sum(r[2] for r in refs), rtol=tol, atol=tol)


def test_neg_sampling_batch_takes_views_and_huge_dot_products():
    U = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    V_c = np.array([[1e4, 1e4], [-1e4, -1e4], [0.0, 0.0]])
    negatives = np.array([[1, 2], [2, 2], [0, 1]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, gV, gU = kernels.neg_sampling_batch(np.asfortranarray(V_c), np.array([0, 1, 2]),
                                                  U.T.copy().T, negatives.T.copy().T)
    refs = [reference.neg_sampling_rows(V_c[b], b, U, negatives[b]) for b in range(3)]
    assert np.isfinite(gV).all() and np.isfinite(gU).all()
    assert loss == pytest.approx(sum(r[0] for r in refs), rel=1e-12)
    np.testing.assert_allclose(gU, sum(r[2] for r in refs), rtol=1e-12)


@pytest.mark.parametrize(("o", "negatives", "message"), [
    (np.array([0, 1]), np.array([1, 2]), r"^negatives must be a non-empty 2-D integer array of "
                                         r"shape \(2, K\).*shape \(2,\)$"),
    (np.array([0, 1]), np.ones((3, 2), int), r"^negatives must .* of shape \(2, K\).*\(3, 2\)$"),
    (np.array([0, 1]), np.ones((2, 2)), r"^negatives must .*dtype float64"),
    (np.array([0, 1]), np.array([[1, 4], [0, 0]]), r"^negatives must hold indices in range\(0, 4\) "
                                                   r".*got 4$"),
    (np.array([0, -1]), np.ones((2, 2), int), r"^o must hold indices in range\(0, 4\) .*got -1$"),
    (np.array([0]), np.ones((2, 2), int), r"^o must be an integer array of shape \(2,\)"),
])
def test_neg_sampling_batch_bad_input(o, negatives, message):
    with pytest.raises(ValueError, match=message):
        kernels.neg_sampling_batch(np.ones((2, 3)), o, np.ones((4, 3)), negatives)


def test_neg_sampling_batch_nan_is_named():
    U = np.ones((4, 2))
    U[3, 0] = np.inf
    with pytest.raises(ValueError, match=r"^u_oᵀv_c or U_negᵀv_c is not finite: v_c or a used row of U holds NaN or inf$"):
        kernels.neg_sampling_batch(np.ones((2, 2)), np.array([0, 1]), U, np.array([[1], [3]]))


def test_skipgram_is_the_sum_over_the_window(rng):
    U, v = rng.normal(size=(9, 4)), rng.normal(size=4)
    outside = np.array([3, 1, 3, 8])
    loss, gv, gU = kernels.skipgram(v, outside, U)
    terms = [reference.naive_softmax_rows(v, int(o), U) for o in outside]
    assert loss == pytest.approx(sum(t[0] for t in terms), rel=1e-12)
    np.testing.assert_allclose(gv, sum(t[1] for t in terms), rtol=1e-10)
    np.testing.assert_allclose(gU, sum(t[2] for t in terms), rtol=1e-10)
    negatives = rng.integers(9, size=(4, 5))
    loss, gv, gU = kernels.skipgram(v, outside, U, negatives=negatives)
    terms = [reference.neg_sampling_rows(v, int(o), U, n) for o, n in zip(outside, negatives,
                                                                          strict=True)]
    assert loss == pytest.approx(sum(t[0] for t in terms), rel=1e-12)
    np.testing.assert_allclose(gU, sum(t[2] for t in terms), rtol=1e-10, atol=1e-12)


def test_the_cache_key_follows_the_shipped_loss_files(tmp_path, monkeypatch):
    """The built-in problems' losses are loss files: editing one must regenerate the kernels."""
    import shutil

    package = tmp_path / "derive"
    shutil.copytree(Path(cache.__file__).parent.parent, package,
                    ignore=shutil.ignore_patterns("__pycache__", "templates"))
    monkeypatch.setattr(cache, "_PACKAGE", package)
    before = cache.cache_key()
    shipped = package / "steps" / "losses" / "naive-softmax.tex"
    shipped.write_text(shipped.read_text(encoding="utf-8") + "% edited\n", encoding="utf-8")
    assert cache.cache_key() != before
