"""Loss files: each of the corpus's losses written as a .tex file (tests/data/losses) reads,
derives to matrix form and matches the hand-written NumPy gradient of the same loss; an
unreadable file is an error with its line and column."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sympy import Abs

from derive.calculus import derive
from derive.calculus.sample import Points
from derive.steps.lexer import ReadError
from derive.steps.lossmath import read_loss
from tests.calculus.corpus.losses import CASES
from tests.calculus.corpus.test_corpus import _arrays

FILES = sorted((Path(__file__).parent.parent / "data" / "losses").glob("*.tex"))
BY_NAME = {c.name: c for c in CASES}


def test_every_corpus_loss_has_a_file() -> None:
    assert {f.stem for f in FILES} == set(BY_NAME)
    assert len(FILES) >= 25


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_loss_file_derives_to_the_hand_gradient(path: Path) -> None:
    case = BY_NAME[path.stem]
    lf = read_loss(path.read_text(encoding="utf-8"), path.stem)
    derivation = derive(lf.loss)
    points = Points(lf.loss)
    assert {g.wrt.name for g in derivation.gradients} == set(case.grads)
    for g in derivation.gradients:
        assert g.steps[-1].matrix, (g.key, g.steps[-1].rule)
        values = points.matrices(g.result, tuple(g.wrt.indexed.shape))
        for at, value in enumerate(values):
            want = case.grads[g.wrt.name](_arrays(points, at))
            np.testing.assert_allclose(value, want, rtol=1e-9, atol=1e-12)


def test_inputs_are_named_without_fonts() -> None:
    lf = read_loss((FILES[0].parent / "negative-sampling.tex").read_text(encoding="utf-8"), "n")
    assert [(d.name, d.kind, d.shape) for d in lf.inputs] == [
        ("v_c", "vector", ("d",)), ("u_o", "vector", ("d",)), ("U_neg", "matrix", ("d", "K"))]


@pytest.mark.parametrize(("text", "message"), [
    ("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n$$J = \\mathbf{z}^\\top \\mathbf{x}$$",
     r"^line 2, column \d+: z is not declared"),
    ("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.", r"^line 1, column \d+: no loss"),
    ("Let $\\mathbf{x} \\in \\mathbb{Q}^{d}$.\n$$J = 1$$", r"^line 1, column \d+: expected"),
    ("Let $\\mathbf{W} \\in \\mathbb{R}^{V \\times d}$, $\\mathbf{x} \\in \\mathbb{R}^{V}$.\n"
     "$$J = \\mathbf{1}^\\top \\mathbf{W} \\mathbf{x}$$", r"^line 2, column \d+: a product of"),
    # K samples as columns of a d × V U: refused, saying what to write, never the first K columns
    ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in \\mathbb{R}^{d}$"
     " and $o \\in \\{1, \\dots, V\\}$.\n$$J = -\\log \\sigma(\\mathbf{u}_o^\\top "
     "\\mathbf{v}_c) - \\sum_{k=1}^{K} \\log \\sigma(-\\mathbf{u}_k^\\top \\mathbf{v}_c)$$",
     r"^line 2, column \d+: k runs over 1\.\.K but indexes the columns of U, which run over "
     r"1\.\.V: declare the samples as indices into the vocabulary, as in \$w_1, \\dots, "
     r"w_K .* or name their vectors as a matrix of their own"),
    # a family of indices: numbered from 1 to a size, each w_s bound by a sum, never a value
    ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in \\mathbb{R}^{d}$ and "
     "$w_2, \\dots, w_K \\in \\{1, \\dots, V\\}$.\n$$J = \\mathbf{u}_{w_2}^\\top \\mathbf{v}_c$$",
     r"^line 1, column \d+: a family of indices is written w_1, \\dots, w_K, numbered from 1"),
    ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in \\mathbb{R}^{d}$ and "
     "$w_1, \\dots, w_K \\in \\{1, \\dots, V\\}$.\n$$J = \\mathbf{u}_{w_s}^\\top \\mathbf{v}_c$$",
     r"^line 2, column \d+: in w_s, s is not bound by a sum: write \\sum_\{s=1\}\^\{K\}"),
    ("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$ and $w_1, \\dots, w_K \\in \\{1, \\dots, V\\}$.\n"
     "$$J = w \\mathbf{x}^\\top \\mathbf{x}$$", r"^line 2, column \d+: w is an index, not a value"),
    # a prime is never guessed to be a transpose
    ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$ and $\\mathbf{v}_c \\in "
     "\\mathbb{R}^{d}$.\n$$\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{U}' "
     "\\mathbf{v}_c)$$\n$$J = -\\log \\hat{y}_o$$",
     r"^line 2, column \d+: a prime is not read as a transpose: write \^\\top \(or \^T\)"),
    # two softmaxes of different logits cannot both be ŷ
    ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c, \\mathbf{x} \\in "
     "\\mathbb{R}^{d}$ and $o \\in \\{1, \\dots, V\\}$.\n$$J = -\\log "
     "\\operatorname{softmax}(\\mathbf{U}^\\top \\mathbf{v}_c)_o - \\log "
     "\\operatorname{softmax}(\\mathbf{U}^\\top \\mathbf{x})_o$$",
     r"^line 2, column \d+: a loss takes one softmax"),
    # a function no loss takes: named, with the ones it could be
    ("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n$$J = \\operatorname{diag}(\\mathbf{x})$$",
     r"^line 2, column \d+: unknown function diag; known: softmax, "),
])
def test_unreadable_file_names_line_and_column(text: str, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_loss(text, "bad")


@pytest.mark.parametrize("text", [
    "Let $\\mathbf{w}, \\mathbf{x} \\in \\mathbb{R}^{d}$ and $y \\in \\mathbb{R}$.\n"
    "$$J = (\\mathbf{w}^\\top \\mathbf{x} - y)^2$$",
    "Let $\\mathbf{W} \\in \\mathbb{R}^{V \\times d}$, $\\mathbf{x} \\in \\mathbb{R}^{d}$, "
    "$\\mathbf{y} \\in \\mathbb{R}^{V}$.\n$$J = \\|\\mathbf{W}\\mathbf{x} - \\mathbf{y}\\|^2$$",
])
def test_a_declared_y_is_refused_because_y_is_the_one_hot_vector(text: str) -> None:
    with pytest.raises(ReadError, match=r"^line 1, column \d+: y is the one-hot vector of the "
                       r"outside word o, as the handout writes it: give your input another name"):
        read_loss(text, "bad")


def test_a_subscript_word_in_a_declaration_is_one_name() -> None:
    lf = read_loss("Let $\\mathbf{u}_o, \\mathbf{v}_c \\in \\mathbb{R}^d$, $\\mathbf{U}_{neg} "
                   "\\in \\mathbb{R}^{d \\times K}$.\n$$J = -\\sum_{k=1}^K \\log "
                   "\\sigma(-\\mathbf{u}_k \\cdot \\mathbf{v}_c) + \\mathbf{1}^\\top "
                   "\\mathbf{U}_{neg}^\\top \\mathbf{u}_o$$", "neg")
    assert [d.name for d in lf.inputs] == ["u_o", "v_c", "U_neg"]
    assert {o.name for o in derive(lf.loss).loss.wrt} == {"u_o", "v_c", "U_neg"}



@pytest.mark.parametrize("name", ["naive-softmax", "cross-entropy", "neg-sampling",
                                  "neg-sampling-repeated"])
def test_shipped_problem_file_derives_what_the_problem_does(name: str) -> None:
    from derive.problems import get
    from derive.steps.loss import SHIPPED

    lf = read_loss((SHIPPED / f"{name}.tex").read_text(encoding="utf-8"), name)
    built_in = derive(get(name).make_loss())
    points = Points(lf.loss)
    mine = {g.key: g for g in derive(lf.loss).gradients}
    compared = 0
    for g in built_in.gradients:
        if g.case or g.key not in mine:
            continue
        shape = tuple(mine[g.key].wrt.indexed.shape)
        for a, b in zip(points.matrices(mine[g.key].result, shape),
                        points.matrices(g.result, shape), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        compared += 1
    assert compared == len({g.key for g in built_in.gradients if not g.case})


SHIPPED_PROBLEMS = ["naive-softmax", "cross-entropy", "sigmoid", "leaky-relu", "neg-sampling",
                    "neg-sampling-repeated"]


@pytest.mark.parametrize("name", SHIPPED_PROBLEMS)
def test_built_in_problem_is_its_shipped_file(name: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The problem's loss is read from its file: the same file with J doubled is a doubled loss,
    and every result of the problem's own derivation changes with it."""
    import sympy as sp

    from derive import problems
    from derive.steps import loss as loss_file
    from derive.steps import lossmath

    text = (loss_file.SHIPPED / f"{name}.tex").read_text(encoding="utf-8")
    before = derive(problems.get(name).make_loss(), check=False)
    lines = text.splitlines()
    at = max(k for k, line in enumerate(lines) if line.startswith(("$$J = ", "$$f(x) = ")))
    lhs, _, body = lines[at].removeprefix("$$").removesuffix("$$").partition(" = ")
    lines[at] = f"$${lhs} = 2 \\left({body}\\right)$$"
    (tmp_path / f"{name}.tex").write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(loss_file, "SHIPPED", tmp_path)
    lossmath.shipped.cache_clear()
    try:
        after = derive(problems.get(name).make_loss(), check=False)
    finally:
        lossmath.shipped.cache_clear()
    assert sp.simplify(after.loss.expr - 2 * before.loss.expr) == 0
    for a, b in zip(before.gradients, after.gradients, strict=True):
        assert a.key == b.key and a.result != b.result, (name, a.key)


