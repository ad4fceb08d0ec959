"""The general engine: a deliberately broken fact or pattern is caught by the step checks, a
result with no matrix form is given (and checked) in entry form, and the facts are a table."""
from __future__ import annotations

import pytest
import sympy as sp

from derive import notation as n
from derive.calculus import DerivationError, derive, facts, matrixform
from derive.calculus.facts import BY_HEAD, Fact
from tests.calculus.corpus.losses import CASES

NAIVE = next(c for c in CASES if c.name == "logit-bias").loss
# Over the vocabulary some margins are positive and some not: both sides of the kink are checked.
HINGE = next(c for c in CASES if c.name == "multiclass-hinge").loss


def test_facts_are_a_table_one_per_function() -> None:
    assert {f.head for f in facts.FACTS} >= {sp.exp, sp.log, sp.tanh, sp.Abs}
    assert len({f.head for f in facts.FACTS}) == len(facts.FACTS)


def test_every_step_names_the_facts_it_used() -> None:
    grad = derive(NAIVE).gradients[0]
    rules = [s.rule for s in grad.steps]
    assert rules[0] == "derivative" and rules[-1] == "matrix form"
    assert "linearity, chain rule, derivative of log" in rules
    assert "derivative of softmax" in rules


def test_a_broken_fact_is_caught_by_the_step_check(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = Fact(sp.log, "derivative of log", lambda a: 2 / a)  # the true one is 1/a
    monkeypatch.setitem(BY_HEAD, sp.log, wrong)
    with pytest.raises(DerivationError, match=r"^step 'dJ/dv_c: linearity, chain rule, "
                                              r"derivative of log' does not hold numerically"):
        derive(NAIVE)


def test_a_broken_max_fact_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts, "Heaviside", lambda x, *a: sp.S.One)  # the step function as 1
    with pytest.raises(DerivationError, match=r"^step 'dJ/dv_c: linearity, derivative of max"):
        derive(HINGE)


def test_a_broken_fold_pattern_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    real = matrixform._sum_vector

    def doubled(f: sp.Sum, r: sp.Symbol, sizes: dict) -> sp.MatrixExpr:
        return sp.MatMul(2, real(f, r, sizes))  # Σ_s A[r, s] g(s) = 2 (A g)[r]: wrong
    monkeypatch.setattr(matrixform, "_sum_vector", doubled)
    with pytest.raises(DerivationError, match=r"^step 'dJ/dv_c: matrix form' does not hold"):
        derive(NAIVE)


def test_no_matrix_form_is_said_and_the_entry_form_still_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object) -> sp.MatrixExpr:
        raise matrixform.NoMatrixForm("no pattern folds it (test)")
    monkeypatch.setattr("derive.calculus.general.fold_gathered", never)
    grads = derive(NAIVE).gradients
    for g in grads:
        assert not g.steps[-1].matrix
        assert g.steps[-1].rule.startswith("no matrix form: entry form")
        assert isinstance(g.result, sp.Expr) and g.result.has(sp.Indexed)


def test_fold_table_patterns() -> None:
    j, k, s = (sp.Symbol(x, integer=True, nonnegative=True) for x in "jks")
    A = n.declare("A", n.V, n.d)
    a = n.declare("a", n.V)
    x = n.declare("x", n.d)
    sizes = {j: n.V, k: n.d}
    fold = matrixform.fold
    assert fold(sp.Sum(A.indexed[j, s] * x.indexed[s], (s, 0, n.d - 1)), (j,), sizes) == \
        sp.MatMul(A.matrix, x.matrix)
    assert fold(sp.Sum(A.indexed[s, k] * a.indexed[s], (s, 0, n.V - 1)), (k,), {k: n.d}) == \
        sp.MatMul(sp.Transpose(A.matrix), a.matrix)
    assert fold(a.indexed[j] * x.indexed[k], (j, k), sizes) == \
        sp.MatMul(a.matrix, sp.Transpose(x.matrix))
    b = n.declare("b", n.V)
    assert fold(3 * a.indexed[j] * b.indexed[j], (j,), sizes) == \
        sp.MatMul(3, sp.HadamardProduct(a.matrix, b.matrix))
    assert fold(sp.Integer(2), (j,), sizes) == sp.MatMul(2, matrixform.Ones(n.V))
    with pytest.raises(matrixform.NoMatrixForm, match="^no pattern folds"):
        fold(sp.KroneckerDelta(j, 2) * a.indexed[j], (j,), sizes)
    m = sp.Symbol("m", integer=True, nonnegative=True)  # an index the loss declares
    assert fold(A.indexed[j, m] * x.indexed[m], (j,), sizes) == \
        sp.MatMul(x.indexed[m], matrixform.Column(A.matrix, m))
    assert fold(a.indexed[j] * sp.KroneckerDelta(m, k), (j, k), sizes) == \
        sp.MatMul(a.matrix, sp.Transpose(matrixform.OneHot(m, n.d)))
    # a scalar sum inside a matrix form is a dot: aᵀexp(b), 𝟏ᵀb; a dot of entries stays a sum
    from derive import printing
    scalar = sp.Sum(a.indexed[s] * sp.exp(b.indexed[s]), (s, 0, n.V - 1))
    assert printing.text(fold(scalar * x.indexed[k], (k,), {k: n.d})) == "aᵀexp(b) x"
    total = sp.Sum(b.indexed[s], (s, 0, n.V - 1))
    assert printing.text(fold(total * x.indexed[k], (k,), {k: n.d})) == "𝟏ᵀb x"
    dot = sp.Sum(a.indexed[s] * b.indexed[s], (s, 0, n.V - 1))
    assert fold(dot * x.indexed[k], (k,), {k: n.d}) == sp.MatMul(dot, x.matrix)


