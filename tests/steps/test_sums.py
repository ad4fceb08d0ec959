"""Σ binders: limits written in rows (\\substack, an array) read as the one-line binder."""
from __future__ import annotations

from pathlib import Path

import pytest

from derive.steps import check_text
from derive.steps.lexer import tokenize
from derive.steps.nodes import Column, Pick, Ref, Sum
from derive.steps.syntax import parse_side
from derive.steps.vocabulary import Aliases

DATA = Path(__file__).parent.parent / "data" / "steps"


@pytest.mark.parametrize("binder", [
    r"_{\substack{w \in V \\ w \neq o}}", r"_{\substack{w=1 \\ w \ne o}}^{V}",
    r"_{w=1, w \neq o}^{V}", r"_{\begin{array}{c} w \in V \\ w \neq o \end{array}}",
])
def test_rows_of_a_binder_read_as_one(binder: str) -> None:
    node = parse_side(tokenize(r"\sum" + binder + r" \hat{y}_w u_w"), Aliases())
    assert isinstance(node, Sum) and (node.index, node.exclude) == ("w", "o")
    assert node.body.factors == (Pick(node.body.factors[0].of, ("w",)), Column("w"))  # type: ignore[attr-defined]


def test_stacked_sums_fixture_holds_and_its_planted_errors_fail() -> None:
    good = check_text((DATA / "stacked_sums.tex").read_text(encoding="utf-8"))
    assert [v.status for v in good.verdicts] == ["holds"] * 3 and good.exit_status == 0
    bad = check_text((DATA / "stacked_sums_planted.tex").read_text(encoding="utf-8"))
    assert [(v.step.line, v.status) for v in bad.verdicts] == [
        (7, "fails"), (8, "fails"), (12, "fails")]


def test_a_window_sum_of_anything_but_the_pair_loss_is_not_read() -> None:
    # y_j is no loss of an outside word w_{t+j}: read, each word's term would count once
    report = check_text(r"$$\sum_{\substack{-m \le j \le m \\ j \neq 0}} y_j = 0$$")
    assert [v.status for v in report.verdicts] == ["unread"]
    assert report.verdicts[0].reason == (
        "the side before cannot be read: a sum over the context window adds the loss of each "
        "outside word: write its terms with J(v_c, w_{t+j}, U)")


def test_a_window_that_keeps_the_centre_word_is_not_read() -> None:
    report = check_text(r"$$\frac{\partial J_{\text{skip-gram}}}{\partial U} = "
                        r"\sum_{-m \le j \le m} \frac{\partial J(v_c, w_{t+j}, U)}{\partial U}$$")
    assert [v.status for v in report.verdicts] == ["unread"]
    assert "(the centre word, j = 0, left out)" in report.verdicts[0].reason


def test_window_fixture_holds_and_its_planted_errors_fail() -> None:
    good = check_text((DATA / "window.md").read_text(encoding="utf-8"))
    assert [v.status for v in good.verdicts] == ["holds"] * 6 and good.exit_status == 0
    assert all("naive-softmax loss of each pair" in v.reason for v in good.verdicts)
    assert good.verdicts[3].reason.endswith("v_w read as the centre vector of a word w ≠ c")
    bad = check_text((DATA / "window_planted.md").read_text(encoding="utf-8"))
    assert [(v.step.line, v.status) for v in bad.verdicts] == [
        (4, "fails"), (5, "fails"), (6, "fails"), (7, "fails"), (8, "fails"), (9, "unread")]
    assert bad.verdicts[1].reason.startswith("shape (d, V) where (d,) is expected")
    # Σ_j U(ŷ − y): no word of the window in its terms, so no reading of it is sure
    assert bad.verdicts[5].reason.startswith("a sum over the context window adds the loss")


def test_a_window_sum_reads_each_outside_word_as_o() -> None:
    node = parse_side(tokenize(r"\sum_{-m \leq j \leq m,\space j \neq 0} "
                               r"J(v_c, w_{t+j}, U)"), Aliases())
    assert node == Sum("t+j", "V", Ref("J_naive-softmax", ("v_c", "o=t+j", "U")), None,
                       window=True)


WINDOW = (r"$$\frac{\partial J_{\text{skip-gram}}}{\partial v_c} = "
          r"\sum_{-m \le j \le m \\ \quad j \neq 0} "
          r"\frac{\partial J(v_c, w_{t+j}, U)}{\partial v_c}$$")


