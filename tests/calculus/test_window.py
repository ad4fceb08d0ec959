"""Skip-gram: the pair loss summed over a context window (derive/calculus/window.py)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import engine, printing, problems
from derive import notation as n
from derive.calculus import window
from derive.calculus.check import trace
from derive.render import report

from ..reference import evaluate_matrix_form, naive_softmax


@pytest.fixture(scope="module")
def skipgram() -> engine.Derivation:
    return engine.derive(problems.get("skip-gram").make_loss())


def _by(derivation: engine.Derivation, key: str) -> engine.Gradient:
    return next(g for g in derivation.gradients if g.key == key)


def test_chains_are_linearity_then_the_pair_gradient(skipgram):
    assert [g.key for g in skipgram.gradients] == ["v_c", "U", "v_w (w != c)"]
    assert [s.rule for s in _by(skipgram, "U").steps] == [
        "derivative", "linearity", "the naive-softmax gradient"]
    assert [s.rule for s in _by(skipgram, "v_w (w != c)").steps] == [
        "derivative", "linearity", "only the centre word's vector occurs in J"]
    assert [s.rule for s in skipgram.loss_steps] == ["definition", "the naive-softmax loss"]


def test_results_read_as_sums_of_the_pair_gradients(skipgram):
    texts = {g.key: printing.text(g.result) for g in skipgram.gradients}
    assert texts == {"v_c": "Σ_{-m≤j≤m, j≠0} U(ŷ - y_(w_{t+j}))",
                     "U": "Σ_{-m≤j≤m, j≠0} v_c(ŷ - y_(w_{t+j}))ᵀ",
                     "v_w (w != c)": "0"}
    # In terms of the pair loss's gradients, as the course asks, one step before.
    linear = _by(skipgram, "U").steps[1].expr
    assert printing.text(linear) == "Σ_{-m≤j≤m, j≠0} ∂J(v_c, w_{t+j}, U)/∂U"
    assert r"\frac{\partial J_{\text{skip-gram}}}{\partial \mathbf{U}}" in report.latex(skipgram)


@settings(max_examples=20, deadline=None)
@given(V=st.integers(1, 6), d=st.integers(1, 4), size=st.integers(1, 6),
       seed=st.integers(0, 2**32 - 1))
def test_results_equal_the_sum_of_hand_written_pair_gradients(skipgram, V, d, size, seed):
    rng = np.random.default_rng(seed)
    U, v = rng.normal(size=(d, V)), rng.normal(size=d)
    outside = rng.integers(V, size=size)
    want_v = sum(naive_softmax(v, int(o), U)[0] for o in outside)
    want_U = sum(naive_softmax(v, int(o), U)[1] for o in outside)
    for key, want in (("v_c", want_v[:, None]), ("U", want_U)):
        body = window.at_one_word(_by(skipgram, key).result.body)
        got = sum(evaluate_matrix_form(body, U, v, int(o)) for o in outside)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert _by(skipgram, "v_w (w != c)").result == sp.ZeroMatrix(n.d, 1)


def test_a_wrong_pair_gradient_fails_its_step():
    derivation = engine.derive(problems.get("naive-softmax").make_loss())
    results = window.written_out(derivation)
    results[n.U.matrix] = 2 * results[n.U.matrix]  # twice the true gradient
    loss = problems.get("skip-gram").make_loss()
    start = engine.Step(window.MatWindowSum(window.Grad(window.PairLoss(n.w_t[n.jw]),
                                                        n.U.matrix)), "linearity")
    checker = window.Checker(loss.pair)
    with pytest.raises(engine.DerivationError,
                       match=r"^step 'dJ/dU: the naive-softmax gradient' does not hold "
                             r"numerically: max relative error 0.5$") as exc:
        trace(start, [("the naive-softmax gradient", window.pair_gradient(results))],
                     lambda s: checker.values(s.expr), "U")
    assert exc.value.rule == "the naive-softmax gradient"


def test_a_repeated_word_counts_twice():
    """The checked window repeats a word: a rule summing each word once would fail."""
    loss = problems.get("skip-gram").make_loss()
    checker = window.Checker(loss.pair)
    assert all(words[0] == words[-1] for words in checker.words)
    full = checker.values(window.MatWindowSum(window.Grad(window.PairLoss(n.w_t[n.jw]),
                                                         n.v_c.matrix)))
    once = [sum(naive_softmax(p.arrays[n.v_c.indexed], int(o), p.arrays[n.U.indexed])[0]
                for o in set(words.tolist()))
            for p, words in zip(checker.point.points, checker.words, strict=True)]
    twice = [sum(naive_softmax(p.arrays[n.v_c.indexed], int(o), p.arrays[n.U.indexed])[0]
                 for o in words.tolist())
             for p, words in zip(checker.point.points, checker.words, strict=True)]
    for got, right in zip(full, twice, strict=True):
        np.testing.assert_allclose(got[:, 0], right, rtol=1e-12, atol=1e-15)
    # At V = 1 every gradient is 0 (ŷ = y); elsewhere counting once is wrong.
    assert sum(not np.allclose(g[:, 0], w) for g, w in zip(full, once, strict=True)) >= 2


def test_a_pair_loss_without_an_outside_word_is_refused():
    loss = problems.get("skip-gram").make_loss()
    neg = problems.get("neg-sampling").make_loss()  # written in u_o, not in o
    with pytest.raises(ValueError, match=r"^skip-gram: the pair loss neg-sampling must be written "
                                         r"with its outside word o, which the window sets to each "
                                         r"w_\{t\+j\}$"):
        engine.derive(dataclasses.replace(loss, pair=neg))


def test_a_users_pair_loss_is_summed_the_same_way():
    """A temperature-scaled softmax as the pair loss: nothing about it is special-cased."""
    T = sp.Symbol("T", positive=True)
    pair = engine.Loss("tempered", engine.neg_log_softmax(),
                       engine.Softmax(lambda x: engine.logit(x) / T))
    loss = dataclasses.replace(problems.get("skip-gram").make_loss(), pair=pair)
    derivation = engine.derive(loss)
    assert printing.text(_by(derivation, "v_c").result) == "Σ_{-m≤j≤m, j≠0} 1/T U(ŷ - y_(w_{t+j}))"
    assert derivation.loss_steps[-1].rule == "the tempered loss"


def test_show_text_names_the_window_check(skipgram):
    out = report.text(skipgram, "Skip-gram")
    assert "∂J_skip-gram/∂v_w = 0   (if w ≠ c)" in out
    assert "each with a window of 4 outside words, one repeated" in out
