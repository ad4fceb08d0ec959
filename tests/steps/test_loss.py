"""Loss files: each of the corpus's losses written as a .tex file (tests/data/losses) reads,
derives to matrix form and matches the hand-written NumPy gradient of the same loss; an
unreadable file is an error with its line and column."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
])
def test_unreadable_file_names_line_and_column(text: str, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read_loss(text, "bad")


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
