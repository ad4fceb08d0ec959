"""Names a text defines for a formula (intermediates.py): here, a name defined entry by entry,
x_o = u_oᵀv_c, as students write a forward pass (issue 21)."""
from __future__ import annotations

import pytest

from derive.steps import check_text

NS = "naive-softmax"

FORWARD = r"""$$
\begin{aligned}
x_o &= u_o^\top v_c \\
t_o &= \exp(x_o) \\
s_o &= \sum_{w} \exp(x_w) \\
\hat{y}_o &= \frac{t_o}{s_o} \\
\frac{\partial t_o}{\partial x_o} &= \exp(x_o) \\
\frac{\partial \hat{y}_o}{\partial x_o} &= \frac{t_o s_o - t_o^2}{s_o^2} \\
&= \hat{y}_o (1 - \hat{y}_o) \\
\frac{\partial J}{\partial x_o} &= \hat{y}_o - 1
\end{aligned}
$$
"""


def statuses(text: str, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.status for v in check_text(text, **kw).verdicts]


def test_a_name_defined_entry_by_entry_is_the_vector_of_those_entries() -> None:
    # x_o = u_oᵀv_c was a claim about entry o of the handout's x: a false ✗ on a definition
    assert statuses(FORWARD, problem=NS) == [
        "definition", "definition", "definition", "holds", "holds", "holds", "holds", "holds"]


@pytest.mark.parametrize(("right", "planted"), [
    (r"\frac{t_o}{s_o}", r"\frac{s_o}{t_o}"),
    (r"{\partial x_o} &= \exp(x_o)", r"{\partial x_o} &= \exp(2 x_o)"),
    (r"= \hat{y}_o (1 - \hat{y}_o)", r"= \hat{y}_o (1 + \hat{y}_o)"),
    (r"&= \hat{y}_o - 1", r"&= \hat{y}_o"),
])
def test_a_planted_error_through_the_entries_is_found(right: str, planted: str) -> None:
    assert right in FORWARD
    assert statuses(FORWARD.replace(right, planted), problem=NS).count("fails") == 1


def test_the_entries_name_ends_with_its_part() -> None:
    # x is the handout's scalar again in the next part: σ'(x) is judged as ever
    text = FORWARD + "\n## (d)\n\n$$\\frac{d\\sigma(x)}{dx} = \\sigma(x)(1 - \\sigma(x))$$\n"
    assert statuses(text, problem=NS)[-1] == "holds"
    assert statuses(text.replace("(1 - \\sigma(x))$$", "(1 + \\sigma(x))$$"),
                    problem=NS)[-1] == "fails"


def test_an_entry_the_handout_has_is_a_claim_not_a_definition() -> None:
    assert statuses(r"$$\hat{y}_o = \frac{\exp(u_o^\top v_c)}{\sum_w \exp(u_w^\top v_c)}$$") == [
        "holds"]
    assert statuses(r"$$\hat{y}_o = \exp(u_o^\top v_c)$$") == ["fails"]
    assert statuses(r"$$y_o = 1$$") == ["holds"]
