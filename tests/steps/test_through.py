"""Derivatives by an intermediate the text defined: ∂J/∂θ for θ = Uᵀv_c."""
from __future__ import annotations

from pathlib import Path

from derive.steps import check_text
from derive.steps.lexer import tokenize
from derive.steps.losses import loss_node
from derive.steps.nodes import Func, Neg, Pick
from derive.steps.syntax import parse_side
from derive.steps.through import leaf, written_through
from derive.steps.vocabulary import Aliases

DATA = Path(__file__).parent.parent / "data" / "steps"


def side(latex: str):  # type: ignore[no-untyped-def]
    return parse_side(tokenize(latex), Aliases())


def test_the_loss_is_written_through_the_scores() -> None:
    definitions = {"J": loss_node("naive-softmax"), r"\theta": side(r"U^\top v_c")}
    got = written_through(definitions["J"], r"\theta", definitions)
    assert got == Neg(Func("log", Pick(Func("softmax", leaf(r"\theta")), ("o",))))


def test_a_loss_that_depends_on_more_than_the_intermediate_is_not_written_through_it() -> None:
    definitions = {"J": loss_node("naive-softmax"), "z": side(r"u_o^\top v_c")}
    assert written_through(definitions["J"], "z", definitions) is None


def test_intermediate_fixture_and_its_planted_errors() -> None:
    good = check_text((DATA / "intermediate.md").read_text(encoding="utf-8"))
    assert [(v.step.line, v.status) for v in good.verdicts] == [
        (6, "holds"), (12, "holds"), (13, "holds"), (16, "holds"), (21, "unchecked")]
    assert good.exit_status == 3  # ∂J/∂z was not checked: never a pass
    bad = check_text((DATA / "intermediate_planted.md").read_text(encoding="utf-8"))
    assert [(v.step.line, v.status) for v in bad.verdicts] == [
        (6, "fails"), (12, "holds"), (13, "fails"), (16, "holds"), (21, "unchecked")]


def test_the_exact_judge_does_not_guess_a_derivative_by_an_intermediate(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from derive.steps import check

    def undecided(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise check.Undecided("forced")

    monkeypatch.setattr(check, "_decide_numerically", undecided)
    report = check_text((DATA / "intermediate.md").read_text(encoding="utf-8"))
    assert {v.status for v in report.verdicts} == {"unchecked"}
