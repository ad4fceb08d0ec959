"""Σ binders: limits written in rows (\\substack, an array) read as the one-line binder."""
from __future__ import annotations

from pathlib import Path

import pytest

from derive.steps import check_text
from derive.steps.lexer import tokenize
from derive.steps.nodes import Column, Pick, Sum
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


def test_a_window_in_rows_is_still_not_read() -> None:
    report = check_text(r"$$\sum_{\substack{-m \le j \le m \\ j \neq 0}} y_j = 0$$")
    assert [v.status for v in report.verdicts] == ["unread"]
    assert "context window" in report.verdicts[0].reason
