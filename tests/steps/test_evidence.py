"""Which problem a part of an answer is written in: the signatures come from the shipped loss
files, problems with the same loss are one hypothesis, and only unmixed evidence decides."""
from __future__ import annotations

import pytest

from derive.steps.check import decide
from derive.steps.document import Side, Step
from derive.steps.evidence import features, hypotheses, infer, signature
from derive.steps.lexer import tokenize
from derive.steps.losses import loss_node
from derive.steps.nodes import Node
from derive.steps.syntax import parse_side
from derive.steps.vocabulary import Aliases

INFERABLE = ("naive-softmax", "neg-sampling", "cross-entropy")


def node(latex: str) -> Node:
    return parse_side(tokenize(latex), Aliases())


def groups() -> list[tuple[str, frozenset[str]]]:
    # the checker's own judgement of "the same function", on the engine's own losses
    def same(a: Node, b: Node) -> bool:
        return decide(Step(0, Side(a, 0), Side(b, 0))).status == "holds"

    return hypotheses(INFERABLE, same, loss_node)


def test_signatures_are_read_from_the_loss_files() -> None:
    assert {r"\hat{y}", "U", "v_c", "f:softmax", "f:log"} <= signature("naive-softmax")
    assert {"U_neg", "u_o", "v_c", "f:sigma", "size:K"} <= signature("neg-sampling")
    assert "f:sigma" not in signature("naive-softmax")
    assert r"\hat{y}" not in signature("neg-sampling")


def test_features_of_a_formula() -> None:
    assert features(node(r"\sum_{k=1}^K \sigma(-u_k^\top v_c) u_k")) == {"f:sigma", "size:K",
                                                                          "v_c"}
    # u_o and u_w are columns every problem has: they tell nothing
    assert features(node(r"\hat{y}_w v_c - u_o")) == {r"\hat{y}", "v_c"}


def test_problems_with_one_loss_are_one_hypothesis() -> None:
    found = groups()
    assert [first for first, _ in found] == ["naive-softmax", "neg-sampling"]
    assert "y" in found[0][1]  # cross-entropy's y joins naive softmax's features


@pytest.mark.parametrize(("latex", "problem"), [
    (r"U(\hat{y} - y)", "naive-softmax"),
    (r"(\hat{y}_w - y_w) v_c", "naive-softmax"),
    (r"-(1 - \sigma(u_o^\top v_c)) v_c", "neg-sampling"),
    (r"\sum_{k=1}^{K} u_k", "neg-sampling"),
    (r"U(\hat{y} - y) + \sigma(u_o^\top v_c) v_c", None),  # mixed: cannot be told
    (r"-u_o + v_c", None),  # nothing telling
])
def test_only_unmixed_evidence_decides(latex: str, problem: str | None) -> None:
    found = infer([node(latex)], groups())
    assert (found[0] if found else None) == problem