def test_sigmoid_file_derives_sigma_one_minus_sigma() -> None:
    from derive.calculus.functions import sigmoid
    from derive.notation import x_scalar as x
    from derive.problems import get

    d = derive(get("sigmoid").make_loss())
    assert d.gradients[0].result == sigmoid(x) * (1 - sigmoid(x))
    assert [s.rule for s in d.loss_steps] == ["definition", "definition of σ"]


@pytest.mark.parametrize(("text", "message"), [
    # the two pieces of max(αx, x) hold for α < 1 only: α > 0 is not enough
    ("Let $x \\in \\mathbb{R}$ and $\\alpha > 0$.\n$$f(x) = \\max(\\alpha x, x)$$",
     r"^line 2, column \d+: a function of x takes \\alpha with 0 < \\alpha < 1"),
    ("Let $t \\in \\mathbb{R}$.\n$$f(t) = \\sigma(t)$$",
     r"^line 2, column \d+: the scalar variable is called x \(this file calls it t\)"),
    ("Let $x \\in \\mathbb{R}$ and $\\lambda > 0$.\n$$f(x) = \\lambda \\sigma(x)$$",
     r"^line 2, column \d+: a function of x takes the one constant \\alpha, not lambda"),
    ("Let $x, z \\in \\mathbb{R}$.\n$$f(x) = \\sigma(x z)$$",
     r"^line 2, column \d+: a function of scalars alone is a function of one scalar x"),
])
def test_function_of_a_scalar_is_refused_where_its_facts_do_not_hold(text: str,
                                                                      message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_loss(text, "bad")


def test_leaky_relu_file_declares_alpha_between_zero_and_one() -> None:
    from derive.steps.loss import read_scope

    scope = read_scope("Let $x \\in \\mathbb{R}$ and $0 < \\alpha < 1$.\n"
                       "$$f(x) = \\max(\\alpha x, x)$$")
    assert [(d.name, d.kind) for d in scope.declared.values()] == [
        ("x", "scalar"), ("\\alpha", "constant")]
    assert scope.declared["\\alpha"].bounds == ("0", "1")
    assert scope.loss() is not None and scope.loss().name == "f"


def test_names_before_one_declaration_share_it() -> None:
    lf = read_loss("Let $\\mathbf{a}, \\mathbf{b}, \\mathbf{c} \\in \\mathbb{R}^{n}$ and "
                   "$\\mathbf{v}_c \\in \\mathbb{R}^{d}$.\n"
                   "$$J = \\mathbf{a}^\\top \\mathbf{b} + \\mathbf{c}^\\top \\mathbf{c}$$", "abc")
    assert [(d.name, d.kind, d.shape) for d in lf.inputs] == [
        ("a", "vector", ("n",)), ("b", "vector", ("n",)), ("c", "vector", ("n",)),
        ("v_c", "vector", ("d",))]


def test_a_row_of_a_matrix_at_o_folds_through_a_layer() -> None:
    """∂J/∂x of softmax(W_2 tanh(W_1 x)): W_2[o, s] inside the sum that reaches x is (W_2ᵀy)_s, so
    the gradient in x has a matrix form (it had none)."""
    from derive import printing

    lf = read_loss("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$, $\\mathbf{W}_1 \\in \\mathbb{R}^{m "
                   "\\times d}$, $\\mathbf{W}_2 \\in \\mathbb{R}^{V \\times m}$; $o \\in \\{1, "
                   "\\dots, V\\}$.\n$$\\mathbf{h} = \\tanh(\\mathbf{W}_1 \\mathbf{x})$$\n"
                   "$$\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{W}_2 \\mathbf{h})$$\n"
                   "$$J = -\\log \\hat{y}_o$$", "layer")
    [g] = [g for g in derive(lf.loss).gradients if g.wrt.name == "x"]
    assert g.steps[-1].matrix
    assert printing.text(g.result).startswith("W_1ᵀ(")
    points = Points(lf.loss)
    for at, value in enumerate(points.matrices(g.result, (g.wrt.indexed.shape[0],))):
        p = points.points[at]
        W1, W2 = (p.arrays[o.indexed] for o in lf.loss.objects if o.name in ("W_1", "W_2"))
        x = p.arrays[next(o.indexed for o in lf.loss.objects if o.name == "x")]
        h = np.tanh(W1 @ x)
        z = W2 @ h
        yhat = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        y = np.eye(len(z))[p.indices[next(iter(p.indices))]]
        np.testing.assert_allclose(value, W1.T @ ((1 - h ** 2) * (W2.T @ (yhat - y))), rtol=1e-9)


def test_text_writes_greek_constants_and_the_step_function() -> None:
    from derive import printing

    lf = read_loss("Let $\\mathbf{u}_o, \\mathbf{v}_c \\in \\mathbb{R}^{d}$, $\\mathbf{U}_{\\text{"
                   "neg}} \\in \\mathbb{R}^{d \\times K}$ and $\\mu > 0$.\n$$J = \\sum_{k=1}^{K} "
                   "\\max(0, \\mu - \\mathbf{u}_o^\\top \\mathbf{v}_c + \\mathbf{u}_k^\\top "
                   "\\mathbf{v}_c)$$", "margin")
    results = {g.wrt.name: printing.text(g.result) for g in derive(lf.loss).gradients}
    assert results["U_neg"] == "v_c(step((μ - u_oᵀv_c) 𝟏 + U_negᵀv_c))ᵀ"
    assert results["u_o"] == "-𝟏ᵀstep((μ - u_oᵀv_c) 𝟏 + U_negᵀv_c) v_c"  # the scalar sum a dot
    assert "\\theta" not in printing.latex(derive(lf.loss).gradients[0].result)


BIAS = ("Let $\\mathbf{w}, \\mathbf{x} \\in \\mathbb{R}^{d}$, a bias $b \\in \\mathbb{R}$ and a "
        "label $t > 0$.\n$$J = -t \\log \\sigma(\\mathbf{w}^\\top \\mathbf{x} + b) - (1 - t) "
        "\\log(1 - \\sigma(\\mathbf{w}^\\top \\mathbf{x} + b))$$")


def test_a_scalar_beside_vectors_is_a_variable_by_request() -> None:
    from derive import printing
    from derive.steps.lossmath import with_wrt

    lf = read_loss(BIAS, "bias")
    assert [(d.name, d.kind) for d in lf.inputs] == [
        ("w", "vector"), ("x", "vector"), ("b", "scalar"), ("t", "constant")]
    assert [o.name for o in lf.loss.wrt] == ["w", "x"]  # by default, vectors and matrices
    d = derive(with_wrt(lf, ["w", "b"]).loss)
    results = {g.wrt.name: printing.text(g.result) for g in d.gradients}
    assert results == {"w": "(σ(b + wᵀx) - t) x", "b": "σ(b + wᵀx) - t"}
    points = Points(d.loss)
    [g] = [g for g in d.gradients if g.wrt.name == "b"]
    for p, value in zip(points.points, points.matrices(g.result, ()), strict=True):
        w, x = (p.arrays[o.indexed] for o in d.loss.objects if o.name in ("w", "x"))
        s = 1 / (1 + np.exp(-(w @ x + float(p.arrays[g.wrt.indexed]))))
        np.testing.assert_allclose(value, s - p.constants[0], rtol=1e-12)


@pytest.mark.parametrize("J", [
    "-\\log \\frac{\\exp(\\mathbf{u}_o^\\top \\mathbf{v}_c)}{\\sum_{w=1}^{V} "
    "\\exp(\\mathbf{u}_w^\\top \\mathbf{v}_c)}",
    "-\\mathbf{u}_o^\\top \\mathbf{v}_c + \\log \\sum_{w=1}^{V} \\exp(\\mathbf{u}_w^\\top "
    "\\mathbf{v}_c)",
])
def test_a_softmax_written_out_is_recognised_as_y_hat(J: str) -> None:
    """The seed's own form of the loss, with no ŷ defined: its gradients are U(ŷ − y) and
    v_c(ŷ − y)ᵀ, ŷ recognised (and checked) as the softmax the file writes out."""
    from derive import printing

    lf = read_loss("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in "
                   f"\\mathbb{{R}}^{{d}}$, $o \\in \\{{1, \\dots, V\\}}$.\n$$J = {J}$$", "seed")
    d = derive(lf.loss)
    assert {g.wrt.name: printing.text(g.result) for g in d.gradients} == {
        "U": "v_c(ŷ - y)ᵀ", "v_c": "U(ŷ - y)"}
    rules = [s.rule for s in d.loss_steps] + [s.rule for g in d.gradients for s in g.steps]
    assert "softmax definition" in rules


def test_a_size_letter_is_not_a_name() -> None:
    with pytest.raises(ReadError,
                       match=r"^line 1, column \d+: V is a size here \(as in ℝ\^\{V\}\)"):
        read_loss("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{V} \\in "
                  "\\mathbb{R}^{d \\times V}$.\n$$J = \\|\\mathbf{U}\\|_F^2$$", "bad")


def test_constants_share_one_bound_and_vectors_sum() -> None:
    """λ, μ > 0 declares both; CBOW's context average (1/m) Σ_j c_j is a sum of vectors."""
    from derive import printing

    lf = read_loss("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{C} \\in "
                   "\\mathbb{R}^{d \\times m}$, $o \\in \\{1, \\dots, V\\}$ and "
                   "$\\lambda, \\mu > 0$.\n"
                   "$$\\bar{\\mathbf{v}} = \\frac{1}{m} \\sum_{j=1}^{m} \\mathbf{c}_j$$\n"
                   "$$\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{U}^\\top "
                   "\\bar{\\mathbf{v}})$$\n$$J = -\\log \\hat{y}_o + "
                   "\\lambda \\|\\mathbf{U}\\|_F^2 + \\mu \\|\\mathbf{C}\\|_F^2$$", "cbow")
    assert [(d.name, d.kind) for d in lf.inputs][-2:] == [("\\lambda", "constant"),
                                                         ("\\mu", "constant")]
    results = {g.wrt.name: printing.text(g.result) for g in derive(lf.loss).gradients}
    assert results == {"U": "2*λ U + 1/m C𝟏(ŷ - y)ᵀ", "C": "1/m U(ŷ - y)𝟏ᵀ + 2*μ C"}


def test_an_undeclared_greek_letter_is_told_to_declare_a_constant() -> None:
    with pytest.raises(ReadError, match=r"^line 2, column 7: \\lambda is not declared: declare "
                       r"it, as in \$\\lambda > 0\$"):
        read_loss("Let $\\mathbf{x} \\in \\mathbb{R}^{d}$.\n$$J = \\lambda \\|\\mathbf{x}\\|^2$$",
                  "bad")


def test_skip_gram_is_its_shipped_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window sums the pair loss the file names: naive softmax's, or, edited, cross-entropy's
    (the same loss, but its own derivation, whose J chain has a one-hot step)."""
    from derive import problems
    from derive.steps import loss as loss_file
    from derive.steps import lossmath

    assert problems.get("skip-gram").make_loss().pair == problems.get("naive-softmax").make_loss()
    for f in loss_file.SHIPPED.glob("*.tex"):
        (tmp_path / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    edited = tmp_path / "skip-gram.tex"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("naive-softmax}", "cross-entropy}"), encoding="utf-8")
    monkeypatch.setattr(loss_file, "SHIPPED", tmp_path)
    lossmath.shipped.cache_clear()
    try:
        pair = problems.get("skip-gram").make_loss().pair
        assert pair is not None and pair.name == "cross-entropy"
    finally:
        lossmath.shipped.cache_clear()


@pytest.mark.parametrize(("pair", "message"), [
    ("softmax-ish", r"J_\{softmax-ish\}: the window sums a shipped pair loss \(cross-entropy, "),
    ("neg-sampling", r"J_\{neg-sampling\} is not a loss of \(v_c, o, U\): a window sums one"),
])
def test_a_window_sums_a_shipped_pair_loss_of_v_c_o_u(pair: str, message: str) -> None:
    with pytest.raises(ReadError, match=r"^line 2, column \d+: " + message):
        read_loss("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in "
                  "\\mathbb{R}^{d}$.\n$$J = \\sum_{-m \\le j \\le m, j \\ne 0} "
                  f"J_{{\\text{{{pair}}}}}(\\mathbf{{v}}_c, w_{{t+j}}, \\mathbf{{U}})$$", "sg")


def test_an_entry_written_in_one_subscript_is_the_entry() -> None:
    # v_{c,i}, as students write the i-th entry of v_c, reads as (v_c)_i, never as a name v_c,i
    text = ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in "
            "\\mathbb{R}^{d}$, $o \\in \\{1, \\dots, V\\}$ and $\\lambda > 0$.\n"
            "$$\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{U}^\\top \\mathbf{v}_c)$$\n"
            "$$J = -\\log \\hat{y}_o + \\lambda \\sum_{i=1}^{d} |ENTRY|$$")
    one = read_loss(text.replace("ENTRY", "v_{c,i}"), "one").loss.expr
    two = read_loss(text.replace("ENTRY", "(\\mathbf{v}_c)_i"), "two").loss.expr
    assert one == two and len(one.atoms(Abs)) == 1


_DECLARED = ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in "
             "\\mathbb{R}^{d}$ and $o \\in \\{1, \\dots, V\\}$.\n")
_SOFTMAX = "\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{U}^\\top \\mathbf{v}_c)"


@pytest.mark.parametrize("displays", [
    f"\\begin{{equation}}\n{_SOFTMAX}\n\\end{{equation}}\n\\begin{{equation*}}\nJ = -\\log "
    "\\hat{y}_o \\label{eq:loss}\n\\end{equation*}",
    f"\\begin{{align}}\n{_SOFTMAX} \\nonumber \\\\\nJ &= -\\log \\hat{{y}}_o \\\\\n"
    "&= -\\log \\hat{y}_o\n\\end{align}",
    f"\\begin{{align*}}\n{_SOFTMAX}, \\qquad J = -\\log \\hat{{y}}_o\n\\end{{align*}}",
    # the definition after the loss that uses it
    f"$$J = -\\log \\hat{{y}}_o, \\qquad {_SOFTMAX}$$",
])
def test_display_environments_are_displays(displays: str) -> None:
    # equation, align (rows split at \\, & and \label blanked, a row going on with &= skipped)
    want = read_loss(_DECLARED + f"$${_SOFTMAX}$$\n$$J = -\\log \\hat{{y}}_o$$", "dollars")
    got = read_loss(_DECLARED + displays, "env")
    assert got.loss.expr == want.loss.expr and got.loss.softmax is not None


def test_an_error_in_an_align_row_names_its_line_and_column() -> None:
    text = (_DECLARED + f"\\begin{{align}}\n{_SOFTMAX} \\\\\n"
            "  J &= -\\log \\hat{z}_o\n\\end{align}")
    with pytest.raises(ReadError, match=r"^line 4, column 14: \\hat\{z\}_o is not declared"):
        read_loss(text, "bad")


def test_definitions_in_terms_of_each_other_are_refused() -> None:
    text = ("Let $\\mathbf{v}_c \\in \\mathbb{R}^{d}$.\n$$\\mathbf{a} = \\mathbf{b} + "
            "\\mathbf{v}_c, \\quad \\mathbf{b} = \\mathbf{a}$$\n$$J = \\mathbf{a}^\\top "
            "\\mathbf{v}_c$$")
    with pytest.raises(ReadError, match=r"^line 2, column \d+: b is not declared"):
        read_loss(text, "cycle")


def test_samples_declared_as_a_family_of_indices() -> None:
    for names in ("w_1, \\dots, w_K", "w_1, w_2, \\dots, w_K", "w_1, w_2, \\ldots, w_{K}"):
        text = ("Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$ and $\\mathbf{v}_c \\in "
                f"\\mathbb{{R}}^{{d}}$; the samples are ${names} \\in \\{{1, \\dots, V\\}}$.\n"
                "$$J = \\sum_{s=1}^{K} \\log \\sigma(\\mathbf{u}_{w_s}^\\top \\mathbf{v}_c)$$")
        lf = read_loss(text, "samples")
        (w,) = [d for d in lf.inputs if d.kind == "indices"]
        assert (w.name, w.shape) == ("w", ("K", "V")), names
        ((base, size),) = lf.loss.families
        assert (base.name, tuple(map(str, base.shape)), str(size)) == ("w", ("K",), "V")
    for counted in ("$w_s \\in \\{1, \\dots, V\\}$ for $s = 1, \\dots, K$",
                    "$w_s \\in \\{1, \\ldots, V\\}$, $1 \\le s \\le K$"):
        lf = read_loss(text.replace(f"${names} \\in \\{{1, \\dots, V\\}}$", counted), "counted")
        assert [(d.name, d.kind, d.shape) for d in lf.inputs][-1] == ("w", "indices", ("K", "V"))
    # one sample by its number is not a sample of every K: refused, never an IndexError at a
    # check point with fewer samples
    text = text.replace("\\sum_{s=1}^{K} \\log \\sigma(\\mathbf{u}_{w_s}",
                        "\\log \\sigma(\\mathbf{u}_{w_7}")
    with pytest.raises(ReadError, match=r"w_7: a loss of K samples names them w_s inside"):
        read_loss(text, "seventh")


def test_a_list_of_vectors_with_dots_is_not_a_family() -> None:
    # x_1, …, x_3 ∈ ℝ^d declares vectors (those it names), never a family of indices
    text = ("Let $\\mathbf{x}_1, \\dots, \\mathbf{x}_3 \\in \\mathbb{R}^{d}$.\n"
            "$$J = \\mathbf{x}_1^\\top \\mathbf{x}_3$$")
    lf = read_loss(text, "vectors")
    assert [(d.name, d.kind) for d in lf.inputs] == [("x_1", "vector"), ("x_3", "vector")]
