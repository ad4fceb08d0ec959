from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from derive import engine, printing
from derive import notation as n
from derive.calculus import rules, vector
from derive.calculus.check import NumericPoint, check_equal
from derive.calculus.records import Gradient, Step

from ..reference import evaluate_matrix_form as _numeric
from ..reference import naive_softmax

U, v, yhat, y = (o.matrix for o in (n.U, n.v_c, n.y_hat, n.y))


def _by(derivation, name, case=""):
    return next(g for g in derivation.gradients if g.wrt.name == name and g.case == case)


def test_results_are_the_matrix_forms_a_reader_expects(naive):
    assert _by(naive, "v_c").result.doit() == (U * (yhat - y)).doit()
    assert _by(naive, "U").result.doit() == (v * (yhat - y).T).doit()
    assert _by(naive, "U", "w = o").result == (n.y_hat.indexed[n.w] - 1) * v
    assert _by(naive, "U", "w != o").result == n.y_hat.indexed[n.w] * v


def test_results_print_as_in_the_seed(naive):
    texts = [printing.text(g.result) for g in naive.gradients]
    assert texts == ["U(ŷ - y)", "v_c(ŷ - y)ᵀ", "(ŷ_w - 1) v_c", "ŷ_w v_c"]


@settings(max_examples=25, deadline=None)
@given(V=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@example(V=1, d=1, seed=0)
@example(V=1, d=4, seed=1)
@example(V=6, d=1, seed=2)
def test_results_match_a_hand_written_gradient(naive, V, d, seed):
    rng = np.random.default_rng(seed)
    Uv, vv, o = rng.normal(size=(d, V)), rng.normal(size=d), int(rng.integers(V))
    grad_v, grad_U = naive_softmax(vv, o, Uv)
    np.testing.assert_allclose(_numeric(_by(naive, "v_c").result, Uv, vv, o)[:, 0], grad_v,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_numeric(_by(naive, "U").result, Uv, vv, o), grad_U,
                               rtol=1e-12, atol=1e-12)
    for w in range(V):
        case = "w = o" if w == o else "w != o"
        col = _numeric(_by(naive, "U", case).result, Uv, vv, o, w)[:, 0]
        np.testing.assert_allclose(col, grad_U[:, w], rtol=1e-12, atol=1e-12)


def test_trace_follows_the_seed_parts(naive):
    assert [s.rule for s in naive.loss_steps] == [
        "definition", "softmax definition", "log of a quotient", "log of exp"]
    assert [s.rule for s in _by(naive, "v_c").steps] == [
        "derivative", "linearity", "chain rule", "derivative of exp", "rearrange",
        "softmax definition", "one-hot vector", "matrix form"]
    assert [s.rule for s in _by(naive, "U", "w = o").steps][-1] == "matrix form"


def test_every_step_holds_at_fresh_random_points(naive):
    point = NumericPoint(naive.loss, seed=7)
    chains = [(naive.loss_steps, ())] + [(g.steps, g.index) for g in naive.gradients[:2]]
    for steps, index in chains:
        for before, after in zip(steps, steps[1:], strict=False):
            assert check_equal(point, before, after, index) is None, after.rule


def test_a_wrong_rule_is_caught_and_named(monkeypatch):
    from derive import problems

    monkeypatch.setattr(rules, "rearrange", lambda e: 2 * e)
    with pytest.raises(engine.DerivationError, match=r"^step 'dJ/dv_c: rearrange' does not hold"):
        engine.derive(problems.get("naive-softmax").make_loss())


def test_a_wrong_fold_is_caught_by_its_step_check(monkeypatch):
    from derive import problems

    real = vector.to_matrix
    monkeypatch.setattr(vector, "to_matrix", lambda e, *idx: real(-e, *idx))
    with pytest.raises(engine.DerivationError, match=r"^step 'dJ/dv_c: matrix form' does not hold"):
        engine.derive(problems.get("naive-softmax").make_loss())


def test_a_wrong_fold_is_caught_against_sympys_own_derivative(monkeypatch):
    from derive import problems

    # The matrix form passes its own step check here, so only SymPy's derivative can catch it.
    real = vector.to_matrix
    monkeypatch.setattr(vector, "to_matrix", lambda e, *idx: real(-e, *idx))
    monkeypatch.setattr(vector, "_check", lambda *args: None)
    with pytest.raises(engine.DerivationError,
                       match=r"^dJ/dv_c = -\(U\*\(-y \+ yhat\)\) disagrees with the elementwise "
                             r"derivative of naive-softmax: max relative error 2$") as exc:
        engine.derive(problems.get("naive-softmax").make_loss())
    assert (exc.value.chain, exc.value.rule) == ("v_c", "matrix form")


def _with_result(grad, result, case=None):
    """`grad` with its matrix form replaced by `result` (and its case by `case`)."""
    last = grad.steps[-1]
    steps = (*grad.steps[:-1], Step(result, last.rule, matrix=last.matrix))
    return Gradient(grad.wrt, grad.index, steps, grad.case if case is None else case)


def test_sympy_diff_check_passes_the_right_gradient_and_not_a_wrong_one(naive):
    point = NumericPoint(naive.loss)
    grad = _by(naive, "v_c")
    point.check_against_sympy_diff(naive.loss, grad)  # the right one does not raise
    point.check_against_sympy_diff(naive.loss, _by(naive, "U"))
    with pytest.raises(engine.DerivationError,
                       match=r"^dJ/dv_c = 2\*U\*\(-y \+ yhat\) disagrees with the elementwise "
                             r"derivative of naive-softmax: max relative error \d"):
        point.check_against_sympy_diff(naive.loss, _with_result(grad, 2 * U * (yhat - y)))


def test_a_wrong_column_case_is_caught_against_the_full_gradient(monkeypatch):
    from derive import problems

    # Only a column case has w free, so only its fold is made wrong.
    real = vector.to_matrix
    monkeypatch.setattr(vector, "to_matrix",
                        lambda e, *idx: real(-e if n.w in e.free_symbols else e, *idx))
    with pytest.raises(engine.DerivationError,
                       match=r"^dJ/du_w \(w = o\) = \(1 - yhat\[w\]\)\*v_c disagrees with column "
                             r"\d+ of dJ/dU: max relative error \d") as exc:
        engine.derive(problems.get("naive-softmax").make_loss())
    assert (exc.value.chain, exc.value.rule) == ("u_w (w = o)", "matrix form")


def test_column_case_check_passes_the_right_cases_and_not_swapped_ones(naive):
    point = NumericPoint(naive.loss)
    full, hit, miss = _by(naive, "U"), _by(naive, "U", "w = o"), _by(naive, "U", "w != o")
    point.check_case(full, hit)  # the right ones do not raise
    point.check_case(full, miss)
    with pytest.raises(engine.DerivationError,
                       match=r"^dJ/du_w \(w = o\) = yhat\[w\]\*v_c disagrees with column \d+ of "
                             r"dJ/dU: max relative error \d"):
        point.check_case(full, _with_result(hit, miss.result))
    with pytest.raises(engine.DerivationError,
                       match=r"^dJ/du_w \(w != o\) = \(yhat\[w\] - 1\)\*v_c disagrees with column "
                             r"\d+ of dJ/dU: max relative error \d"):
        point.check_case(full, _with_result(miss, hit.result))


LAM, T, MU = sp.symbols("lambda T mu", positive=True)


def test_l2_regularised_loss():
    loss = engine.Loss("l2", engine.neg_log_softmax() + LAM / 2 * engine.norm_sq(n.v_c),
                       engine.Softmax(engine.logit))
    d = engine.derive(loss)
    assert _by(d, "v_c").result.doit() == (U * (yhat - y) + LAM * v).doit()
    assert printing.text(_by(d, "v_c").result) == "λ v_c + U(ŷ - y)"
    assert _by(d, "U").result.doit() == (v * (yhat - y).T).doit()


def test_temperature_scaled_softmax():
    loss = engine.Loss("temp", engine.neg_log_softmax(),
                       engine.Softmax(lambda x: engine.logit(x) / T))
    d = engine.derive(loss)
    assert _by(d, "v_c").result.doit() == (U * (yhat - y) / T).doit()
    assert _by(d, "U").result.doit() == (v * (yhat - y).T / T).doit()
    assert _by(d, "U", "w = o").result == ((n.y_hat.indexed[n.w] - 1) / T) * v


def test_frobenius_regularised_outside_vectors():
    loss = engine.Loss("frob", engine.neg_log_softmax() + MU / 2 * engine.norm_sq(n.U),
                       engine.Softmax(engine.logit), column_cases=False)
    d = engine.derive(loss)
    assert len(d.gradients) == 2
    assert _by(d, "U").result.doit() == (v * (yhat - y).T + MU * U).doit()
    assert _by(d, "v_c").result.doit() == (U * (yhat - y)).doit()


def test_derivation_does_not_depend_on_sizes(naive):
    assert all(not s.expr.has(sp.Integer(5)) for g in naive.gradients for s in g.steps)
    assert _by(naive, "U").result.shape == (n.d, n.V)
    assert _by(naive, "v_c").result.shape == (n.d, 1)


def test_derivations_render_in_jupyter(naive):
    tex = naive._repr_latex_()
    assert tex.startswith("$$\\begin{aligned}\n") and tex.endswith("\\end{aligned}$$")
    assert (r"\frac{\partial J}{\partial \mathbf{v}_c} &= \mathbf{U} \left(\hat{\mathbf{y}} - "
            r"\mathbf{y}\right) && \text{(matrix form)}") in tex
    assert tex.count(r"\text{(matrix form)}") == 4
    assert r"\text{(one-hot vector (w ≠ o))}" in tex and "!=" not in tex


# Negative sampling with repeated samples, grouped by word: n_w samples are the word w.

@pytest.fixture(scope="module")
def repeated():
    from derive import problems

    return engine.derive(problems.get("neg-sampling-repeated").make_loss())


def test_repeated_samples_sum_every_occurrence(repeated):
    texts = {g.key: printing.text(g.result) for g in repeated.gradients}
    assert texts == {"U": "v_c(n ∘ σ(Uᵀv_c) - σ(-u_oᵀv_c) y)ᵀ",
                     "u_w (w = o)": "(n_w*σ(u_wᵀv_c) - σ(-u_oᵀv_c)) v_c",
                     "u_w (w != o)": "n_w*σ(u_wᵀv_c) v_c"}


@settings(max_examples=20, deadline=None)
@given(V=st.integers(1, 6), d=st.integers(1, 4), K=st.integers(1, 12),
       seed=st.integers(0, 2**32 - 1))
def test_repeated_samples_match_a_hand_written_gradient(repeated, V, d, K, seed):
    from derive.calculus.fold import entries_as_matrices

    rng = np.random.default_rng(seed)
    Uv, vv, o = rng.normal(size=(d, V)), rng.normal(size=d), int(rng.integers(V))
    samples = rng.integers(V, size=K)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    want = np.zeros((d, V))
    want[:, o] -= sig(-Uv[:, o] @ vv) * vv
    for s in samples:  # one sample at a time: a repeat adds again
        want[:, s] += sig(Uv[:, s] @ vv) * vv
    expr = entries_as_matrices(_by(repeated, "U").result)
    f = sp.lambdify([U, v, y, n.counts.matrix, n.o], expr.subs({n.V: V, n.d: d}), "numpy")
    got = f(Uv, vv[:, None], np.eye(V)[:, [o]], np.bincount(samples, minlength=V)[:, None], o)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_a_delta_on_a_sample_index_is_not_contracted():
    s = sp.IndexedBase("s")
    f = sp.Function("f")
    expr = sp.Sum(sp.KroneckerDelta(n.k, s[n.k2]) * f(s[n.k2]), (n.k2, 0, n.K - 1))
    assert rules.contract_deltas(expr) == expr
    picked = sp.Sum(sp.KroneckerDelta(n.k, n.k2) * f(n.k2), (n.k2, 0, n.K - 1))
    assert rules.contract_deltas(picked) == f(n.k)
