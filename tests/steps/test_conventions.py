"""Readings of a whole text (conventions.py): a 0 typed for the index o, and a U the text
declares |V|×d — each read only where the text allows no other reading, and said in the
verdicts of the steps it touches."""
from __future__ import annotations

from derive.steps import check_text
from derive.steps.nodes import IndexRel

NS = "naive-softmax"


def statuses(text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.status for v in check_text(text, **kw).verdicts]


# -- a zero typed for o -------------------------------------------------------------------

def test_a_zero_index_is_read_as_o_where_no_word_is_numbered_zero() -> None:
    right = (r"$$\frac{\partial J}{\partial v_c} = -u_0 + \sum_{w=1}^{V} \hat{y}_w u_w"
             r" = U(\hat{y} - y)$$")
    report = check_text(right, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "holds"]
    assert report.verdicts[0].reason == ("0 read as the index o: the text numbers no word 0 "
                                         "(--alias 0=0 reads it as written)")
    wrong = right.replace("-u_0", "u_0")
    assert statuses(wrong, problem=NS) == ["fails", "fails"]


def test_a_case_written_with_a_zero_is_the_case_of_o() -> None:
    text = ("1. $w \\neq 0$:\n$$\\frac{\\partial J}{\\partial u_w} = \\hat{y}_w v_c$$\n\n"
            "2. $w = 0$:\n$$\\frac{\\partial J}{\\partial u_w} = (\\hat{y}_w - 1) v_c$$\n")
    report = check_text(text, problem=NS)
    assert [(v.status, v.step.conditions) for v in report.verdicts] == [
        ("holds", (IndexRel("w", "≠", "o"),)), ("holds", (IndexRel("w", "=", "o"),))]
    planted = text.replace(r"(\hat{y}_w - 1) v_c", r"\hat{y}_w v_c")
    assert statuses(planted, problem=NS) == ["holds", "fails"]


def test_a_zero_stays_a_number_where_the_text_counts_words_from_zero() -> None:
    text = (r"$$\sum_{w=0}^{V-1} \hat{y}_w = 1$$" "\n"
            r"$$\frac{\partial J}{\partial v_c} = -u_0 + U \hat{y}$$")
    assert [v.reason for v in check_text(text, problem=NS).verdicts][-1] == (
        "unknown name u_0; did you mean u_o? If u_0 means u_o in this text, pass "
        "--alias 'u_0=u_o'")
    one = r"$$\frac{\partial J}{\partial v_c} = -u_0 + U \hat{y}$$"
    assert statuses(one, problem=NS, aliases=["0=0"]) == ["unread"]


def test_a_zero_read_as_o_leaves_the_window_sum_alone() -> None:
    text = (r"$$\frac{\partial J}{\partial u_0} = (\hat{y}_o - 1) v_c$$" "\n"
            r"$$J_{skip-gram} = \sum_{-m \le j \le m, j \neq 0} J(v_c, w_{t+j}, U)$$")
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "holds"]
    assert "window" in report.verdicts[1].reason


# -- U declared with the u_w as its rows ---------------------------------------------------

ROWS = (r"Let $\mathbf{U} \in \mathbb{R}^{|V| \times d}$ hold the outside vectors as rows." "\n"
        r"$$\frac{\partial J}{\partial v_c} = U^\top (\hat{y} - y)$$" "\n"
        r"$$\frac{\partial J}{\partial U} = (\hat{y} - y) v_c^\top$$" "\n"
        r"$$U_{o,i} = (u_o)_i$$" "\n")


def test_a_u_declared_with_rows_is_read_so_and_said() -> None:
    report = check_text(ROWS, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "holds", "holds"]
    assert report.verdicts[0].reason == ("U read as |V|×d, its rows the u_w, as the text "
                                         "declares it (shown as the handout's d×|V| U)")
    planted = ROWS.replace(r"U^\top (\hat{y} - y)", r"U (\hat{y} - y)")
    assert [v.status for v in check_text(planted, problem=NS).verdicts][0] == "fails"


def test_u_is_the_handouts_unless_the_text_declares_rows_and_only_rows() -> None:
    undeclared = ROWS.split("\n", 1)[1]
    assert [v.status for v in check_text(undeclared, problem=NS).verdicts][:2] == [
        "fails", "layout"]
    both = ROWS + r"Here $U \in \mathbb{R}^{d \times |V|}$." "\n"
    assert [v.status for v in check_text(both, problem=NS).verdicts][:2] == ["fails", "layout"]
    shape = "U: matrix of shape (vocab_size, embedding_dim)\n" + undeclared
    assert [v.status for v in check_text(shape, problem=NS).verdicts] == ["holds"] * 3
