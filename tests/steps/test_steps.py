"""The step checker: reading (grammar, labels, chains), deciding, mutants and hostile input."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.steps import ReadError, check_text
from derive.steps.lexer import tokenize
from derive.steps.nodes import Column, Deriv, Mul, Obj, Pick, Sum, Transpose
from derive.steps.syntax import parse_side
from derive.steps.vocabulary import Aliases

J = r"$$J(v_c, o, U) = -\log \hat{y}_o$$" + "\n"


def read(latex: str, *aliases: str):  # type: ignore[no-untyped-def]
    return parse_side(tokenize(latex), Aliases.parse(list(aliases)))


def failing_lines(text: str, **kw) -> list[int]:  # type: ignore[no-untyped-def]
    return [v.step.line for v in check_text(text, **kw).verdicts if v.failed]


# -- reading ------------------------------------------------------------------------------

@pytest.mark.parametrize(("latex", "node"), [
    (r"\mathbf{u}_w^\top \mathbf{v}_c",
     Mul((Transpose(Column("w")), Obj("v_c")), ("",))),
    (r"u_{w'}^T v_c", Mul((Transpose(Column("w'")), Obj("v_c")), ("",))),
    (r"\hat{\mathbf{y}}_o", Pick(Obj(r"\hat{y}"), ("o",))),
    (r"P(O = w \mid C = c)", Pick(Obj(r"\hat{y}"), ("w",))),
    (r"\left(\mathbf{v}_c\right)_{j}", Pick(Obj("v_c"), ("j",))),
    (r"\mathbf{U}_{j,o}", Pick(Obj("U"), ("j", "o"))),
    (r"\vc", Obj("v_c")),
])
def test_names_as_students_and_handouts_write_them(latex: str, node: object) -> None:
    assert read(latex) == node


def test_sum_and_derivative_take_the_rest_of_their_term() -> None:
    node = read(r"\sum_{w \in \text{Vocab}} \hat{y}_w u_w + v_c")
    assert isinstance(node.terms[0], Sum) and node.terms[1] == Obj("v_c")  # type: ignore[attr-defined]
    node = read(r"\frac{\partial}{\partial v_c} u_w^T v_c")
    assert isinstance(node, Deriv) and isinstance(node.body, Mul)


@pytest.mark.parametrize("latex", [r"\sum_{w} y_w", r"\sum_{w=1}^{V} y_w", r"\sum_{w'} y_{w'}",
                                   r"\sum_{w \in \text{vocab}} y_w"])
def test_sums_over_the_vocabulary(latex: str) -> None:
    report = check_text(f"$$ {latex} = 1 $$")
    assert report.passed and report.checked == 1


@pytest.mark.parametrize(("latex", "message"), [
    ("vc", r"^line 1, column 1: unknown name vc; did you mean v_c\? .*--alias 'vc=v_c'"),
    ("u_0", r"^line 1, column 1: unknown name u_0; did you mean u_o\? .*--alias 'u_0=u_o'$"),
    (r"\dot{y}_w", r"^line 1, column 1: unknown name \\dot\{y\}_w; did you mean \\hat\{y\}_w\?"),
    # \foo is close to no known command: no guess; the message says macros the file defines work
    (r"\foo", r"^line 1, column 1: unknown macro \\foo \(a macro the file defines with "
              r"\\newcommand or \\def is read\)$"),
    (r"\sgima", r"^line 1, column 1: unknown macro \\sgima; did you mean \\sigma\? "),
    (r"\frac{\partial}{\partial 2} x", r"^line 1, column 17: a derivative is taken with respect "
                                         r"to U, v_c, u_w, U_neg, x, v_w \(w ≠ c\) or one of "
                                         r"their entries$"),
    (r"\sum_{w=2}^{V} y_w", r"^line 1, column 1: a sum starts at 1, as in \\sum_\{w=1\}\^\{V\}$"),
    ("o", r"^line 1, column 1: o is an index, not a value$"),
])
def test_unknown_input_is_named(latex: str, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        read(latex)


def test_alias_maps_a_name_and_an_index() -> None:
    assert read("uw", "uw=u_w") == Column("w")
    assert read("u_0", "0=o") == Column("o")
    assert read(r"\dot{y}_w", r"\dot{y}=\hat{y}") == Pick(Obj(r"\hat{y}"), ("w",))
    assert read("v_c", "v=U") == Obj("v_c")  # a one-letter alias maps only the bare name
    with pytest.raises(ValueError,
                       match=r"^--alias 'uw': expected NAME=NAME, e\.g\. --alias uw=u_w$"):
        Aliases.parse(["uw"])


# -- chains, labels, conditions -----------------------------------------------------------

def test_a_display_starting_with_equals_continues_the_chain() -> None:
    text = J + "$$\\frac{\\partial J}{\\partial v_c}$$\nprose\n$$= U(\\hat{y} - y)$$\n"
    report = check_text(text)
    assert report.checked == 1 and report.passed


def test_a_label_names_what_is_left_to_solve() -> None:
    text = (r"$$\frac{\partial}{\partial v_c} \log \sum_w \exp(u_w^T v_c) = "
            r"\frac{1}{\sum_w \exp(u_w^T v_c)} \frac{\partial}{\partial v_c} \sum_w "
            r"\exp(u_w^T v_c) \quad \textcircled{3}$$" "\n"
            r"$$\text{Solving } \textcircled{3} = \sum_w \exp(u_w^T v_c) u_w$$" "\n")
    report = check_text(text)
    assert report.checked == 2 and report.passed
    wrong = text.replace(r"\exp(u_w^T v_c) u_w$$", r"\exp(u_w^T v_c) v_c$$")
    assert failing_lines(wrong) == [2]


def test_annotations_and_labels_are_skipped() -> None:
    text = (r"$$\begin{aligned} 1.a \quad \underbrace{y_o}_{(1)} &= 1 \text{ (one-hot)} \\"
            r" &= \hat{y}_o + (1 - \hat{y}_o) \quad (2) \end{aligned}$$")
    assert check_text(text).passed


def test_cases_and_conditions() -> None:
    text = (r"$$y_w = \begin{cases} 1 & \text{if } w = o \\ 0 & \text{otherwise} \end{cases}$$"
            "\n" r"$$y_w = 1 \quad \text{for } w = o$$" "\n"
            r"For the case $w \neq o$:" "\n" r"$$y_w = 0$$" "\n")
    report = check_text(text)
    assert report.checked == 3 and report.passed
    assert failing_lines(r"$$y_w = 1$$") == [1]  # true only for w = o


def test_loss_defined_in_prose_binds_j() -> None:
    text = (r"The loss is $J_{\text{x}}(v_c, o, U) = -\log \hat{y}_o$." "\n"
            r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y)$$")
    assert check_text(text).passed


def test_sigmoid_and_leaky_relu() -> None:
    assert check_text(r"$$\frac{\partial}{\partial x} \sigma(x) = \sigma(x)(1 - \sigma(x))$$"
                      ).passed
    assert check_text(r"$$\frac{d}{dx} \max(x, \alpha x) = \begin{cases} \alpha & "
                      r"\text{if } x < 0 \\ 1 & \text{otherwise}\end{cases}$$").passed
    assert not check_text(r"$$\frac{d}{dx} \max(x, \alpha x) = 1$$").passed


def test_negative_sampling_notation() -> None:
    text = (r"$$\frac{\partial}{\partial v_c} \left(-\log \sigma(u_o^\top v_c) - \sum_{k=1}^{K}"
            r" \log \sigma(-u_k^\top v_c)\right) = -\sigma(-u_o^\top v_c) u_o + \sum_{k=1}^{K}"
            r" \sigma(u_k^\top v_c) u_k$$")
    assert check_text(text).passed


REPEATED = (r"$$\frac{\partial}{\partial U} \left(-\log \sigma(u_o^\top v_c) - \sum_{w \in "
            r"\text{Vocab}} n_w \log \sigma(-u_w^\top v_c)\right) = {}$$")


@pytest.mark.parametrize(("right", "holds"), [
    (r"\mathbf{v}_c (\mathbf{n} \circ \sigma(U^\top v_c) - \sigma(-u_o^\top v_c) y)^\top", True),
    (r"v_c (n \odot \sigma(U^\top v_c))^\top - \sigma(-u_o^\top v_c) v_c y^\top", True),
    # Each word's samples counted once, as if none repeated: wrong where n_w > 1 or n_w = 0.
    (r"v_c (\sigma(U^\top v_c) - \sigma(-u_o^\top v_c) y)^\top", False),
    (r"v_c (n \circ \sigma(-U^\top v_c) - \sigma(-u_o^\top v_c) y)^\top", False),
])
def test_repeated_samples_are_read_with_their_counts(right: str, holds: bool) -> None:
    assert check_text(REPEATED.replace("{}", right)).passed is holds


def test_a_hadamard_product_needs_equal_shapes() -> None:
    report = check_text(r"$$n \circ v_c = v_c$$")
    assert report.verdicts[0].reason == "an entrywise product ∘ of (V,) and (d,): the shapes " \
                                        "must be equal"


def test_shape_errors_are_reported() -> None:
    report = check_text(r"$$\frac{\partial}{\partial v_c} u_o^T v_c = u_o^T$$")
    (verdict,) = report.verdicts
    assert verdict.status == "layout"
    report = check_text(r"$$\frac{\partial}{\partial U} u_o^T v_c = v_c$$")
    assert report.verdicts[0].reason == "shape (d,) where (d, V) is expected"
    report = check_text(r"$$v_c + \hat{y} = v_c$$")
    assert report.verdicts[0].reason == "cannot add (d,) and (V,)"


def test_json_fields() -> None:
    (row,) = check_text(r"$$\hat{y}_o = 2 \hat{y}_o$$").as_json()
    assert row["line"] == 1 and row["verdict"] == "fails"
    assert row["left"] == "ŷ_o" and row["right"] == "2 ŷ_o"
    assert row["max_rel_error"] == pytest.approx(0.5)


# -- mutants of a correct derivation fail at the mutated line -----------------------------

CORRECT = J + r"""$$\begin{aligned}
\frac{\partial J}{\partial v_c} &= -u_o + \frac{1}{\sum_{w'} \exp(u_{w'}^\top v_c)}
  \sum_{w} \exp(u_w^\top v_c) u_w \\
