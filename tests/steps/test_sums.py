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
