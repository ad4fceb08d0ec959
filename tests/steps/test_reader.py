"""Reading what students write (issue 21): each construct read and judged, a planted error in
each found, and every way a step could pass without being checked closed."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from derive.steps import check_text
from derive.steps.nodes import IndexRel

DATA = Path(__file__).parent.parent / "data" / "steps"


def verdicts(text: str, **kw) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(v.step.line, v.status) for v in check_text(text, **kw).verdicts]


def statuses(text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.status for v in check_text(text, **kw).verdicts]


NS = "naive-softmax"

# Each construct, written correctly (holds) and with an error planted (fails).
CONSTRUCTS = [
    # spacing and sizing anywhere
    (r"\frac{\partial}{\partial v_c}\Big(-u_o^\top v_c\Big) \, = \; -\! u_o \quad \tag{2}",
     r"\frac{\partial}{\partial v_c}\bigl(-u_o^\top v_c\bigr) \, = \; \! u_o"),
    (r"\left. \hat{y}_o \right. = \left( \hat{y}_o \right) \nonumber \label{x}",
     r"\left. \hat{y}_o \right. = \left( 2 \hat{y}_o \right)"),
    # P(o | c) forms
    (r"P(o | c) = \hat{y}_o", r"P(o | c) = \hat{y}_o + 1"),
    (r"p(O=w, C=c) u_w = \hat{y}_w u_w", r"p(w \mid c) u_w = y_w u_w"),
    (r"\Pr[w|c] = \hat{y}_w", r"\Pr[w|c] = y_w"),
    (r"-\log \mathrm{P}(O = o | C = c) = -\log \hat{y}_o",
     r"-\log \mathbb{P}(O = o \mid C = c) = \log \hat{y}_o"),
    # a case in a subscript
    (r"\frac{\partial J}{\partial u_{w \neq o}} = \hat{y}_w v_c",
     r"\frac{\partial J}{\partial u_{w \neq o}} = (\hat{y}_w - 1) v_c"),
    (r"\frac{\partial J}{\partial \mathbf{u}_{w=o}} = (\hat{y}_w - 1) v_c",
     r"\frac{\partial J}{\partial \mathbf{u}_{w=o}} = \hat{y}_w v_c"),
    # sums: any letter, no index, \Sigma, the one term w = o, sample notation
    (r"\sum_{x \in V} \hat{y}_x u_x = U \hat{y}", r"\sum_{x \in V} \hat{y}_x u_x = U y"),
    (r"\sum \hat{y}_w u_w = U \hat{y}", r"\sum \hat{y}_w u_w = U y"),
    (r"\Sigma_w \hat{y}_w = 1", r"\Sigma_w \hat{y}_w = 2"),
    (r"\sum_{w = o} y_w \log \hat{y}_w = \log \hat{y}_o",
     r"\sum_{w = o} y_w \log \hat{y}_w = \log \hat{y}_w"),
    (r"\sum_{s=1}^{K} \mathbf{u}_{w_s}^\top v_c = \sum_{k=1}^{K} u_k^\top v_c",
     r"\sum_{s=1}^{K} \mathbf{u}_{w_s}^\top v_c = \sum_{k=1}^{K} u_k^\top u_o"),
    # functions written without a backslash, in \text, in braces
    (r"-log(exp(u_o^T v_c)) = -u_o^T v_c", r"-log(exp(u_o^T v_c)) = u_o^T v_c"),
    (r"\text{exp}(\mathrm{log}(\hat{y}_o)) = \hat{y}_o",
     r"\text{exp}(\mathrm{log}(\hat{y}_o)) = y_o"),
    (r"\exp{(u_o^T v_c) v_c} = \exp(u_o^T v_c) v_c", r"\exp{(u_o^T v_c) v_c} = v_c"),
    # d as a differential; σ'; the slash form
    (r"\frac{d\sigma(x)}{dx} = \sigma(x)(1-\sigma(x))",
     r"\frac{d\sigma(x)}{dx} = \sigma(x)(1+\sigma(x))"),
    (r"\frac{\mathrm{d}}{\mathrm{d}x}\sigma(x) = \sigma(x)\sigma(-x)",
     r"\frac{\mathrm{d}}{\mathrm{d}x}\sigma(x) = \sigma(x)^2"),
    (r"\sigma'(x) = \sigma(x)(1 - \sigma(x))", r"\sigma'(x) = 1 - \sigma(x)"),
    (r"\sigma^\prime(x) = \sigma(x)(1 - \sigma(x))", r"\sigma^\prime(x) = \sigma(x)"),
    (r"\partial J/\partial U = v_c(\hat{y} - y)^\top",
     r"\partial J/\partial U = v_c(y - \hat{y})^\top"),
    # transposes written first, inside fonts; \hat{y_o}; fonts in subscripts
    (r"u^\top_o v_c = v_c^\top u_o", r"u^\top_o v_c = 2 v_c^\top u_o"),
    (r"\bm{U^\top} \mathbf{v}_c = U^\top v_c", r"\bm{U^\top} \mathbf{v}_c = 2 U^\top v_c"),
    (r"\hat{y_o} = \hat{y}_o", r"\hat{y_o} = y_o"),
    (r"\mathbf{u}_{\mathbf{o}} = U y", r"\mathbf{u}_{\mathbf{o}} = U \hat{y}"),
    # Unicode
    ("σ(x) · (1 − σ(x)) = σ(x) σ(−x)", "σ(x) · (1 − σ(x)) = σ(x) σ(x)"),
    ("uᵀ_o v_c = v_c^⊤ u_o", "uᵀ_o v_c = −v_c^⊤ u_o"),
    # 0 + a vector, a written zero of any shape
    (r"0 + u_o = U y", r"0 + u_o = U \hat{y}"),
    (r"\frac{\partial}{\partial v_c} 3 = \mathbf{0}",
     r"\frac{\partial}{\partial v_c} u_o^T v_c = 0"),
    # a cases environment as \left\{ \begin{array}
    (r"y_w = \left\{ \begin{array}{ll} 1, & \text{if } w = o \\ 0, & \text{o.w.} "
     r"\end{array}\right.",
     r"y_w = \left\{ \begin{array}{ll} 0, & \text{if } w = o \\ 1, & \text{o.w.} "
     r"\end{array}\right."),
    # an array's cells in braces, as converters write them
    (r"y_w = \left\{\begin{array}{ll} {1} & {\text { if } w = o} \\ {0} & "
     r"{\text { if } w \ne o} \end{array}\right.",
     r"y_w = \left\{\begin{array}{ll} {0} & {\text { if } w = o} \\ {1} & "
     r"{\text { if } w \ne o} \end{array}\right."),
    # an empty group before a transpose (u_o{ }^{T}), as converters write it
    (r"\mathbf{u}_{\mathbf{o}}{ }^{T} \mathbf{v}_{\mathbf{c}} = v_c^\top u_o",
     r"\mathbf{u}_{\mathbf{o}}{ }^{T} \mathbf{v}_{\mathbf{c}} = -v_c^\top u_o"),
    # σ(x)': the prime after the argument
    (r"\sigma(x)' = \sigma(x)(1-\sigma(x))", r"\sigma(x)' = \sigma(x)(1+\sigma(x))"),
    # an accented index: \hat{w} is an index of its own, never w
    (r"\sum_{\hat{w}\in V} u_\hat{w}\hat{y}_\hat{w} = U \hat{y}",
     r"\sum_{\hat{w}\in V} u_\hat{w}\hat{y}_w = U \hat{y}"),
    # a sum written out term by term, its last term at the vocabulary's size
    (r"-(y_1 \log \hat{y}_1 + \cdots + y_o \log \hat{y}_o + \cdots + y_{|V|} \log \hat{y}_{|V|})"
     r" = -\log \hat{y}_o",
     r"-(y_1 \log \hat{y}_1 + \cdots + y_o \log \hat{y}_o + \cdots + y_{|V|} \log \hat{y}_{|V|})"
     r" = \log \hat{y}_o"),
    (r"\hat{y}_1 u_1 + \ldots + \hat{y}_V u_V = U \hat{y}",
     r"\hat{y}_1 u_1 + \ldots + \hat{y}_V u_V = U y"),
    # an operator followed by a sign takes the rest of the formula: ∇(−uᵀv + log Σ …)
    (r"\nabla_{v_c} -u_o^\top v_c + \log \sum_w \exp(u_w^\top v_c) = U(\hat{y} - y)",
     r"\nabla_{v_c} -u_o^\top v_c + \log \sum_w \exp(u_w^\top v_c) = U(y - \hat{y})"),
    # a condition set as a formula inside the text: \text{if $w = o$}
    (r"y_w = \begin{cases} 1, & \text{if $w = o$} \\ 0, & \text{otherwise} \end{cases}",
     r"y_w = \begin{cases} 0, & \text{if $w = o$} \\ 1, & \text{otherwise} \end{cases}"),
    # entries x_i of a vector x, each its own number: σ(x_i), ∂/∂x_i
    (r"\frac{\partial \sigma(x_i)}{\partial x_i} = \sigma(x_i)(1-\sigma(x_i))",
     r"\frac{\partial \sigma(x_j)}{\partial x_i} = \sigma(x_i)(1-\sigma(x_i))"),
    (r"\sigma(x_i) = \frac{1}{1 + e^{-x_i}}", r"\sigma(x_i) = \frac{1}{1 + e^{-x_j}}"),
    # a whole power on a function's name is the power of its value, as in sin²x
    (r"\sigma(x) - \sigma^2(x) = \sigma(x)(1-\sigma(x))",
     r"\sigma(x) - \sigma^2(x) = \sigma(\sigma(x))"),
    # a case "if otherwise", as some write the last one
    (r"y_w = \begin{cases} 1 & \text{if } w = o \\ 0 & \text{if otherwise} \end{cases}",
     r"y_w = \begin{cases} 0 & \text{if } w = o \\ 1 & \text{if otherwise} \end{cases}"),
    # ∂J/∂U as the row of its columns, written out: [∂J/∂u_1 ⋯ ∂J/∂u_{|V|}]
    (r"\frac{\partial J}{\partial U} = \begin{bmatrix} \frac{\partial J}{\partial u_1} & "
     r"\frac{\partial J}{\partial u_2} & \cdots & \frac{\partial J}{\partial u_{|V|}} "
     r"\end{bmatrix}",
     r"\frac{\partial J}{\partial v_c} = \begin{bmatrix} \frac{\partial J}{\partial u_1} & "
     r"\frac{\partial J}{\partial u_2} & \cdots & \frac{\partial J}{\partial u_{|V|}} "
     r"\end{bmatrix}"),
    (r"\left[\begin{array}{ccc} u_1 & \cdots & u_{\lvert V \rvert} \end{array}\right] = U",
     r"\left[\begin{array}{ccc} u_1 & \cdots & u_{\lvert V \rvert} \end{array}\right] = -U"),
    # dσ/dx with σ written alone: the derivative of σ(x)
    (r"\frac{d \sigma}{d x} = \sigma(x)(1-\sigma(x))",
     r"\frac{d \sigma}{d x} = \sigma(x)(1+\sigma(x))"),
    # the cross-entropy written CE(y, ŷ)
    (r"CE(y, \hat{y}) = -\log \hat{y}_o", r"CE(y, \hat{y}) = \log \hat{y}_o"),
    (r"CrossEntropy(y, \hat{y}) = -\log \hat{y}_o", r"CrossEntropy(y, \hat{y}) = -\log y_o"),
    # u and an index run together, as transcribed handwriting has it: uw is u_w
    (r"\sum_{w} \hat{y}_w uw = U \hat{y}", r"\sum_{w} \hat{y}_w uw = U y"),
    (r"\frac{\partial}{\partial v_c} uo^T v_c = u_o",
     r"\frac{\partial}{\partial v_c} uo^T v_c = v_c"),
    # norms with the subscript the loss files read: ‖U‖_F², ‖v_c‖_2²
    (r"\frac{\partial}{\partial U} \|U\|_F^2 = 2U",
     r"\frac{\partial}{\partial U} \lVert U \rVert_F^2 = U"),
    (r"\frac{\partial}{\partial v_c} \|v_c\|_2^2 = 2 v_c",
     r"\frac{\partial}{\partial v_c} \|v_c\|_2^2 = v_c"),
]


@pytest.mark.parametrize(("right", "wrong"), CONSTRUCTS)
def test_each_construct_is_read_and_judged(right: str, wrong: str) -> None:
    assert statuses(f"$${right}$$", problem=NS) == ["holds"]
    assert statuses(f"$${wrong}$$", problem=NS) == ["fails"]


@pytest.mark.parametrize("env", ["align", "align*", "eqnarray", "eqnarray*", "gather",
                                 "multline", "equation"])
def test_environments(env: str) -> None:
    amp = "&=&" if env.startswith("eqnarray") else "&="
    if env in ("gather", "multline", "equation"):
        amp = "="
    body = rf"\hat{{y}}_o {amp} \hat{{y}}_o" if env != "equation" else r"\hat{y}_o = \hat{y}_o"
    text = rf"\begin{{{env}}} {body} \end{{{env}}}"
    assert statuses(text) == ["holds"]
    assert statuses(r"$$\begin{split} \hat{y}_o &= y_o \end{split}$$") == ["fails"]
    assert statuses(r"$$\begin{align} \hat{y}_o &= 2\hat{y}_o \end{align}$$") == ["fails"]


def test_an_intermediate_defined_in_prose_or_display_stands_for_its_formula() -> None:
    text = (r"Let $\theta = U^\top v_c$ be the scores. "
            r"$$\hat{y}_o = \frac{\exp(\theta_o)}{\sum_w \exp(\theta_w)}$$" "\n"
            r"$$z = u_o^\top v_c$$" "\n" r"$$\sigma(z) = \sigma(v_c^\top u_o)$$" "\n"
            r"$$\sigma(z) = \sigma(-z)$$")
    report = check_text(text)
    assert [v.status for v in report.verdicts] == ["holds", "definition", "holds", "fails"]
    assert "θ_o" in report.table()
    # a name the handout has is not redefined: y = 2 is a claim about y, and false
    assert statuses(r"Let $y = 2 \hat{y}$. $$y_o = 2\hat{y}_o$$") == ["fails"]


def test_aliases_in_latex_spelling() -> None:
    text = r"$$\mathbf{u}_{\text{out}} = U y$$"
    assert statuses(text, aliases=[r"\mathbf{u}_{\text{out}}=u_o"]) == ["holds"]
    assert statuses(r"$$\boldsymbol{\omega}_o = \hat{y}_o$$",
                    aliases=[r"\boldsymbol{\omega}=\hat{y}"]) == ["holds"]


def test_inline_answers_are_read_when_they_state_a_derivative() -> None:
    text = r"The answer is $\frac{\partial J}{\partial v_c} = U(\hat{y} - y)$, and $y_w = 1$."
    assert statuses(text, problem=NS) == ["holds"]
    assert statuses(text.replace("U(", "U^T("), problem=NS) == ["fails"]


# -- J bound to the problem's loss -------------------------------------------------------------

@pytest.mark.parametrize("name", [r"J_{\text{naive-softmax}}", "J_{naive-softmax}",
                                  r"J_\mathrm{naive-softmax}", r"J_{\text {naive\_softmax}}"])
def test_j_is_the_loss_its_subscript_names(name: str) -> None:
    text = rf"$${{\partial {name}}}/\partial v_c = U(\hat{{y}} - y)$$"
    assert statuses(text.replace("{\\partial", "\\partial").replace("}/", "/")) == ["holds"]


def test_a_bare_j_is_the_loss_last_named_in_the_text() -> None:
    neg = r"-(1 - \sigma(u_o^T v_c)) v_c"
    text = (r"(b) For $J_{\text{naive-softmax}}$: "
            r"$$\frac{\partial J}{\partial v_c} = U(\hat{y}-y)$$" "\n"
            r"(e) For $J_{\text{neg-sample}}$: $$\frac{\partial J}{\partial u_o} = " + neg + "$$")
    assert statuses(text) == ["holds", "holds"]
    assert statuses(text.replace("neg-sample", "naive-softmax")) == ["holds", "fails"]


def test_a_j_nobody_defined_is_unread_never_a_fail_or_a_pass() -> None:
    # nothing here is one problem's more than another's (no ŷ, no σ): J cannot be told
    report = check_text(r"$$\frac{\partial J}{\partial u_o} = -v_c$$")
    assert [v.status for v in report.verdicts] == ["unread"]
    assert "--problem" in report.verdicts[0].reason and report.exit_status == 3


def test_the_first_line_is_checked_against_the_loss() -> None:
    assert statuses(r"$$J_{\text{naive-softmax}}(v_c, o, U) = -\log \hat{y}_o$$") == ["holds"]
    assert statuses(r"$$J_{\text{naive-softmax}}(v_c, o, U) = \log \hat{y}_o$$") == ["fails"]
    # a loss derive does not know is still the file's own definition
    assert statuses(r"$$J(v_c, o, U) = -\log \hat{y}_o$$") == ["definition"]


# -- how it judges -----------------------------------------------------------------------------

def test_a_right_gradient_after_a_wrong_step_says_so() -> None:
    text = (r"$$\begin{aligned}\frac{\partial J}{\partial v_c} &= -u_o + \sum_w \hat{y}_w u_w \\"
            r" &= u_o - \sum_w \hat{y}_w u_w \\ &= U(\hat{y} - y)\end{aligned}$$")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "fails", "fails"]
    assert report.verdicts[2].reason.startswith("this is the right gradient (it equals line 1);"
                                                " the step before it is not an equality")
    assert "right gradient" not in report.verdicts[1].reason


def test_a_side_after_an_unread_one_is_judged_against_the_chain_and_never_passes_the_file() -> None:
    chain = (r"$$\frac{\partial J}{\partial v_c} = \frac{\partial J}{\partial \theta} "
             r"\frac{\partial \theta}{\partial v_c} = {}$$")
    wrong = check_text(chain.replace("{}", r"U^T(\hat{y} - y)"), problem=NS)
    assert [v.status for v in wrong.verdicts] == ["unread", "fails"]
    assert "compared with the first side of its chain" in wrong.verdicts[1].reason
    right = check_text(chain.replace("{}", r"U(\hat{y} - y)"), problem=NS)
    assert [v.status for v in right.verdicts] == ["unread", "holds"]
    assert right.exit_status == 3 and right.passed  # nothing failed, yet not a pass


def test_exit_status() -> None:
    assert check_text(r"$$\hat{y}_o = \hat{y}_o$$").exit_status == 0
    assert check_text(r"$$\hat{y}_o = y_o$$ $$\hat{y}_o = qz$$").exit_status == 1
    assert check_text(r"$$\hat{y}_o = \hat{y}_o$$ $$\hat{y}_o = qz$$").exit_status == 3
    assert check_text("no formula at all").exit_status == 3
    assert check_text(r"$$= \hat{y}_o$$").exit_status == 3  # nothing before it


# -- false-✓ risks, each closed ----------------------------------------------------------------

def test_a_transpose_inside_a_font_command_is_never_dropped() -> None:
    # read without its ᵀ, \bm{U^\top} y would be U y = u_o and the step would pass
    assert statuses(r"$$\bm{U^\top} y = u_o$$") == ["fails"]
    assert statuses(r"$$\mathbf{y^\top} \hat{y} = \hat{y}_o$$") == ["holds"]
    assert statuses(r"$$\mathbf{u_o^\top} v_c = v_c^\top u_o$$") == ["holds"]
    # anything else inside a font command is unread, not dropped
    assert statuses(r"$$\mathbf{U y} = u_o$$") == ["unread"]
    assert statuses(r"$$\hat{y_o^2} = \hat{y}_o$$") == ["unread"]


def test_a_case_in_a_heading_ends_at_the_next_heading() -> None:
    text = ("### Case $w \\neq o$\n\n$$\\hat{y}_w - y_w = \\hat{y}_w$$\n\n"
            "### Any w\n\n$$\\hat{y}_w - y_w = \\hat{y}_w$$\n")
    # true only when w ≠ o: holds under the heading, fails after the next one
    assert statuses(text) == ["holds", "fails"]


def test_a_case_a_step_does_not_use_is_not_applied() -> None:
    report = check_text("### Case $w = o$\n\n$$\\sigma'(x) = \\sigma(x)\\sigma(-x)$$")
    assert [v.status for v in report.verdicts] == ["holds"]
    assert report.verdicts[0].step.conditions == ()


def test_sum_over_k_in_a_naive_softmax_answer_runs_over_the_vocabulary() -> None:
    text = r"$$\sum_k u_k^\top v_c = \sum_{w} u_w^\top v_c$$"
    assert statuses(text, problem=NS) == ["holds"]
    # in a negative-sampling answer Σ_k is over the K samples, the columns of U_neg
    assert statuses(text, problem="neg-sampling") == ["fails"]


def test_a_function_or_name_in_text_is_never_set_aside_as_a_note() -> None:
    # \text{exp} dropped as an annotation would leave log(ŷ_o) = … to be judged instead
    assert statuses(r"$$\text{exp}(\log \hat{y}_o) = \log \hat{y}_o$$") == ["fails"]
    assert statuses(r"$$\mathrm{y}_o \log \hat{y}_o = \log \hat{y}_o$$") == ["holds"]
    assert statuses(r"$$\hat{y}_o = \hat{y}_o \text{ (by definition)}$$") == ["holds"]


def test_a_bare_sum_with_no_single_free_index_is_unread() -> None:
    assert statuses(r"$$\sum \hat{y}_w \hat{y}_k = 1$$") == ["unread"]


def test_a_written_zero_is_zero_of_that_shape_only() -> None:
    assert statuses(r"$$U(\hat{y} - y) = \mathbf{0}$$") == ["fails"]
    assert statuses(r"$$\sum_w (\hat{y}_w - y_w) u_o = 0$$") == ["holds"]


# -- fixtures written for these tests ----------------------------------------------------------

def test_fixture_answers_hold() -> None:
    for name in ("naive_softmax.md", "neg_sample.tex", "answers.ipynb"):
        report = check_text((DATA / name).read_text(encoding="utf-8"))
        assert report.exit_status == 0, (name, report.table())


def test_fixture_planted_errors_fail_exactly_where_planted() -> None:
    report = check_text((DATA / "naive_softmax_planted.md").read_text(encoding="utf-8"))
    assert verdicts_of(report) == [(8, "holds"), (9, "fails"), (10, "fails"), (16, "fails"),
                                   (18, "fails"), (20, "fails")]


def verdicts_of(report) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [(v.step.line, v.status) for v in report.verdicts]


def test_a_twenty_step_answer_is_judged_in_under_a_second() -> None:
    forms = [r"\frac{\partial}{\partial v_c} \left(-u_o^\top v_c + \log \sum_w \exp(u_w^\top v_c)"
             r"\right)", r"-u_o + \sum_{w} \hat{y}_w u_w", r"U\hat{y} - u_o", r"U(\hat{y} - y)",
             r"\sum_{w} (\hat{y}_w - y_w) u_w"]
    rows = " \\\\\n".join("&= " + forms[n % len(forms)] for n in range(20))
    text = (r"$$\begin{aligned} \frac{\partial J}{\partial v_c} " + rows + r"\end{aligned}$$")
    check_text(r"$$\frac{\partial}{\partial x} \sigma(x) = \sigma(x)(1 - \sigma(x))$$")  # loaded
    start = time.perf_counter()
    report = check_text(text, problem=NS)
    assert report.exit_status == 0 and report.checked == 20
    assert time.perf_counter() - start < 1.0


# -- a loss stated inside the first derivative ----------------------------------------------

def _verdicts(name: str, **kw: object) -> list[tuple[int, str]]:
    report = check_text((DATA / name).read_text(encoding="utf-8"), **kw)  # type: ignore[arg-type]
    return [(v.step.line, v.status) for v in report.verdicts]


def test_a_chain_that_states_its_loss_binds_j_for_its_part() -> None:
    got = _verdicts("stated_loss.md")
    # part one is naive softmax, part two negative sampling; part three states no loss
    assert got == [(10, "holds"), (11, "holds"), (12, "holds"), (18, "holds"), (24, "holds"),
                   (25, "holds"), (28, "holds"), (32, "holds")]
    report = check_text((DATA / "stated_loss.md").read_text(encoding="utf-8"))
    # part three is written in σ: negative sampling's terms, and it says so
    assert report.verdicts[-1].reason == "J read as the neg-sampling loss: this part writes σ"


def test_a_stated_loss_that_is_no_known_loss_binds_nothing() -> None:
    got = dict(_verdicts("stated_loss_planted.md"))
    # +log instead of −log: J stays unknown (never judged as if it were the loss), the step
    # after it is judged as written, and the planted sign in part two fails
    assert got[10] == "unread" and got[11] == "fails" and got[18] == "unread"
    assert got[28] == "fails" and got[24] == "holds"


def test_problem_given_is_never_inferred_over() -> None:
    got = dict(_verdicts("stated_loss_planted.md", problem="naive-softmax"))
    assert got[10] == "fails"  # −∂/∂v_c log ŷ_o is not ∂/∂v_c log ŷ_o
    assert got[24] == "fails"  # the negative-sampling part against the naive-softmax loss


def test_a_loss_stated_with_its_sign_outside_binds_j_to_the_next_part_label() -> None:
    got = _verdicts("stated_loss_parts.md")
    assert got == [(7, "holds"), (8, "holds"), (11, "holds"), (15, "holds")]
    report = check_text((DATA / "stated_loss_parts.md").read_text(encoding="utf-8"))
    # (e) states no loss, but σ is negative sampling's alone: J is that loss there, not (c)'s
    assert report.verdicts[-1].reason.startswith("J read as the neg-sampling loss")
    assert dict(_verdicts("stated_loss_parts_planted.md")) == {7: "holds", 8: "fails",
                                                                11: "holds", 15: "holds"}


# -- a part written in one problem's terms ---------------------------------------------------

def test_a_part_written_in_one_problems_terms_binds_j_to_that_loss() -> None:
    got = _verdicts("part_evidence.md")
    # (b), (c): ŷ and U are naive softmax's; (e): σ and Σ to K negative sampling's; (g) mixes
    # both and (h) uses neither, so their J stays unknown: unread, never judged
    assert got == [(8, "holds"), (9, "holds"), (14, "holds"), (18, "holds"), (20, "holds"),
                   (24, "unread"), (26, "unread"), (30, "unread")]
    report = check_text((DATA / "part_evidence.md").read_text(encoding="utf-8"))
    assert report.verdicts[2].reason == "J read as the naive-softmax loss: this part writes y, ŷ"
    assert report.exit_status == 3


def test_a_part_read_by_its_terms_still_finds_each_planted_error() -> None:
    got = dict(_verdicts("part_evidence_planted.md"))
    assert got == {8: "holds", 9: "fails", 14: "fails", 18: "holds", 20: "fails",
                   24: "unread", 26: "unread", 30: "unread"}


def test_terms_never_override_a_named_or_given_loss() -> None:
    text = (r"(e) $$\frac{\partial J}{\partial u_o} = (\sigma(u_o^\top v_c) - 1) v_c$$")
    assert statuses(text) == ["holds"]  # σ: negative sampling
    assert statuses(text, problem=NS) == ["fails"]
    assert statuses(r"For $J_{\text{naive-softmax}}$: " + text) == ["fails"]


def test_a_part_that_states_a_loss_of_its_own_is_never_read_by_its_terms() -> None:
    # +log: J is the student's own loss, so ∂J/∂U = v_c(ŷ − y)ᵀ (naive softmax's) is not
    # judged against naive softmax, though the part writes ŷ
    got = dict(_verdicts("stated_loss_planted.md"))
    assert got[10] == "unread" and got[18] == "unread"


def test_a_statement_that_keeps_only_the_terms_with_x_is_no_loss_of_its_own() -> None:
    kept = (r"(e) $$\frac{\partial J}{\partial u_o} = -\frac{\partial}{\partial u_o}"
            r" \log \sigma({}u_o^\top v_c) = (\sigma(u_o^\top v_c) - 1) v_c$$")
    # the K-sum has no u_o in it: J is still negative sampling's loss, read from σ
    assert statuses(kept.replace("{}", "")) == ["holds", "holds"]
    # a sign lost inside σ agrees with no loss's derivative: J is the student's own, unread,
    # and the step after it is judged as written
    assert statuses(kept.replace("{}", "-")) == ["unread", "fails"]


# -- Markdown editors' ∂ and a case written as a row of its own ---------------------------------

def test_part_is_the_markdown_editors_partial() -> None:
    display = r"$$\frac{\part J}{\part v_c} = {}(\hat{y} - y)$$"
    assert statuses(display.replace("{}", "U"), problem=NS) == ["holds"]
    assert statuses(display.replace("{}", "U^T"), problem=NS) == ["fails"]
    # inline too: it states a derivative, so it is a claim
    assert statuses(r"so $\part J / \part v_c = U^T(\hat{y} - y)$.", problem=NS) == ["fails"]


CASE_ROWS = r"""$$
\begin{split}
({}) \\
\frac{\partial J}{\partial u_w} &= \hat{y}_w v_c \\
({}) \\
\frac{\partial J}{\partial u_w} &= (\hat{y}_w - 1) v_c
\end{split}
$$"""


def test_a_row_that_is_only_a_case_holds_for_the_rows_after_it() -> None:
    right = CASE_ROWS.replace("{}", r"w \neq o", 1).replace("{}", "w=o", 1)
    assert statuses(right, problem=NS) == ["holds", "holds"]
    swapped = CASE_ROWS.replace("{}", "w=o", 1).replace("{}", r"w \neq o", 1)
    assert statuses(swapped, problem=NS) == ["fails", "fails"]
    # without the rows the cases are not known, and neither line holds for every w
    bare = CASE_ROWS.replace(r"({}) \\", "")
    assert statuses(bare, problem=NS) == ["fails", "fails"]


def test_cases_with_punctuation_after_each_condition() -> None:
    text = (r"$$\frac{\partial J}{\partial u_w} = \begin{cases} ({}\hat{y}_o - 1) v_c, & w = o,"
            r" \\ \hat{y}_w v_c, & w \neq o. \end{cases}$$")
    assert statuses(text.replace("{}", ""), problem=NS) == ["holds"]
    assert statuses(text.replace("{}", "-"), problem=NS) == ["fails"]


def test_two_equations_side_by_side_are_two_claims() -> None:
    text = r"$$u_o = {}y,\quad \sum_{w} \hat{y}_w u_w = U\hat{y}$$"
    assert statuses(text.replace("{}", "U"), problem=NS) == ["holds", "holds"]
    # before, the second left side was compared with the first: u_o = Uŷ, a false ✗
    assert statuses(text.replace("{}", "U^T"), problem=NS) == ["fails", "holds"]
    # a condition after ,\quad stays the condition of its equation
    cond = r"$$\frac{\partial J}{\partial u_w} = \hat{y}_w v_c,\quad \text{if } w \neq o$$"
    assert statuses(cond, problem=NS) == ["holds"]


@pytest.mark.parametrize("lead", ["The gradient is zero exactly when", "It vanishes if:",
                                  "We need y such that"])
def test_a_display_the_prose_makes_a_condition_is_not_judged(lead: str) -> None:
    report = check_text(lead + "\n\n$$U(\\hat{y} - y) = 0$$", problem=NS)
    assert [v.status for v in report.verdicts] == ["unchecked"]
    assert report.exit_status == 3  # never a pass, never a fail
    # the same display after "Hence" is a claim, and false
    assert statuses("Hence\n\n$$U(\\hat{y} - y) = 0$$", problem=NS) == ["fails"]


# -- θ named as the softmax's argument, the chain rule in the other layout -------------------

def test_theta_named_as_the_argument_of_the_softmax_is_the_logits() -> None:
    text = (r"$$\hat{y} = \text{softmax}(\theta)$$" "\n"
            r"$$\frac{\partial J}{\partial \theta} = \hat{y} - {}y$$")
    # alone, ŷ = softmax(θ) defines θ: nothing to judge, and never a ✓ made true by reading
    assert statuses(text.replace("{}", ""), problem=NS) == ["definition", "holds"]
    assert statuses(text.replace("{}", "2"), problem=NS) == ["definition", "fails"]
    # a row that goes on is judged, θ so bound
    going_on = r"$$\hat{y} = \text{softmax}(\theta) = \text{softmax}({}U^\top v_c)$$"
    assert statuses(going_on.replace("{}", ""), problem=NS) == ["holds", "holds"]
    assert statuses(going_on.replace("{}", "2"), problem=NS) == ["holds", "fails"]
    # ŷ = softmax(θ) with a θ of the text's own is checked, never a new meaning for θ
    own = r"Let $\theta = 2 U^\top v_c$. " + text.replace("{}", "")
    assert statuses(own, problem=NS) == ["fails", "unchecked"]


def test_the_chain_rule_in_the_numerator_layout_is_a_layout_error() -> None:
    text = (r"Let $\theta = U^\top v_c$. $$\frac{\partial J}{\partial v_c} = "
            r"\frac{\partial J}{\partial \theta}\frac{\partial \theta}{\partial v_c}$$")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["layout"]
    assert report.verdicts[0].reason.endswith(
        "it holds in the numerator layout (--layout numerator)")
    assert statuses(text, problem=NS, layout="numerator") == ["holds"]
    # written in the denominator layout's order it holds as it is
    fine = text.replace(r"\frac{\partial J}{\partial \theta}\frac{\partial \theta}{\partial v_c}",
                        r"\frac{\partial \theta}{\partial v_c}\frac{\partial J}{\partial \theta}")
    assert statuses(fine, problem=NS) == ["holds"]
    # a value error is a value error in either layout
    assert statuses(text.replace("v_c}$$", "v_c} + v_c$$"), problem=NS) == ["fails"]


def test_a_case_in_the_subscript_replaces_the_case_the_prose_named_before() -> None:
    text = (r"There are two cases, $w = o$ and $w \neq o$." "\n\n"
            r"$$\frac{\partial J}{\partial u_{w=o}} = ({}\hat{y}_o - 1) v_c$$")
    assert statuses(text.replace("{}", ""), problem=NS) == ["holds"]
    assert statuses(text.replace("{}", "-"), problem=NS) == ["fails"]


def test_a_function_of_x_the_text_defines_and_its_derivative() -> None:
    text = (r"For $f(x) = \max(\alpha x, x)$, where $0 < \alpha < 1$:"
            r"$$f'(x) = \begin{cases} {} & x > 0 \\ \alpha & x < 0 \end{cases}$$")
    assert statuses(text.replace("{}", "1")) == ["holds"]
    assert statuses(text.replace("{}", r"\alpha")) == ["fails"]
    assert statuses(r"$$f(x) = \sigma(x)$$ $$f'(x) = f(x)(1 - f(x))$$") == ["definition", "holds"]
    # f is a formula of x: at any other argument it is not read, never evaluated at x
    assert statuses(r"$$f(x) = \sigma(x)$$ $$f(2x) = \sigma(2x)$$") == ["definition", "unread"]


@pytest.mark.parametrize("one", [r"\mathbb{1}\{w = o\}", r"\mathbb{1}[w=o]", r"\mathbf{1}_{w=o}",
                                 r"(1 - \mathbb{1}\{w \neq o\})"])
def test_an_indicator_of_a_case_is_the_kronecker_delta(one: str) -> None:
    text = r"$$\frac{\partial J}{\partial u_w} = (\hat{y}_w - " + one + r") v_c$$"
    assert statuses(text, problem=NS) == ["holds"]
    assert statuses(text.replace(r"\hat{y}_w -", r"\hat{y}_w +"), problem=NS) == ["fails"]


def test_an_indicator_of_anything_else_is_not_read() -> None:
    text = r"$$\frac{\partial J}{\partial x} = \mathbb{1}\{x > 0\}$$"
    assert statuses(text, problem="leaky-relu") == ["unread"]


def test_log_run_on_to_the_models_probability() -> None:
    assert statuses(r"$$J_{naive-softmax} = -logP(O=o|C=c)$$") == ["holds"]
    assert statuses(r"$$J_{naive-softmax} = logP(O=o|C=c)$$") == ["fails"]
    assert statuses(r"$$J_{naive-softmax} = logP$$") == ["unread"]  # no P(…): not read


def test_cross_entropy_is_read_with_y_first_only() -> None:
    report = check_text(r"$$CE(\hat{y}, y) = -\log \hat{y}_o$$", problem=NS)
    assert [v.status for v in report.verdicts] == ["unread"]
    assert "CE is read as CE(y, \\hat{y})" in report.verdicts[0].reason


def test_j_stated_as_a_loss_is_that_loss_for_its_part_only() -> None:
    # (b) J = CE(y, ŷ) makes J the cross-entropy there; (e) is read by its own terms again
    text = ("(b)\n$$J = CE(y, \\hat{y})$$\n"
            "$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n"
            "(e)\n$$\\frac{\\partial J}{\\partial u_o} = (\\sigma(u_o^\\top v_c) - 1) v_c$$\n"
            "$$\\frac{\\partial J}{\\partial u_k} = \\sigma(u_k^\\top v_c) v_c$$\n")
    report = check_text(text)
    assert [(v.step.line, v.status) for v in report.verdicts] == [
        (2, "holds"), (3, "holds"), (5, "holds"), (6, "holds")]
    assert "J read as the neg-sampling loss" in report.verdicts[2].reason


@pytest.mark.parametrize("sloppy", [
    r"y_1 \log \hat{y}_1 + \cdots + y_w \log \hat{y}_w = \log \hat{y}_o",  # last at w, not V
    r"\hat{y}_1 u_1 + \cdots + \hat{y}_V u_1 = U \hat{y}",  # terms of different shapes
    r"y_1 - \cdots - y_V = 0",  # a difference is no written-out sum
])
def test_a_written_out_sum_is_read_only_when_every_term_is_one_formula(sloppy: str) -> None:
    assert statuses(f"$${sloppy}$$", problem=NS) == ["unread"]


def test_a_dollar_inside_text_does_not_end_an_inline_formula() -> None:
    text = (r"$\begin{aligned}[t] y_w &= \begin{cases} 1, & \text{if $w = o$} \\ 0, & "
            r"\text{otherwise} \end{cases} \\ \hat{y}_o &= P(O = o \mid C = c) \end{aligned}$")
    assert statuses(text, problem=NS) == ["holds", "holds"]
    wrong = text.replace(r"\hat{y}_o &= P", r"\hat{y}_o &= 2 P")
    assert statuses(wrong, problem=NS) == ["holds", "fails"]


def test_macros_in_ensuremath_or_braces_name_one_symbol() -> None:
    defs = (r"\newcommand\bu{\ensuremath{\mathbf{u}}}" "\n"
            r"\newcommand{\bv}{{\mathbf{v}}}" "\n"
            r"\newcommand{\q}{{\hat{y}_o + 1}}" "\n")
    assert statuses(defs + r"$$\bu_o^\top \bv_c = v_c^\top u_o$$", problem=NS) == ["holds"]
    assert statuses(defs + r"$$\bu_o^\top \bv_c = -v_c^\top u_o$$", problem=NS) == ["fails"]
    # braces around more than one symbol stay: {ŷ_o + 1}^2 is (ŷ_o + 1)², never ŷ_o + 1²
    assert statuses(defs + r"$$\q^2 = (\hat{y}_o + 1)^2$$", problem=NS) == ["holds"]


def test_a_power_on_a_function_other_than_a_whole_one_is_not_read() -> None:
    assert statuses(r"$$\sigma^{-1}(x) = x$$", problem=NS) == ["unread"]


def test_a_new_name_at_the_head_of_a_chain_names_its_first_formula() -> None:
    # "l = A = B = C": l stands for A, and A = B = C is judged as written
    text = (r"$$l = \frac{1}{\sum_{w} \exp(u_w^T v_c)} \frac{\partial}{\partial u_w} "
            r"\exp(u_w^T v_c) = \frac{\exp(u_w^T v_c)}{\sum_{w} \exp(u_w^T v_c)} v_c = "
            r"\hat{y}_w v_c$$" "\n" r"$$l = \hat{y}_w v_c$$" "\n" r"$$l = \hat{y}_w u_w$$")
    assert statuses(text, problem=NS) == ["definition", "holds", "holds", "holds", "fails"]


def test_a_derivative_by_an_entry_of_an_intermediate() -> None:
    text = (r"Let $\theta = U^\top v_c$ and $\hat{y} = \text{softmax}(\theta)$." "\n"
            r"$$\frac{\partial J}{\partial \theta_w} = \hat{y}_w - y_w$$" "\n"
            r"$$\frac{\partial J}{\partial \theta_w} = y_w - \hat{y}_w$$" "\n"
            r"$$\frac{\partial \hat{y}_o}{\partial \theta_w} = "
            r"\hat{y}_o(\delta_{ow} - \hat{y}_w)$$")
    assert statuses(text, problem=NS) == ["holds", "fails", "holds"]
    # of a vector by one entry: not worked out, so never a pass
    vector = r"Let $\theta = U^\top v_c$." "\n" r"$$\frac{\partial \theta}{\partial \theta_w} = y$$"
    assert statuses(vector, problem=NS) == ["unchecked"]


def test_a_matrix_is_read_only_as_one_row_written_out() -> None:
    assert statuses(r"$$\begin{bmatrix} u_1 & u_2 \\ u_3 & u_4 \end{bmatrix} = U$$",
                    problem=NS) == ["unread"]
    assert statuses(r"$$\begin{bmatrix} u_1 & u_o \end{bmatrix} = U$$", problem=NS) == ["unread"]


@pytest.mark.parametrize("suffix", [r",\space for \space k=1,2,...,K", r"\quad \text{for } k = 1, "
                                    r"\ldots, K", r", \text{ for } k \in \{1, \dots, K\}"])
def test_a_range_after_the_formula_is_every_value_it_already_takes(suffix: str) -> None:
    right = r"$$\frac{\partial J}{\partial u_k} = \sigma(u_k^Tv_c)v_c" + suffix + "$$"
    assert statuses(right, problem="neg-sampling") == ["holds"]
    assert statuses(right.replace("= \\sigma", "= -\\sigma"), problem="neg-sampling") == ["fails"]
    # a range that leaves values out is no such note: not read, never a pass
    part = (r"$$\frac{\partial J}{\partial u_k} = \sigma(u_k^Tv_c)v_c \quad \text{for } k = 2, "
            r"\ldots, K$$")
    assert statuses(part, problem="neg-sampling") == ["unread"]


def test_an_operator_before_a_sign_stops_at_the_next_operator() -> None:
    # ∂/∂v (−uᵀv) + ∂/∂v log Σ …: each operator its own term, never a derivative of one
    text = (r"$$\frac{\partial}{\partial v_c} -u_o^T v_c + \frac{\partial}{\partial v_c} \log "
            r"\sum_w \exp(u_w^T v_c) = -u_o + \sum_w \hat{y}_w u_w$$")
    assert statuses(text, problem=NS) == ["holds"]
    assert statuses(text.replace("-u_o +", "u_o +"), problem=NS) == ["fails"]


# -- a case stated in words at the start of a display's row --------------------------------

def test_a_row_that_opens_with_its_case_in_words_holds_that_case_for_the_rows_after() -> None:
    text = (r"$$\begin{aligned}"
            r"&\text{If } w \ne o,\ \text{then}\ y_w = 0,\ \frac{\partial u_o^\top v_c}"
            r"{\partial u_w} = 0 \\"
            r"&\frac{\partial J}{\partial u_w} = \hat{y}_w v_c = (\hat{y}_w - y_w) v_c"
            r"\end{aligned}$$")
    report = check_text(text, problem=NS)
    assert [(v.status, v.step.conditions) for v in report.verdicts] == [
        ("holds", (IndexRel("w", "≠", "o"),))] * 4
    spaced = (r"$$When\ w=o,\ then\ y_o=1,\frac{\partial u_o^Tv_c}{\partial u_w}=v_c \\"
              r"\frac{\partial J}{\partial u_w}=(\hat y_w - 1) v_c$$")
    assert statuses(spaced, problem=NS) == ["holds", "holds", "holds"]
    planted = spaced.replace(r"(\hat y_w - 1) v_c", r"\hat y_w v_c")
    assert statuses(planted, problem=NS) == ["holds", "holds", "fails"]


def test_a_row_saying_when_something_is_zero_makes_the_rest_of_its_display_no_claim() -> None:
    text = (r"$$\frac{\partial J}{\partial v_c} = U\hat{y} - u_o \\"
            r"When\ \partial J\ is\ 0,\ we\ have \\ u_o = U \hat{y}$$")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "unchecked"]
    assert report.verdicts[1].reason == ("a condition, not a claim: the prose before it says "
                                         "when it holds")
    # prose that states no condition hides nothing: the wrong step after it still fails
    other = text.replace(r"When\ \partial J\ is\ 0,\ we\ have", r"If\ we\ expand,\ we\ get")
    assert statuses(other, problem=NS) == ["holds", "fails"]


# -- a J named in one part, used bare in a later part written in another problem's terms ----

NAMED_THEN_BARE = (
    "(b) $$J_{\\text{naive-softmax}}(v_c, o, U) = -\\log \\hat{y}_o$$\n"
    "$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n\n"
    "(e) $$\\frac{\\partial J}{\\partial u_o} = (\\sigma(u_o^\\top v_c) - 1) v_c$$\n"
    "$$\\frac{\\partial J}{\\partial v_c} = (\\sigma(u_o^\\top v_c) - 1) u_o"
    " + \\sum_{k=1}^{K} \\sigma(u_k^\\top v_c) u_k$$\n")


def test_a_later_part_in_another_problems_terms_reads_its_bare_j_as_that_loss() -> None:
    report = check_text(NAMED_THEN_BARE)
    assert [v.status for v in report.verdicts] == ["holds"] * 4
    assert report.verdicts[2].reason == ("J read as the neg-sampling loss: this part writes a "
                                         "sum to K, σ")
    planted = NAMED_THEN_BARE.replace(r"\sigma(u_k^\top v_c) u_k", r"\sigma(-u_k^\top v_c) u_k")
    assert [v.status for v in check_text(planted).verdicts] == ["holds", "holds", "holds", "fails"]


def test_a_j_the_file_defines_itself_or_problem_gives_is_never_read_as_another_loss() -> None:
    own = NAMED_THEN_BARE.replace(r"J_{\text{naive-softmax}}(v_c, o, U)", "J")
    assert [v.status for v in check_text(own).verdicts] == [
        "definition", "holds", "fails", "fails"]
    assert [v.status for v in check_text(NAMED_THEN_BARE, problem=NS).verdicts][2:] == [
        "fails", "fails"]


def test_an_items_label_opening_a_row_is_set_aside() -> None:
    text = (r"$$\begin{align} (i)&\frac{\partial J}{\partial v_c} = U(\hat{y} - y) \\"
            r"(ii)\quad & \frac{\partial J}{\partial u_w} = (\hat{y}_w - y_w) v_c"
            r"\end{align}$$")
    assert statuses(text, problem=NS) == ["holds", "holds"]
    assert statuses(text.replace(r"(\hat{y}_w - y_w)", r"(y_w - \hat{y}_w)"), problem=NS) == [
        "holds", "fails"]
    # a label only where a formula follows it, never the left side of a chain: (i) &= is
    # left as written (and not read, i being an index), not taken for the chain's next side
    chain = r"$$\begin{align} \hat{y}_o &= \hat{y}_o \\ (i) &= \hat{y}_o \end{align}$$"
    assert statuses(chain) == ["holds", "unread"]


def test_a_range_after_a_formula_or_on_a_row_of_its_own_is_no_claim() -> None:
    right = (r"$$\frac{\partial J}{\partial u_k} = \sigma(u_k^\top v_c) v_c,"
             r" \forall k \in [1, K]$$")
    assert statuses(right, problem="neg-sampling") == ["holds"]
    assert statuses(right.replace(r"\sigma(u_k", r"\sigma(-u_k"),
                    problem="neg-sampling") == ["fails"]
    own_row = (r"$$\frac{\partial J}{\partial u_i} = (\hat{y}_i - y_i) v_c \\"
               r" i = 1, 2, ..., |Vocab|$$")
    assert statuses(own_row, problem=NS) == ["holds"]
    assert statuses(own_row.replace(r"(\hat{y}_i - y_i)", r"(y_i - \hat{y}_i)"),
                    problem=NS) == ["fails"]
    # a range that stops short of a size is a claim as any other: k = 1, 2 is not the range
    assert statuses(r"$$\hat{y}_o = \hat{y}_o \\ k = 1, 2$$") == ["holds", "unread"]


def test_j_sg_is_the_skip_gram_loss() -> None:
    text = (r"$$\frac{\partial J_{sg}}{\partial v_c} = \sum_{-m \le j \le m, j \neq 0}"
            r" \frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}$$")
    assert statuses(text) == ["holds"]
    assert statuses(text.replace(r"\partial v_c}$$", r"\partial U}$$")) == ["fails"]


def test_not_equal_written_as_in_code() -> None:
    right = r"$$-\sum_{w \in V} y_w \log \hat{y}_w = -\log \hat{y}_o - \sum_{w!=o} 0$$"
    assert statuses(right) == ["holds"]
    assert statuses(right.replace(r"-\log \hat{y}_o", r"\log \hat{y}_o")) == ["fails"]


def test_a_loss_name_misspelt_by_a_letter_is_the_loss_it_is_closest_to() -> None:
    text = (r"$$\frac{\partial J_{\text{negseample}}}{\partial u_o}"
            r" = (\sigma(u_o^\top v_c) - 1) v_c$$")
    assert statuses(text) == ["holds"]
    assert statuses(text.replace("- 1) v_c", "+ 1) v_c")) == ["fails"]
    # too short to tell, or as close to two losses: named nothing
    assert statuses(text.replace("negseample", "nsg")) == ["unread"]


def test_a_case_in_brackets_closing_the_row() -> None:
    text = (r"$$J_{skip-gram} = \sum_{-m \le j \le m, j \neq 0} J(v_c, w_{t+j}, U)$$" "\n"
            r"$$\frac{\partial J_{skip-gram}}{\partial v_w} = 0 (\text{ when } w \neq c)$$")
    assert statuses(text) == ["holds", "holds"]
    assert statuses(text.replace("= 0 (", "= v_c (")) == ["holds", "fails"]


def test_a_norm_with_any_other_subscript_is_not_read() -> None:
    assert check_text(r"$$\|U\|_3^2 = 1$$").verdicts[0].reason == (
        "the side before cannot be read: a norm is ‖x‖, ‖x‖_2 or ‖X‖_F")





def test_u_run_together_with_more_than_one_index_letter_is_not_read() -> None:
    assert check_text(r"$$uwk = u_w$$").verdicts[0].reason.startswith(
        "the side before cannot be read: unknown name uwk")


def test_a_display_answering_when_the_gradient_is_zero_is_no_claim() -> None:
    text = ("(ii) When is the gradient you computed equal to zero?\n\n"
            "**Hint:** some linear algebra helps.\n\n"
            "$$\\begin{aligned} U(\\hat{y} - y) &= 0 \\\\ \\hat{y} &= y \\end{aligned}$$\n")
    report = check_text(text)
    assert [v.status for v in report.verdicts] == ["unchecked", "unchecked"]
    assert report.verdicts[0].reason == ("a condition, not a claim: the prose before it says "
                                         "when it holds")
    # a question about anything else leaves the display a claim
    other = text.replace("equal to zero?", "largest?")
    assert [v.status for v in check_text(other).verdicts] == ["fails", "fails"]


def test_the_rows_after_a_definition_go_on_from_its_formula() -> None:
    text = ("$$\\frac{\\partial J}{\\partial v_c} = U(\\hat{y} - y)$$\n\n"
            "$$\\begin{aligned} f(x) &= \\max(\\alpha x, x) \\\\\n"
            "&= \\begin{cases} \\alpha x & \\text{if } x < 0 \\\\ x & \\text{if } x > 0"
            " \\end{cases} \\end{aligned}$$\n")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "definition", "holds"]
    planted = text.replace(r"\alpha x & \text{if } x < 0", r"x & \text{if } x < 0")
    assert [v.status for v in check_text(planted, problem=NS).verdicts] == [
        "holds", "definition", "fails"]