&= -u_o + \sum_{w} \hat{y}_w u_w \\
&= U(\hat{y} - y)
\end{aligned}$$
$$\frac{\partial J}{\partial U} = v_c (\hat{y} - y)^\top$$
"""


def test_the_correct_derivation_holds() -> None:
    report = check_text(CORRECT)
    assert report.passed and report.checked == 4


@pytest.mark.parametrize(("old", "new", "line"), [
    ("&= -u_o + \\sum_{w}", "&= u_o + \\sum_{w}", 5),                           # sign flipped
    (r"\exp(u_{w'}^\top v_c)}" "\n" r"  \sum_{w} \exp(u_w^\top v_c) u_w",
     r"\exp(u_{w}^\top v_c)}" "\n" r"  \sum_{w} \exp(u_{w'}^\top v_c) u_w", 3),  # w, w' swapped
    (r"\sum_{w} \hat{y}_w u_w", r"\sum_{w} u_w", 5),                           # factor dropped
    (r"v_c (\hat{y} - y)^\top", r"v_c (\hat{y} - y)", 8),                      # transpose dropped
    (r"\sum_{w} \hat{y}_w u_w", r"\sum_{w'} \hat{y}_w u_w", 5),                # wrong sum index
    ("&= U(\\hat{y} - y)", "&= U(y - \\hat{y})", 6),                           # sign flipped
])
def test_mutants_fail_at_the_mutated_line(old: str, new: str, line: int) -> None:
    assert old in CORRECT
    lines = failing_lines(CORRECT.replace(old, new, 1))
    # the step whose '=' is on the mutated line fails; after a middle line, the next step too
    assert lines[0] == line
    assert len(lines) <= 2 and all(line <= n <= line + 2 for n in lines)


TERMS = [r"\hat{y}_o", r"u_o^\top v_c", r"\log \sum_{w} \exp(u_w^\top v_c)", r"y_o",
         r"\sigma(u_o^\top v_c)", r"\hat{y}_o^{2}", r"\exp(-u_o^\top v_c)"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TERMS), st.booleans()), min_size=2, max_size=4),
       st.randoms(use_true_random=False))
def test_true_rearrangements_hold_and_a_flipped_sign_does_not(terms, rnd) -> None:  # type: ignore[no-untyped-def]
    def joined(ts: list[tuple[str, bool]]) -> str:
        return " ".join(("- " if neg else "+ ") + t for t, neg in ts).lstrip("+ ")

    shuffled = list(terms)
    rnd.shuffle(shuffled)
    assert check_text(f"$$ {joined(terms)} = {joined(shuffled)} $$").passed
    # distribute a factor: 2 (a + b) = 2a + 2b
    inner = joined(terms)
    spread = " ".join(("- " if n else "+ ") + "2 " + t for t, n in shuffled).lstrip("+ ")
    assert check_text(f"$$ 2 ({inner}) = {spread} $$").passed
    flipped = [(t, not n) if i == 0 else (t, n) for i, (t, n) in enumerate(shuffled)]
    assert not check_text(f"$$ {joined(terms)} = {joined(flipped)} $$").passed


# -- hostile input ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    (r"\input{/etc/passwd}", r"^line 1, column 1: \\input is not read: check-steps reads "
                              r"formulas; it does not open other files, run commands or change "
                              r"how TeX reads$"),
    ("\\begin{document}\n$$x = \\write18{rm}$$", r"^line 2, column 7: \\write18 is not read: "),
    (r"$$\edef\x{1} \x = 1$$", r"^line 1, column 3: \\edef is not read: "),
    ("x" * 300_000, r"^the input is 300,000 characters; derivations longer than 200,000 are "
                    r"not read$"),
], ids=["input", "write18", "edef", "too-long"])
def test_unusable_input_is_refused_with_a_message(text: str, message: str) -> None:
    with pytest.raises(ReadError, match=message):
        check_text(text)


@pytest.mark.parametrize(("text", "message"), [
    (r"$$\frac{1}{2$$", r"\{ never closed"),
    ("$$" + "(" * 10_000 + "x" + ")" * 10_000 + " = 1$$", r"nested more than"),
    ("$$" + "{" * 10_000 + "x" + "}" * 10_000 + "$$", r"braces nested deeper than"),
    (r"$$\unknownmacro = 1$$", r"unknown macro \\unknownmacro"),
    ("$$x = 1", r"\$\$ is never closed"),
    ("$$x = 1 ≈ 2$$", r"unexpected character '≈'"),
    ("$$x \\approx 1$$", r"only '=' is checked"),
    (r"$$\def\x{\x}\x = 1$$", r"expands more than 32 levels deep"),
    (r"$$\def\x{\x\x}\x = 1$$", r"expands more than 32 levels deep|more than 20,000 tokens"),
], ids=["unbalanced", "deep-parens", "deep-braces", "unknown-macro", "unclosed-display",
        "unicode", "approx", "recursive-macro", "exploding-macro"])
def test_an_unreadable_formula_is_an_unread_step_not_a_pass(text: str, message: str) -> None:
    report = check_text(text)
    unread = [v for v in report.verdicts if v.status == "unread"]
    assert unread and re.search(message, unread[0].reason), report.table()
    assert report.exit_status == 3 and not report.checked


def test_read_errors_carry_line_and_column() -> None:
    report = check_text("prose\n\n$$x = \\hat{y}_w + vc$$")
    (verdict,) = report.verdicts
    assert (verdict.status, verdict.step.line, verdict.step.col) == ("unread", 3, 19)
    assert re.match(r"unknown name vc", verdict.reason)
    assert "line 3    ?  not read, column 19: unknown name vc" in report.table()


def test_condition_on_x_is_decided_point_by_point() -> None:
    text = (r"$$\frac{d}{dx}\max(x, \alpha x) = \alpha \quad \text{for } x < 0$$" "\n"
            r"$$\frac{d}{dx}\max(x, \alpha x) = 1 \quad \text{for } x < 0$$")
    assert failing_lines(text) == [2]


def test_a_step_never_compared_is_not_a_pass() -> None:
    (verdict,) = check_text(r"$$x = 2 x \quad \text{for } x < x$$").verdicts
    assert verdict.status == "unchecked" and not verdict.failed


def test_true_steps_about_zero_hold() -> None:
    assert check_text(r"$$\sum_{w} (\hat{y}_w - y_w) = 0$$").passed
    assert check_text(r"$$U(\hat{y} - y) - \sum_{w} (\hat{y}_w - y_w) u_w = 0 v_c$$").passed
