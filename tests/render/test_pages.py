"""The handouts as a course hands them out, read back from the PDFs page by page (pdftotext)."""
from __future__ import annotations

import re
import subprocess
import unicodedata

import pytest
import sympy as sp

from derive import calculus
from derive import notation as n
from derive.build import Answers, handouts
from derive.calculus.functions import sigmoid
from derive.cli import main
from derive.problems import QUESTIONS
from derive.render import handout, spec

from .test_tex import require_tex


@pytest.fixture(scope="module")
def derived():
    return handout.derivations()


def pages(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return [" ".join(unicodedata.normalize("NFC", p).split()) for p in out.split("\f")[:-1]]


def page_of(heading: str, texts: list[str]) -> int:
    (number,) = [k for k, text in enumerate(texts, start=1) if heading in text]
    return number


def test_every_prompt_shares_its_page_with_its_box(derived, tmp_path):
    require_tex()
    texts = pages(handouts(["questions"], derivations=derived, pdf=True)
                  .files["questions.pdf"], tmp_path)
    headings = [f"({q.label}) {q.title.replace(chr(39), '’')}" for q in QUESTIONS]
    for heading in headings:
        page = texts[page_of(heading, texts) - 1]
        after = page.split(heading, 1)[1]
        # this question's box is on its page, before any later question starts
        others = [after.find(h) for h in headings if h in after]
        assert 0 <= after.find("Your answer") < min(others, default=len(after)), heading


def test_one_per_page_puts_question_k_on_page_k_plus_1(derived, tmp_path):
    require_tex()
    texts = pages(handouts(["questions"], derivations=derived, pdf=True, one_per_page=True)
                  .files["questions.pdf"], tmp_path)
    assert len(texts) == 1 + len(QUESTIONS)
    assert "Written questions" in texts[0] and "Your answer" not in texts[0]  # the cover
    for k, q in enumerate(QUESTIONS, start=1):
        assert page_of(f"({q.label}) {q.title.replace(chr(39), '’')}", texts) == k + 1
        assert texts[k].count("Your answer") == 1


def _logistic(path, wrt):
    """Stands in for a loss file until loss files are read (#19): J = -log σ(u_oᵀv_c)."""
    J = -sp.log(sigmoid(sp.Sum(n.u_o.indexed[n.i] * n.v_c.indexed[n.i], (n.i, 0, n.d - 1))))
    return calculus.Loss("logistic", J, None, wrt=(n.v_c,), column_cases=False)


COURSE = '''title = "Série 2 : dérivées, θ et ∂ ≤ ü"
course = "CS224N"
[[questions]]
id = "sigmoid"
points = 2
[[questions]]
id = "naive-softmax-u-matrix"
points = 3
[[questions]]
id = "cross-entropy"
[[questions]]
loss = "logistic.tex"
wrt = ["v_c"]
title = "Logistic centre vector"
prompt = "Differentiate −log σ(u_oᵀv_c) with respect to v_c."
points = 4
'''


def test_a_course_spec_builds_both_handouts(derived, tmp_path, monkeypatch):
    require_tex()
    (tmp_path / "course.toml").write_text(COURSE)
    (tmp_path / "logistic.tex").write_text("% read by the loss-file reader (#19)\n")
    monkeypatch.setattr(spec, "load_loss", _logistic)
    out = handouts(handout.KINDS, derivations=derived, pdf=True, spec=tmp_path / "course.toml")
    questions = " ".join(pages(out.files["questions.pdf"], tmp_path))
    solutions = " ".join(pages(out.files["solutions.pdf"], tmp_path))
    headings = (("(a) The sigmoid’s derivative", "2 pts"),
                ("(b) Gradient with respect to the outside matrix", "3 pts"),
                ("(c) Naive softmax is cross-entropy", "1 pt"),
                ("(d) Logistic centre vector", "4 pts"))
    for text in (questions, solutions):
        assert "CS224N Série 2 : dérivées, θ et ∂ ≤ ü" in text  # the header, as typed
        assert "4 questions, 10 pts in total" in text  # 2 + 3 + 1 + 4
        assert all(heading in text for heading, _ in headings)
    for heading, points in headings:
        assert re.search(re.escape(heading) + r"\s+" + re.escape(points), questions), heading
    assert "Differentiate −log σ(u_o⊤ v_c) with respect to v_c." in questions  # as text
    # sigmoid's Parts, 0.5 + 1 + 1, scaled to 2
    assert "✓ + 0.4 pts [PART 1]" in solutions and "✓ + 0.8 pts [PART 2]" in solutions
    assert "✓ + 4 pts [PART 1]" in solutions  # the loss file's one chain


def test_a_spec_without_loss_files_refuses_them_today(tmp_path, capsys):
    (tmp_path / "course.toml").write_text(COURSE)
    (tmp_path / "logistic.tex").write_text("")
    assert main(["handout", "--spec", str(tmp_path / "course.toml"), "-o",
                 str(tmp_path / "out")]) == 2
    assert "loss files are not supported yet" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


ANSWERS = r"""\begin{answer}{d}
$$J(v_c, o, U) = -\log \hat{y}_o$$
$$\frac{\partial J}{\partial U} = v_c \hat{y}^\top$$
\end{answer}
\begin{answer}{b}
Typed by a student: the centre vector.
\end{answer}
"""


def test_answers_fill_their_boxes_and_check_names_a_wrong_step(tmp_path, capsys):
    require_tex()
    (tmp_path / "answers.tex").write_text(ANSWERS)
    out = tmp_path / "out"
    assert main(["handout", "--questions", "--answers", str(tmp_path / "answers.tex"),
                 "--check", "--mark", "-o", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "question (d)" in printed and "line 3    ✗  ∂J/∂U ≠ v_c ŷᵀ" in printed
    texts = pages((out / "questions.pdf").read_bytes(), tmp_path)
    b = page_of("(b) Gradient with respect to the centre vector", texts)
    assert "Your answer Typed by a student: the centre vector." in texts[b - 1]
    d = page_of("(d) Gradient with respect to the outside matrix", texts)
    assert "Your answer J(vc , o, U ) = − log ŷo" in texts[d - 1]
    assert "l. 3 ×" in texts[d - 1]  # --mark: the verdict beside the box
    assert texts[d - 1].count("Your answer") >= 1


def test_a_long_answer_grows_its_box_onto_the_next_page(derived, tmp_path):
    require_tex()
    body = "\n\n".join(f"Line {k} of a long answer." for k in range(80))
    out = handouts(["questions"], derivations=derived, pdf=True,
                   answers=Answers(_write(tmp_path, "\\begin{answer}{c}" + body + "\\end{answer}")))
    texts = pages(out.files["questions.pdf"], tmp_path)
    c = page_of("(c) Gradient with respect to an outside vector", texts)
    assert "Line 0 of a long answer." in texts[c - 1]
    assert "Line 79 of a long answer." in " ".join(texts[c:])
    assert page_of("(d) Gradient with respect to the outside matrix", texts) > c


def _write(tmp_path, text):
    path = tmp_path / "answers.tex"
    path.write_text(text)
    return path


def test_a_refused_answer_writes_nothing(tmp_path, capsys):
    (tmp_path / "answers.tex").write_text("\\begin{answer}{b}\\input{/etc/passwd}\\end{answer}")
    out = tmp_path / "out"
    assert main(["handout", "--answers", str(tmp_path / "answers.tex"), "-o", str(out)]) == 2
    assert r"answer (b) uses \input" in capsys.readouterr().err
    assert not out.exists()


def test_same_sources_same_pdf_bytes(derived, tmp_path):
    require_tex()
    first = handouts(["questions"], derivations=derived, pdf=True, one_per_page=True)
    again = handouts(["questions"], derivations=derived, pdf=True, one_per_page=True)
    assert first.files["questions.pdf"] == again.files["questions.pdf"]
