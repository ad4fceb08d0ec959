from __future__ import annotations

import weakref

import numpy as np
import pytest

from derive.verify import gradcheck, plan


def _loss(calls):
    def f(x):
        calls.append(1)
        return float(np.sum(np.sin(x)))
    return f


def _case(loss, x, gradient, name="g", **kw):
    return plan.Case("derived expression", name, "x", loss, x, gradient,
                     np.dtype(np.float64), **kw)


def _run(cases, mode, seed=0, **kw):
    return plan.run("p", cases, 10, lambda _: 10**9, mode, np.random.default_rng(seed),
                    lambda _: None, **kw)


@pytest.mark.parametrize("mode", ["coordinate", "directional"])
def test_cases_of_one_loss_and_point_share_its_differences(mode):
    calls, x = [], np.random.default_rng(1).normal(size=(4, 3))
    loss = _loss(calls)
    cases = [_case(loss, x, lambda: np.cos(x), "right"),
             _case(loss, x, lambda: -np.cos(x), "sign flipped")]
    right, flipped = _run(cases, mode)
    per_loss = 2 * (x.size if mode == "coordinate" else gradcheck.DIRECTIONS)
    assert len(calls) == per_loss  # once, not once a case
    assert right.passed and not flipped.passed
    assert flipped.max_rel_error > 0.1


def test_another_point_is_differenced_again():
    calls, x = [], np.ones(3)
    loss, y = _loss(calls), x.copy()
    _run([_case(loss, x, lambda: np.cos(x)), _case(loss, y, lambda: np.cos(y))], "directional")
    assert len(calls) == 4 * gradcheck.DIRECTIONS


def test_gradients_are_made_one_at_a_time_after_every_difference():
    x = np.random.default_rng(2).normal(size=(5, 2))
    events, alive = [], []

    def loss(y):
        events.append("loss")
        return float(np.sum(np.sin(y)))

    def gradient():
        assert all(ref() is None for ref in alive)  # the previous one has gone
        events.append("gradient")
        g = np.cos(x)
        alive.append(weakref.ref(g))
        return g

    checks = _run([_case(loss, x, gradient), _case(loss, x.copy(), gradient)], "directional",
                  release=lambda: events.append("release"))
    assert all(c.passed for c in checks)
    first_gradient = events.index("gradient")
    assert events[first_gradient - 1] == "release" and "loss" not in events[first_gradient:]


@pytest.mark.parametrize("mode", ["coordinate", "directional"])
def test_a_sum_is_checked_term_by_term_and_a_wrong_term_fails(mode):
    x = np.random.default_rng(3).normal(size=(3, 4))
    loss = _loss([])
    halves = (lambda: np.cos(x) / 2, lambda: np.cos(x) / 2)
    wrong = (lambda: np.cos(x) / 2, lambda: np.cos(x))
    bad_shape = (lambda: np.cos(x) / 2, lambda: np.cos(x).T / 2)
    checks = _run([_case(loss, x, lambda: plan.Sum(halves)),
                   _case(loss, x, lambda: plan.Sum(wrong)),
                   _case(loss, x, lambda: plan.Sum(bad_shape))], mode)
    assert [c.passed for c in checks] == [True, False, False]
    assert checks[2].max_rel_error == float("inf")


def test_a_case_alone_draws_its_own_directions_and_still_fails_a_wrong_gradient():
    x = np.random.default_rng(4).normal(size=(6, 2))
    loss = _loss([])
    wrong = np.cos(x)
    wrong[5, 1] += 1.0
    right_check, wrong_check = _run([_case(loss, x, lambda: np.cos(x), alone=True),
                                     _case(loss, x, lambda: wrong, alone=True)], "directional")
    assert right_check.passed and right_check.mode == "directional"
    assert not wrong_check.passed


def test_parts_reads_a_result_once_and_lets_it_go_after_the_last_reader():
    made = []

    def make():
        made.append(1)
        return "loss", np.ones(2), np.zeros(3)

    first, second = plan.parts(make, 1, 2)
    assert first().tolist() == [1.0, 1.0] and second().tolist() == [0.0, 0.0, 0.0]
    assert made == [1]
    first()  # a new round computes it again: nothing is kept past the last reader
    assert made == [1, 1]


def test_differences_of_the_rows_a_loss_reads_are_those_of_all_of_x():
    rng = np.random.default_rng(4)
    x, rows = rng.normal(size=(30, 3)), np.array([2, 5, 11])

    def J(y):
        return float(np.sum(np.sin(y[rows])))

    rs = gradcheck.Directions(np.random.default_rng(5)).of(x.shape)
    whole = gradcheck.numeric_directional(J, x.copy(), rs)
    sub = gradcheck.numeric_directional(lambda s: float(np.sum(np.sin(s))), x[rows].copy(),
                                        [plan.differences.restricted(r, rows) for r in rs])
    np.testing.assert_array_equal(whole, sub)


def test_losses_of_one_x_share_its_moves_and_give_each_its_own_differences():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 2))
    rs = gradcheck.Directions(np.random.default_rng(7)).of(x.shape)
    fs = [lambda y: float(np.sum(np.sin(y))), lambda y: float(np.sum(y ** 3))]
    both = gradcheck.numeric_directional_many(fs, x, rs)
    for j, f in enumerate(fs):
        np.testing.assert_array_equal(both[:, j], gradcheck.numeric_directional(f, x, rs))


def test_a_kernel_whose_loss_is_not_J_fails_even_with_the_right_gradient():
    x = np.random.default_rng(8).normal(size=(4, 3))

    def J(y):
        return float(np.sum(np.sin(y)))

    def kernel_loss(y):
        return J(y) + 1e-3  # the gradient is J's; the loss is not

    ok = plan.Case("kernel", "k", "x", J, x, lambda: np.cos(x), np.dtype(np.float64), fast=J)
    bad = plan.Case("kernel", "k", "x", kernel_loss, x, lambda: np.cos(x),
                    np.dtype(np.float64), fast=J)
    own = plan.Case("kernel", "k", "x", J, x, lambda: np.cos(x), np.dtype(np.float64), fast=J,
                    own=lambda: J(x) * 1.01)
    right, wrong, wrong_own = _run([ok, bad, own], "directional")
    assert right.passed and not wrong.passed and not wrong_own.passed
    assert wrong.max_rel_error == pytest.approx(1e-3 / max(1.0, abs(J(x))), rel=1e-3)
