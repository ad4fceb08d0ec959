"""A text read region by region (parts.py): the case a formula is written under, when the prose
states it after the formula, or as Markdown code (issue 21)."""
from __future__ import annotations

import pytest

from derive.steps import check_text

NS = "naive-softmax"
NOT_O = r"\frac{\partial J}{\partial u_w} = \hat{y}_w v_c"
IS_O = r"\frac{\partial J}{\partial u_w} = (\hat{y}_w - 1) v_c"


def statuses(text: str) -> list[str]:
    return [v.status for v in check_text(text, problem=NS).verdicts]


def test_a_case_stated_after_an_inline_formula_is_its_case() -> None:
    # the case after the first formula was the case of the second: two false ✗ on right work
    text = f"So ${NOT_O}$ for $w \\neq o$, and ${IS_O}$ when $w = o$.\n"
    report = check_text(text, problem=NS)
    assert [v.status for v in report.verdicts] == ["holds", "holds"]
    assert statuses(text.replace("for $w \\neq o$", "for $w = o$")) == ["fails", "holds"]
    assert statuses(text.replace("when $w = o$", "when $w \\neq o$")) == ["holds", "fails"]


def test_a_case_on_the_line_after_a_display_is_its_case() -> None:
    text = f"$${NOT_O}$$\nwhen $w \\neq o$.\n"
    assert statuses(text) == ["holds"]
    assert statuses(text.replace("\\neq", "=")) == ["fails"]


@pytest.mark.parametrize("prose", [
    "For $w = o$:\n\n",  # a case that introduces what follows
    "We get this for $w = o$, namely\n",
])
def test_a_case_that_leads_into_the_next_formula_stays_its_case(prose: str) -> None:
    text = f"$${NOT_O}$$ for $w \\neq o$.\n\n{prose}$${IS_O}$$\n"
    assert statuses(text) == ["holds", "holds"]
    assert statuses(text.replace("(\\hat{y}_w - 1)", "\\hat{y}_w")) == ["holds", "fails"]


def test_a_case_set_as_markdown_code_is_the_case_of_the_formula_after_it() -> None:
    text = f"* **Case 2: `w ≠ o` (when `uw` is not `uo`)**\n\n  ${NOT_O}$\n"
    assert statuses(text) == ["holds"]
    assert statuses(text.replace("`w ≠ o`", "`w = o`")) == ["fails"]
    # code that is no case names none
    assert statuses(f"Run `python word2vec.py` first.\n\n${NOT_O}$\n") == ["fails"]
    assert statuses(f"Set `w = k` first.\n\n${NOT_O}$\n") == ["fails"]  # no case of w and o


def test_a_name_defined_after_the_formula_that_uses_it() -> None:
    # "…, where $a = Uy$": the definition is read before the formula it explains
    text = ("$$\\frac{\\partial J}{\\partial v_c} = -u_o + \\sum_w \\hat{y}_w u_w"
            " = U\\hat{y} - a$$\nwhere $a = U y$.\n")
    assert statuses(text) == ["holds", "holds"]
    assert statuses(text.replace("- a$$", "+ a$$")) == ["holds", "fails"]
    assert statuses(text.replace("$a = U y$", "$a = U \\hat{y}$")) == ["holds", "fails"]
    # "where $w \neq o$" is still a case, not a definition
    case = f"$${NOT_O}$$ where $w \\neq o$.\n"
    assert statuses(case) == ["holds"]
