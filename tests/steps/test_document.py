"""The rows of a display and the claims in them (document.py, claims.py): how alignment, cases
and the names of the sides are told apart from the formula (issue 21)."""
from __future__ import annotations

from derive.steps import check_text, render

NS = "naive-softmax"


def statuses(text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.status for v in check_text(text, **kw).verdicts]


def shown(text: str, **kw) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(v.status, render.text(v.step.left.node) if v.step.left else "",
             render.text(v.step.right.node) if v.step.right else "")
            for v in check_text(text, **kw).verdicts]


CASES_IN_ALIGNED = r"""$$
\begin{aligned}
\frac{\partial J}{\partial u_w} &= \hat{y}_w v_c - \frac{\partial}{\partial u_w} u_o^\top v_c \\
&= \left\{\begin{aligned}
&(\hat{y}_w - 1) v_c && \text{if } w = o \\
&\hat{y}_w v_c && \text{otherwise}
\end{aligned}\right. \\
&= (\hat{y}_w - y_w) v_c
\end{aligned}
$$
"""


def test_an_aligned_inside_a_brace_is_cases_not_rows_of_the_display() -> None:
    # its rows were the display's before: the row after it was compared with ŷ_w v_c, the last
    # case, and a right step failed
    report = check_text(CASES_IN_ALIGNED, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "holds", "holds"]
    assert shown(CASES_IN_ALIGNED, problem=NS)[2][1] == (
        "{(ŷ_w - 1) v_c if w = o; ŷ_w v_c otherwise}")
    wrong_case = CASES_IN_ALIGNED.replace(r"&(\hat{y}_w - 1) v_c", r"&(\hat{y}_w + 1) v_c")
    assert statuses(wrong_case, problem=NS) == ["holds", "fails", "fails"]
    wrong_end = CASES_IN_ALIGNED.replace(r"(\hat{y}_w - y_w) v_c", r"(\hat{y}_w + y_w) v_c")
    assert statuses(wrong_end, problem=NS) == ["holds", "holds", "fails"]


def test_cells_that_only_align_are_no_part_of_a_case() -> None:
    text = r"$$y_w = \left\{\begin{aligned} 1 &,& w = o \\ 0 &,& w \neq o \\ \end{aligned}\right.$$"
    assert shown(text) == [("holds", "y_w", "{1 if w = o; 0 if w ≠ o}")]
    assert statuses(text.replace("1 &,& w = o", "0 &,& w = o")) == ["fails"]


def test_an_ampersand_before_the_equals_sign_aligns_and_drops_nothing() -> None:
    # &A &&= B (alignat style): everything after a second & was set aside as a note, and the
    # row's step vanished without a word
    text = (r"$$\begin{aligned} &\frac{\partial J}{\partial v_c} &&= U(\hat{y} - y) \\"
            r" &\frac{\partial J}{\partial U} &&= v_c(\hat{y} - y)^\top \end{aligned}$$")
    assert statuses(text, problem=NS) == ["holds", "holds"]
    assert statuses(text.replace(r"&&= U(\hat{y} - y)", r"&&= U(y - \hat{y})"),
                    problem=NS) == ["fails", "holds"]
    # after the =, a second & still starts a note
    note = r"$$\frac{\partial J}{\partial v_c} &= U(\hat{y} - y) && \text{by (b)}$$"
    assert statuses(note, problem=NS) == ["holds"]


def test_an_equation_implying_another_is_two_equations() -> None:
    text = (r"$$y_w = \left\{\begin{aligned} &1 && \text{if } w = o \\ &0 && \text{otherwise}"
            r"\end{aligned}\right. \Rightarrow -\sum_w y_w \log \hat{y}_w = -y_o \log \hat{y}_o"
            r" = -\log \hat{y}_o$$")
    # read as one chain, the cases were equated with the sum: a false ✗
    assert shown(text) == [
        ("holds", "y_w", "{1 if w = o; 0 otherwise}"),
        ("holds", "-Σ_w y_w log(ŷ_w)", "-y_o log(ŷ_o)"),
        ("holds", "-y_o log(ŷ_o)", "-log(ŷ_o)")]
    assert statuses(text.replace(r"= -\log \hat{y}_o$$", r"= \log \hat{y}_o$$")) == [
        "holds", "holds", "fails"]
    # a ⇒ with no equation after it goes on with the chain, as before
    chain = r"$$\frac{\partial J}{\partial v_c} = U\hat{y} - Uy \Rightarrow U(\hat{y} - y)$$"
    assert statuses(chain, problem=NS) == ["holds", "holds"]


def test_the_names_of_the_sides_to_show_equal_are_no_sides() -> None:
    text = r"$$\text{LHS} = -\sum_w y_w \log \hat{y}_w = -\log \hat{y}_o = \text{RHS}$$"
    assert shown(text) == [("holds", "-Σ_w y_w log(ŷ_w)", "-log(ŷ_o)")]
    assert statuses(text.replace(r"= -\log", r"= \log")) == ["fails"]


def test_an_inline_formula_on_a_line_of_its_own_is_an_answer() -> None:
    # answers written in $…$ only, each on its own line or after a list's bullet
    text = ("The loss is a cross-entropy:\n\n"
            "$\\sum_w y_w \\log \\hat{y}_w = y_o \\log \\hat{y}_o = \\log \\hat{y}_o$\n\n"
            "* $\\sigma(x) = \\frac{1}{1 + e^{-x}} = \\frac{e^x}{e^x + 1}$.\n")
    assert statuses(text) == ["holds", "holds", "holds", "holds"]
    planted = text.replace(r"= \log \hat{y}_o$", r"= -\log \hat{y}_o$")
    assert statuses(planted) == ["holds", "fails", "holds", "holds"]


def test_an_inline_formula_inside_a_sentence_is_still_prose() -> None:
    # "$y_w = 1$ when …" is no claim: it shares its line with words
    assert statuses("Here $y_w = 1$ exactly when $w = o$, and 0 otherwise.\n") == []


def test_a_case_on_a_line_of_its_own_is_the_case_of_the_display_after_it() -> None:
    text = ("$w \\neq o$\n\n"
            "$$\\frac{\\partial J}{\\partial u_w} = \\hat{y}_w v_c$$\n")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds"]
    assert statuses(text.replace(r"\neq", "="), problem=NS) == ["fails"]


def test_a_case_in_a_subscript_of_text_after_the_derivative_is_its_case() -> None:
    text = r"$$\frac{\partial J}{\partial u_w} _{\text{ when } w \ne o } = \hat{y}_w v_c$$"
    assert shown(text, problem=NS) == [("holds", "∂J/∂u_w", "ŷ_w v_c")]
    assert check_text(text, problem=NS).verdicts[0].step.conditions  # the case, kept
    assert statuses(text.replace(r"w \ne o", "w = o"), problem=NS) == ["fails"]


def test_a_quantifier_opening_a_row_is_no_part_of_the_formula() -> None:
    text = (r"$$\forall w \in V, \hat{y}_w = \frac{\exp(u_w^\top v_c)}"
            r"{\sum_x \exp(u_x^\top v_c)}$$")
    assert statuses(text) == ["holds"]
    assert statuses(text.replace(r"{\sum_x \exp(u_x^\top v_c)}", "{2}")) == ["fails"]