def test_a_window_binder_in_rows_split_by_a_bare_line_break() -> None:
    [status] = [v.status for v in check_text(WINDOW).verdicts]
    assert status == "holds"
    planted = WINDOW.replace(r"U)}{\partial v_c}", r"U)}{\partial U}")
    assert [v.status for v in check_text(planted).verdicts] == ["fails"]
    # the rows are read, not skipped: without j ≠ 0 the window keeps the centre word
    [verdict] = check_text(WINDOW.replace(r"\\ \quad j \neq 0", "")).verdicts
    status, reason = verdict.status, verdict.reason
    assert status == "unread" and "j \\neq 0" in reason


COLUMN = (r"$$\hat{y} - y = \begin{bmatrix} \hat{y}_1 - y_1 \\ \vdots \\ \hat{y}_{|V|} - y_{|V|}"
          r" \end{bmatrix}$$")
ROWS = r"$$U^\top = \begin{bmatrix} u_1^\top \\ u_2^\top \\ \vdots \\ u_{|V|}^\top \end{bmatrix}$$"


def test_a_column_written_out_row_by_row_is_the_vector_of_its_rows() -> None:
    def statuses(text: str) -> list[str]:
        return [v.status for v in check_text(text).verdicts]

    assert statuses(COLUMN) == ["holds"]
    assert statuses(COLUMN.replace(r"\hat{y} - y =", r"\hat{y} + y =")) == ["fails"]
    assert statuses(ROWS) == ["holds"]  # the rows u_wᵀ stacked: Uᵀ
    # a row that breaks the pattern is not guessed at
    assert statuses(ROWS.replace(r"u_2^\top", r"u_3^\top")) == ["unread"]
    # stacked rows are Uᵀ, never U: a layout error, not a pass
    assert statuses(ROWS.replace(r"U^\top =", "U =")) == ["layout"]


def test_a_sum_written_out_counts_its_numbered_terms_in_order() -> None:
    written = (r"$$-(y_1 \log \hat{y}_1 + y_2 \log \hat{y}_2 + \cdots + y_{|V|} \log "
               r"\hat{y}_{|V|}) = -\log \hat{y}_o$$")
    assert [v.status for v in check_text(written).verdicts] == ["holds"]
    skipped = written.replace(r"y_2 \log \hat{y}_2", r"y_3 \log \hat{y}_3")
    assert [v.status for v in check_text(skipped).verdicts] == ["unread"]


def test_the_window_reads_its_pair_loss_only_as_written_with_v_c_and_u() -> None:
    # J(u_o, w_{t+j}, U) was read as J(v_c, w_{t+j}, U): its arguments were passed over
    written = (r"$$\frac{\partial J_{\text{skip-gram}}}{\partial v_c} = \sum_{-m \le j \le m, "
               r"j \ne 0} \frac{\partial J(\mathbf{v}_c, w_{t+j}, \mathbf{U})}{\partial v_c}$$")
    assert [v.status for v in check_text(written).verdicts] == ["holds"]
    [verdict] = check_text(written.replace(r"J(\mathbf{v}_c", "J(u_o")).verdicts
    assert verdict.status == "unread"
    assert verdict.reason.endswith("the window's pair loss is J(v_c, w_{t+j}, U), not "
                                   "J(u_o, w_{t+j}, U)")


BRACKETS = (r"$$\frac{\partial J}{\partial U} = \left[ \frac{\partial J}{\partial u_1}, "
            r"\frac{\partial J}{\partial u_2}, \dots, \frac{\partial J}{\partial u_{|V|}} \right]"
            r" = v_c (\hat{y} - y)^\top$$")


def test_columns_listed_in_brackets_are_the_matrix_of_those_columns() -> None:
    # the handout's ∂J/∂U = [∂J/∂u_1, ∂J/∂u_2, ⋯, ∂J/∂u_{|V|}]
    def statuses(text: str) -> list[str]:
        return [v.status for v in check_text(text, problem="naive-softmax").verdicts]

    assert statuses(BRACKETS) == ["holds", "holds"]
    assert statuses(BRACKETS.replace(r"v_c (\hat{y} - y)^\top", r"v_c (y - \hat{y})^\top")) == [
        "holds", "fails"]
    # a list that does not count up is not guessed at; a bracket of one formula is a bracket
    assert statuses(BRACKETS.replace("u_2}", "u_3}"))[0] == "unread"
    assert statuses(r"$$[\hat{y}_o] = \hat{y}_o$$") == ["holds"]
