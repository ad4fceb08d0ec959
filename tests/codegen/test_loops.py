"""derive.codegen._loops, the one-word kernels' compiled loops, on their own: the values NumPy
computes, NaN and inf passed on, any buffer they cannot take refused; and derive.kernels calling
them only where they take the arrays."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import kernels

from . import require_loops

try:
    from derive.codegen import _loops
except ImportError:  # pragma: no cover - CI builds it: see require_loops
    _loops = None


@pytest.fixture(autouse=True)
def _built() -> None:
    require_loops(_loops)


DTYPES = st.sampled_from([np.float32, np.float64])
TOL = {np.float32: 2e-5, np.float64: 1e-12}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), V=st.integers(1, 200), d=st.integers(1, 40), dtype=DTYPES,
       scale=st.sampled_from([1e-2, 1.0, 20.0]), rising=st.booleans())
def test_softmax_rows_is_the_shifted_softmax_numpy_computes(seed, V, d, dtype, scale, rising):
    rng = np.random.default_rng(seed)
    U = (rng.normal(size=(V, d)) * scale).astype(dtype)
    v = rng.normal(size=d).astype(dtype)
    if rising:  # the running maximum rises in every chunk: each rescale is exercised
        U = U[np.argsort(U @ v)].copy()
    s, acc = np.empty(V, dtype), np.empty(d, dtype)
    m, z = _loops.softmax_rows(U, v, s, acc)
    logits = U.astype(float) @ v.astype(float)
    e = np.exp(logits - logits.max())
    tol = TOL[dtype]
    big = float(np.abs(U).max() * np.abs(v).sum()) + 1
    np.testing.assert_allclose(s, logits, rtol=tol, atol=tol * big)
    assert m == pytest.approx(logits.max(), rel=tol, abs=tol * big)
    # z and acc are relative to the m found, which is exp(m - max) times the exact ones
    shift = np.exp(logits.max() - m)
    assert z == pytest.approx(e.sum() * shift, rel=50 * tol)
    np.testing.assert_allclose(acc, e @ U.astype(float) * shift, rtol=50 * tol,
                               atol=50 * tol * float(np.abs(U).max()) * e.sum())
    m2, z2 = _loops.softmax_rows(U, v, s, None)  # no accumulation: the same maximum and sum
    assert (m2, z2) == (m, z)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), V=st.integers(1, 50), d=st.integers(1, 40), dtype=DTYPES)
def test_outer_writes_every_row_as_numpy_outer(seed, V, d, dtype):
    rng = np.random.default_rng(seed)
    c, a = rng.normal(size=V).astype(dtype), rng.normal(size=d).astype(dtype)
    out = np.full((V, d), np.nan, dtype)
    _loops.outer(c, a, out)
    np.testing.assert_array_equal(out, np.outer(c, a))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_a_non_finite_entry_is_passed_on_as_numpy_passes_it(bad, sign):
    """NaN or ±inf in U: z and acc are NaN (or not) where NumPy's shifted softmax has them so,
    e.g. a −inf logit gives e_w = 0 and z finite, but 0·inf in acc: what the kernels' finiteness
    check (of the log-sum-exp and grad_v_c) reads."""
    U = np.ones((70, 3))
    U[40, 1] = bad
    v = np.array([1.0, sign, 0.5])
    acc = np.empty(3)
    m, z = _loops.softmax_rows(U, v, np.empty(70), acc)
    with np.errstate(invalid="ignore"):
        logits = U @ v
        e = np.exp(logits - logits.max())
        want = (logits.max(), e.sum(), e @ U)
    assert np.isnan(z) == np.isnan(want[1])
    assert np.isnan(acc).tolist() == np.isnan(want[2]).tolist()
    assert not (np.isfinite(m + np.log(z)) and np.isfinite(acc).all())


def test_buffers_it_cannot_take_are_refused():
    f8, f4 = np.ones((3, 2)), np.ones((3, 2), np.float32)
    with pytest.raises(ValueError, match="not C-contiguous"):
        _loops.softmax_rows(np.ones((2, 3)).T, np.ones(2), np.empty(3), None)
    with pytest.raises(ValueError, match="all float32 or all float64"):
        _loops.softmax_rows(f4, np.ones(2), np.empty(3), None)
    with pytest.raises(ValueError, match="all float32 or all float64"):
        _loops.outer(np.ones(3), np.ones(2), f8.astype(">f8"))
    with pytest.raises(ValueError, match="all float32 or all float64"):
        _loops.outer(np.ones(3, np.int64), np.ones(2), f8)
    with pytest.raises(ValueError, match=r"^softmax_rows: U must hold len\(s\) rows"):
        _loops.softmax_rows(f8, np.ones(2), np.empty(4), None)
    with pytest.raises(ValueError, match=r"^softmax_rows: U must hold len\(s\) rows"):
        _loops.softmax_rows(f8, np.ones(2), np.empty(3), np.empty(3))
    with pytest.raises(ValueError, match=r"^outer: out must hold len\(c\) rows"):
        _loops.outer(np.ones(3), np.ones(3), f8)
    readonly = np.ones((3, 2))
    readonly.setflags(write=False)
    with pytest.raises((ValueError, BufferError)):
        _loops.outer(np.ones(3), np.ones(2), readonly)


class _Spy:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def softmax_rows(self, *args):  # type: ignore[no-untyped-def]
        self.calls.append("softmax_rows")
        return _loops.softmax_rows(*args)

    def outer(self, *args):  # type: ignore[no-untyped-def]
        self.calls.append("outer")
        return _loops.outer(*args)


@pytest.mark.parametrize("layout, calls", [
    ("rows", ["softmax_rows", "outer"]),
    ("handout.T", ["outer"]),  # the d×V handout's U transposed: a view, not C-contiguous
    ("every other row", ["outer"]),
])
def test_the_kernels_call_the_loops_only_where_they_take_the_arrays(layout, calls, monkeypatch):
    """U as C-contiguous (V, d) rows is read by the compiled loop, else by NumPy's blocks; grad_U
    is written by the compiled loop (its buffer is C-contiguous, as out= must be): the same
    values each way."""
    rng = np.random.default_rng(3)
    big = rng.normal(size=(100, 4))
    rows = big[::2].copy()
    U = {"rows": rows, "handout.T": np.asfortranarray(rows), "every other row": big[::2]}[layout]
    v = rng.normal(size=4)
    want = kernels.naive_softmax(v, 7, rows)
    spy = _Spy()
    monkeypatch.setitem(kernels._ns, "_loops", spy)
    got = kernels.naive_softmax(v, 7, U)
    assert spy.calls == calls
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-15)