def test_a_column_at_the_wrong_index_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from derive.steps.lossmath import read_loss

    path = Path(__file__).parent.parent / "data" / "user-losses" / "sampled-index.tex"
    loss = read_loss(path.read_text(encoding="utf-8"), "sampled").loss
    real = matrixform.Column
    monkeypatch.setattr(matrixform, "Column", lambda M, k: real(M, n.o))  # u_o for u_m: wrong
    with pytest.raises(DerivationError, match=r"^step 'dJ/dv_c: matrix form' does not hold"):
        derive(loss)


def test_terms_with_one_scalar_up_to_sign_share_it() -> None:
    """Focal loss (1 − ŷ_o)^γ (−log ŷ_o): its gradient is one scalar times U(ŷ − y), not two terms
    in y and ŷ with opposite scalars."""
    from pathlib import Path

    from derive import printing
    from derive.steps.lossmath import read_loss

    path = Path(__file__).parent.parent / "data" / "losses" / "focal.tex"
    d = derive(read_loss(path.read_text(encoding="utf-8"), "focal").loss)
    results = {g.wrt.name: printing.text(g.result) for g in d.gradients}
    assert results["v_c"].endswith(") U(ŷ - y)") and results["v_c"].count("ŷ - y") == 1
    assert results["U"].startswith("v_c((") and results["U"].endswith(") (ŷ - y))ᵀ")


def test_common_factors_are_taken_out_as_a_reader_does() -> None:
    """A two-layer network's gradient: the chain rule's expanded terms, σ(z)(1 − σ(z)) and
    (ŷ − y) factored back out (a checked step), each difference the way a reader writes it."""
    from pathlib import Path

    from derive import printing
    from derive.steps.lossmath import read_loss

    text = ("Let $\\mathbf{W}_1 \\in \\mathbb{R}^{h \\times d}$, $\\mathbf{W}_2 \\in "
            "\\mathbb{R}^{V \\times h}$, $\\mathbf{x} \\in \\mathbb{R}^{d}$ and $o \\in \\{1, "
            "\\dots, V\\}$.\n$$\\mathbf{a} = \\sigma(\\mathbf{W}_1 \\mathbf{x})$$\n"
            "$$J = -\\log \\operatorname{softmax}(\\mathbf{W}_2 \\mathbf{a})_o$$")
    d = derive(read_loss(text, "two-layer").loss)
    results = {g.wrt.name: printing.text(g.result) for g in d.gradients}
    assert results["x"] == "W_1ᵀ((𝟏 - σ(W_1 x)) ∘ W_2ᵀ(ŷ - y) ∘ σ(W_1 x))"
    assert results["W_1"] == "((𝟏 - σ(W_1 x)) ∘ W_2ᵀ(ŷ - y) ∘ σ(W_1 x))xᵀ"
    rules = [s.rule for g in d.gradients if g.wrt.name == "x" for s in g.steps]
    assert "take out common factors" in rules
    # a rewrite that reads no better is not taken: label smoothing's ε/V stays where it is,
    # not 1/V (V ŷ + V(ε − 1) y − ε 𝟏), which names V three times
    path = Path(__file__).parent.parent / "data" / "losses" / "label-smoothing.tex"
    smoothed = derive(read_loss(path.read_text(encoding="utf-8"), "smoothing").loss)
    (b,) = [g for g in smoothed.gradients if g.wrt.name == "b"]
    assert printing.text(b.result) == "ŷ - ε/V 𝟏 - (1 - ε) y"
    assert "take out common factors" not in [s.rule for s in b.steps]


def test_a_wrong_dot_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # entropy regularisation's ŷᵀlog(ŷ): folded as log(ŷ)ᵀlog(ŷ) it must fail its check
    loss = next(c for c in CASES if c.name == "entropy-regularised").loss
    real = matrixform.Dot
    monkeypatch.setattr(matrixform, "Dot", lambda a, b: real(b, b))
    with pytest.raises(DerivationError, match=r"^step 'dJ/d\w+: matrix form' does not hold"):
        derive(loss)
