from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from derive.verify import draws as draws_


def test_draws_give_each_problem_the_first_draw_and_the_generator_after_it():
    draws = draws_.Draws(9)
    rng, U = draws.start(7, 3)
    fresh = np.random.default_rng(9)
    np.testing.assert_array_equal(U, fresh.normal(size=(7, 3)))
    again, same = draws.start(7, 3)
    assert same is U
    assert again.normal() == fresh.normal() == rng.normal()


def test_a_prefetched_u_is_the_same_draw_and_the_generator_goes_on_after_it():
    early, late = draws_.Draws(11), draws_.Draws(11)
    early.prefetch(300, 40)
    rng, U = early.start(300, 40)
    rng_late, U_late = late.start(300, 40)
    np.testing.assert_array_equal(U, U_late)
    assert rng.normal() == rng_late.normal()
    assert early.start(300, 40)[1] is U


def test_a_prefetch_of_another_shape_is_dropped_for_a_fresh_draw():
    draws = draws_.Draws(12)
    draws.prefetch(5, 4)
    _, U = draws.start(6, 4)
    np.testing.assert_array_equal(U, np.random.default_rng(12).normal(size=(6, 4)))


def test_a_prefetch_that_failed_raises_where_u_is_asked_for():
    draws = draws_.Draws(13)
    draws.prefetch(-1, 4)  # NumPy refuses a negative size, in the thread
    with pytest.raises(ValueError, match="negative dimensions"):
        draws.start(-1, 4)


@pytest.mark.parametrize(("names", "V", "d", "mode", "drawn"), [
    ([], 50_000, 300, "auto", True), (["skip-gram"], 4096, 256, "directional", True),
    (["naive-softmax"], 4096, 256, "auto", True), ([], 4096, 256, "coordinate", False),
    (["sigmoid", "leaky-relu"], 50_000, 300, "auto", None), ([], 20, 5, "auto", None),
    ([], 0, 300, "auto", None)])
def test_early_draws_only_a_large_u_that_the_run_needs(names, V, d, mode, drawn, monkeypatch):
    """U, then its directions unless every check is by coordinates."""
    started: list[tuple[int, int, bool]] = []
    monkeypatch.setattr(draws_.Draws, "prefetch", lambda self, V, d, *, directions:
                        started.append((V, d, directions)))
    draws = draws_.early(names, 3, V, d, mode)
    assert draws.seed == 3 and started == ([(V, d, drawn)] if drawn is not None else [])


def test_a_shapes_directions_do_not_depend_on_what_was_asked_before():
    first, second = draws_.Draws(4).directions, draws_.Draws(4).directions
    first.of((3,))
    a, b = first.of((6, 2)), second.of((6, 2))
    assert all(np.array_equal(x.q, y.q) and x.norm == y.norm for x, y in zip(a, b, strict=True))
    other = draws_.Draws(5).directions.of((6, 2))
    assert not all(np.array_equal(x.q, y.q) for x, y in zip(a, other, strict=True))


def test_prefetched_u_and_directions_are_the_same_numbers():
    """The threads draw U and its directions: the same numbers a run that draws them itself
    makes, and the generator goes on where the draw of U leaves it."""
    V, d = 3000, 70
    early, late = draws_.Draws(8), draws_.Draws(8)
    early.prefetch(V, d, directions=True)
    (rng_e, U_e), (rng_l, U_l) = early.start(V, d), late.start(V, d)
    fresh = np.random.default_rng(8)
    np.testing.assert_array_equal(U_e, fresh.normal(size=(V, d)))
    np.testing.assert_array_equal(U_l, U_e)
    assert rng_e.integers(V) == rng_l.integers(V) == fresh.integers(V)
    a, b = early.directions.of((V, d)), late.directions.of((V, d))
    assert all(np.array_equal(x.q, y.q) and x.norm == y.norm for x, y in zip(a, b, strict=True))


def test_draws_import_no_sympy():
    code = "import sys\nfrom derive.verify import draws\nprint('sympy' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "False"


def test_u_in_a_kernels_dtype_is_one_copy_for_the_run():
    draws = draws_.Draws(14)
    _, U = draws.start(40, 6)
    first, later = draws.converted(40, 6, np.dtype(np.float32)), draws.converted(
        40, 6, np.dtype(np.float32))
    assert first() is later() and first().dtype == np.float32
    np.testing.assert_array_equal(first(), U.astype(np.float32))
    assert draws.converted(40, 6, np.dtype(np.float64))() is U
    _, other = draws.start(41, 6)  # a new U: the old copy goes with the old U
    assert first() is not later() and later().shape == (40, 6)
    np.testing.assert_array_equal(draws.converted(41, 6, np.dtype(np.float32))(),
                                  other.astype(np.float32))
