from __future__ import annotations

import pytest

from derive.render import answers

LABELS = "abcdefghi"
FILE = r"""% my answers
\begin{answer}{b}
$$J(v_c, o, U) = -\log \hat{y}_o$$
\begin{align*}
\frac{\partial J}{\partial v_c} &= -u_o + \sum_{w} \hat{y}_w u_w \\
&= U(\hat{y} - y)
\end{align*}
\end{answer}

\begin{answer}{d}
$$J(v_c, o, U) = -\log \hat{y}_o$$
$$\frac{\partial J}{\partial U} = v_c \hat{y}^\top$$
\end{answer}
"""


def test_blocks_are_read_by_label_with_their_lines():
    got = answers.read(FILE, LABELS)
    assert list(got) == ["b", "d"]
    assert got["b"].line == 2 and got["d"].line == 10
    assert got["d"].text.strip().endswith(r"v_c \hat{y}^\top$$")
    assert got["b"].tex.endswith("\\end{align*}\n")


def test_check_names_the_wrong_step_of_each_answer():
    checked = answers.check(answers.read(FILE, LABELS))
    assert not checked["b"].failed and checked["d"].failed
    table = answers.table(checked)
    assert ("question (d)\n  line 11   ≔  J = -log(ŷ_o)   (definition)\n"
            "  line 12   ✗  ∂J/∂U ≠ v_c ŷᵀ") in table
    assert "line 6    ✓  -u_o + Σ_w ŷ_w u_w = U (ŷ - y)" in table
    assert table.endswith("2 answers checked; not verified: (d)\n")


def test_an_answer_check_steps_cannot_read_is_not_a_pass():
    text = "\\begin{answer}{a}$$\\foo = 1$$\\end{answer}"
    checked = answers.check(answers.read(text, LABELS))
    assert checked["a"].failed
    # read as an unread step (check-steps judges what it can read), never a pass
    report = checked["a"].report
    assert report is None or (report.exit_status == 3 and not report.checked)


@pytest.mark.parametrize(("body", "message"), [
    (r"\input{/etc/passwd}",
     r"^answers, line 1: answer \(a\) uses \\input, which an answer may not"),
    ("x\n\\immediate\\write18{rm -rf /}", r"^answers, line 2: answer \(a\) uses \\immediate"),
    (r"\openout3=x.tex", r"^answers, line 1: answer \(a\) uses \\openout"),
    (r"\catcode`\@=11", r"^answers, line 1: answer \(a\) uses \\catcode"),
    (r"^^5cinput{/etc/passwd}", r"^answers, line 1: answer \(a\) uses \^\^, TeX's character-code"),
    (r"\def\x{y}", r"^answers, line 1: answer \(a\) uses \\def"),
    (r"\directlua{os.exit()}", r"^answers, line 1: answer \(a\) uses \\directlua"),
    (r"\pdffiledump length 10 {/etc/passwd}", r"^answers, line 1: answer \(a\) uses \\pdffiledump"),
    (r"\scantokens{x}", r"^answers, line 1: answer \(a\) uses \\scantokens"),
    (r"\begin{verbatim}x\end{verbatim}",
     r"^answers, line 1: answer \(a\) opens environment 'verbatim'"),
    (r"\end{document}", r"^answers, line 1: answer \(a\) opens environment 'document'"),
    (r"{x", r"^answers, line 1: answer \(a\): 1 \{ never closed"),
])
def test_what_tex_must_not_read_is_refused(body, message):
    with pytest.raises(ValueError, match=message):
        answers.read("\\begin{answer}{a}" + body + "\\end{answer}", LABELS)


@pytest.mark.parametrize(("text", "message"), [
    ("\\begin{answer}{z}x\\end{answer}",
     r"^answers, line 1: an answer to question 'z', which this handout does not have; its "
     r"questions: a, b"),
    ("\\begin{answer}{a}x\\end{answer}\n\\begin{answer}{a}y\\end{answer}",
     r"^answers, line 2: a second answer to question \(a\); the first is on line 1$"),
    ("\\begin{answer}{a}x\n\\begin{answer}{b}y\\end{answer}",
     r"^answers, line 1: the answer to \(a\) has no \\end\{answer\}"),
    ("x\n\\end{answer}", r"^answers, line 2: an \\end\{answer\} that closes nothing$"),
])
def test_a_malformed_file_is_named_with_its_line(text, message):
    with pytest.raises(ValueError, match=message):
        answers.read(text, "ab")
