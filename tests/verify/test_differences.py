from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.verify import differences

shapes = st.sampled_from([(1,), (7,), (3, 4), (50, 6), (2, 3, 5)])


def _quadratic(shape, seed):
    """f(x) = Σ a·x³/3 + b·x: central differences have error h²·a·r³ per direction, tiny."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=shape), rng.normal(size=shape)

    def f(x):
        return float(np.sum(a * x**3 / 3 + b * x))
    return rng.normal(size=shape), f, lambda x: a * x**2 + b


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_directional_matches_the_gradient_and_puts_x_back(shape, seed):
    x, f, grad = _quadratic(shape, seed)
    before = x.copy()
    rng = np.random.default_rng(seed + 1)
    rs = [differences.draw(rng, shape) for _ in range(4)]
    numeric = differences.directional(f, x, rs, h=1e-4)
    analytic = np.array([differences.inner(grad(before), r) for r in rs])
    np.testing.assert_allclose(numeric, analytic, rtol=1e-6, atol=1e-8)
    # Moved in place and back: exact wherever x ± s is representable, else within an ulp or two.
    drift = np.abs(x - before)
    assert drift.max() <= 4 * np.finfo(float).eps * max(1.0, np.abs(before).max())
    assert (drift == 0).mean() >= 0.75


def test_directional_moves_x_itself_and_restores_it_when_the_loss_raises():
    x = np.random.default_rng(0).normal(size=(40, 3))
    before, seen = x.copy(), []

    def f(y):
        seen.append(y is x or np.shares_memory(y, x))
        raise ZeroDivisionError("student code")

    r = differences.draw(np.random.default_rng(1), x.shape)
    with pytest.raises(ZeroDivisionError, match="^student code$"):
        differences.directional(f, x, [r], h=1e-4)
    assert seen == [True]
    np.testing.assert_allclose(x, before, rtol=0, atol=1e-15)


def test_directional_copies_an_x_that_is_not_float64():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    r = differences.draw(np.random.default_rng(2), x.shape)
    got = differences.directional(lambda y: float(np.sum(y**2)), x, [r], h=1e-4)
    assert x.dtype == np.float32 and np.array_equal(x, np.arange(12).reshape(3, 4))
    assert got[0] == pytest.approx(differences.inner(2 * x.astype(float), r), rel=1e-7)


def test_chunks_cover_an_x_larger_than_the_buffer(monkeypatch):
    monkeypatch.setattr(differences, "CHUNK", 7)  # many chunks, the last one short
    x, f, grad = _quadratic((10, 5), 3)
    before = x.copy()
    rs = [differences.draw(np.random.default_rng(4), x.shape)]
    got = differences.directional(f, x, rs, h=1e-4)[0]
    assert got == pytest.approx(differences.inner(grad(before), rs[0]), rel=1e-6)
    np.testing.assert_allclose(x, before, rtol=0, atol=1e-15)


def test_a_wrong_gradient_is_off_along_a_direction():
    x, f, grad = _quadratic((30, 4), 5)
    wrong = grad(x).copy()
    wrong[7, 2] += 1.0  # one entry of 120
    rs = [differences.draw(np.random.default_rng(6), x.shape) for _ in range(4)]
    numeric = differences.directional(f, x, rs, h=1e-4)
    errors = np.abs([differences.inner(wrong, r) for r in rs] - numeric)
    assert errors.max() > 1e-4  # the check takes the worst direction; tolerance 1e-5


@settings(max_examples=30, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_draw_gives_int8_directions_with_their_norm(shape, seed):
    r = differences.draw(np.random.default_rng(seed), shape)
    assert r.q.dtype == np.int8 and r.q.shape == shape
    assert r.q.min() >= -128 and r.q.max() <= 127  # every int8 value
    assert r.norm == pytest.approx(float(np.linalg.norm(r.q.astype(float))), rel=1e-12)
    assert r.norm > 0


@settings(max_examples=30, deadline=None)
@given(shape=st.sampled_from([(1,), (3,), (5, 7), (2, 3, 5), (1001, 3)]),
       seed=st.integers(0, 2**32 - 1))
def test_a_direction_is_the_generators_raw_bytes_and_leaves_it_where_bytes_does(shape, seed):
    """draw takes rng.bytes' numbers without its copies: the same q, and the generator left in
    the same state (every later draw of a seed is the same)."""
    rng, reference = np.random.default_rng(seed), np.random.default_rng(seed)
    r = differences.draw(rng, shape)
    size = int(np.prod(shape))
    expected = np.frombuffer(reference.bytes(size), dtype=np.int8).reshape(shape)
    if not expected.any():  # draw tries again when q = 0
        return
    assert np.array_equal(r.q, expected)
    assert rng.bit_generator.state == reference.bit_generator.state


@settings(max_examples=20, deadline=None)
@given(rows=st.lists(st.integers(0, 1499), max_size=5), seed=st.integers(0, 2**32 - 1))
def test_inners_of_a_gradient_of_a_few_rows(rows, seed):
    """Blocks of zeros are skipped (they add exactly +0): the inner products are still those of
    the whole array, and an all-zero one gives +0, not −0."""
    rng = np.random.default_rng(seed)
    a = np.zeros((1500, 100))  # several of inners' blocks
    a[rows] = rng.normal(size=(len(rows), 100))
    rs = [differences.draw(rng, a.shape) for _ in range(3)]
    got = differences.inners(a, rs)
    expected = [float(a.ravel() @ r.q.ravel().astype(float)) / r.norm for r in rs]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    if not rows:
        assert all(np.copysign(1.0, g) == 1.0 and g == 0.0 for g in got)
    assert np.array_equal(differences.inners(a.T.copy().T, rs), got)  # strided: the same


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 1500), n=st.sampled_from([1, 3, 100, 70_000]),
       seed=st.integers(0, 2**32 - 1))
def test_outer_inners_are_the_inner_products_of_the_matrix_never_made(m, n, seed):
    """⟨a·bᵀ, r⟩ from a and b: the inner products of the matrix itself, for one block of q's
    rows or several, the last one short (CHUNK // n rows a block)."""
    if m * n > 2_000_000:
        m = max(1, 2_000_000 // n)
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=m), rng.normal(size=n)
    rs = [differences.draw(rng, (m, n)) for _ in range(3)]
    got = differences.outer_inners(a, b, rs)
    expected = differences.inners(np.multiply.outer(a, b), rs)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12 * np.abs(a).max()
                               * np.abs(b).max() * m * n)
    swapped = differences.outer_inners(b, a, [differences.Direction(r.q.T, r.norm) for r in rs])
    np.testing.assert_allclose(swapped, got, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inner_reads_views_and_float32_without_copying_wrongly(dtype):
    rng = np.random.default_rng(7)
    a = rng.normal(size=(6, 9)).astype(dtype)
    r = differences.draw(rng, (9, 6))
    expected = float(np.sum(a.T.astype(float) * r.q)) / r.norm
    assert differences.inner(a.T, r) == pytest.approx(expected, rel=1e-12)


def test_coordinates_is_the_central_difference_of_every_entry():
    x, f, grad = _quadratic((4, 3), 8)
    before = x.copy()
    got = differences.coordinates(f, x, h=1e-4)
    np.testing.assert_allclose(got, grad(before), rtol=1e-6, atol=1e-8)
    assert np.array_equal(x, before)


def test_the_runner_and_differences_import_no_sympy():
    code = ("import sys; import derive.verify.runner, derive.verify.differences; "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
