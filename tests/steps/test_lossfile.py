"""--problem LOSS.tex (lossfile.py): a bare J is a loss file's loss when it is written in the
objects the checker has values for; any other loss is refused, naming what it lacks."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from derive.steps import check_text
from derive.steps.lexer import ReadError
from derive.steps.loss import SHIPPED
from derive.steps.lossfile import file_loss

DATA = Path(__file__).parent.parent / "data"
PENALTY = DATA / "steps" / "loss-with-centre-penalty.tex"


def loss_of(path: Path):  # type: ignore[no-untyped-def]
    return file_loss(path.read_text(encoding="utf-8"), path.name)


def statuses(text: str, path: Path) -> list[str]:
    return [v.status for v in check_text(text, loss=loss_of(path)).verdicts]


def test_a_bare_j_is_the_loss_files_loss() -> None:
    # by hand: ∂/∂v_c (−z_o + log Σ_w exp z_w) = U(ŷ − y), and ∂/∂v_c ½‖v_c‖² = v_c
    right = r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y) + v_c$$"
    assert statuses(right, PENALTY) == ["holds"]
    assert statuses(right.replace(" + v_c", ""), PENALTY) == ["fails"]  # the naive-softmax one
    assert statuses(r"$$\frac{\partial J}{\partial U} = v_c(\hat{y} - y)^\top$$",
                    PENALTY) == ["holds"]  # the penalty has no U in it


def test_a_shipped_loss_file_binds_j_as_its_problems_name_does() -> None:
    text = r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y) + v_c$$"
    assert statuses(text, SHIPPED / "naive-softmax.tex") == ["fails"]
    assert statuses(text.replace(" + v_c", ""), SHIPPED / "naive-softmax.tex") == ["holds"]


@pytest.mark.parametrize(("path", "reason"), [
    (DATA / "losses" / "label-smoothing.tex", r"this loss declares \\mathbf\{b\} \(vector, V\)"),
    (DATA / "user-losses" / "constant-s.tex", r"this loss declares s \(constant, a scalar\)"),
    (DATA / "losses" / "temperature.tex", "this file defines ŷ otherwise than the handout"),
    (SHIPPED / "neg-sampling.tex", "the loss uses u_o, which check-steps has no values for"),
    (SHIPPED / "sigmoid.tex", "--problem reads a loss file that defines J"),
])
def test_a_loss_the_checker_has_no_values_for_is_refused(path: Path, reason: str) -> None:
    with pytest.raises(ReadError) as refused:
        loss_of(path)
    assert re.match(reason, refused.value.message)


def test_a_softmax_other_than_the_handouts_is_refused() -> None:
    text = (r"Let $\mathbf{U} \in \mathbb{R}^{d \times V}$ and $\mathbf{v}_c \in \mathbb{R}^{d}$;"
            "\n$o \\in \\{1, \\dots, V\\}$.\n"
            r"$$\hat{\mathbf{y}} = \operatorname{softmax}(2 \mathbf{U}^\top \mathbf{v}_c)$$"
            "\n" r"$$J = -\log \hat{y}_o$$")
    with pytest.raises(ReadError) as refused:
        file_loss(text, "twice.tex")
    assert refused.value.message.startswith("this file defines ŷ otherwise than the handout")
    # the handout's own softmax is read as the handout's ŷ: the shipped loss, node for node
    assert file_loss(text.replace("(2 ", "("), "once.tex").node == loss_of(
        SHIPPED / "naive-softmax.tex").node


def test_a_name_and_a_loss_file_together_are_a_usage_error() -> None:
    with pytest.raises(ValueError, match="^give a problem's name or a loss file, not both"):
        check_text("$$J = 1$$", problem="naive-softmax", loss=loss_of(PENALTY))


TWO_WEIGHTS = DATA / "losses" / "l2-and-frobenius.tex"  # λ/2 ‖v_c‖² + μ/2 ‖U‖_F²


def test_the_constants_a_loss_file_declares_are_read_in_the_answer_too() -> None:
    # by hand: ∂/∂v_c = U(ŷ − y) + λ v_c and ∂/∂U = v_c(ŷ − y)ᵀ + μ U
    text = (r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y) + \lambda v_c$$" "\n"
            r"$$\frac{\partial J}{\partial U} = v_c(\hat{y} - y)^\top + \mu U$$")
    report = check_text(text, loss=loss_of(TWO_WEIGHTS))
    assert [v.status for v in report.verdicts] == ["holds", "holds"]
    assert "λ" in report.table() and "μ" in report.table()
    # each constant has a value of its own: λ and μ swapped is found, as is a factor of 2
    swapped = text.replace(r"\lambda v_c", r"\mu v_c").replace(r"\mu U", r"\lambda U")
    assert statuses(swapped, TWO_WEIGHTS) == ["fails", "fails"]
    assert statuses(text.replace(r"+ \lambda v_c", r"+ 2\lambda v_c"), TWO_WEIGHTS) == [
        "fails", "holds"]


def test_a_constant_no_loss_file_declares_is_not_read() -> None:
    text = r"$$\frac{\partial J}{\partial v_c} = U(\hat{y} - y) + \lambda v_c$$"
    assert [v.status for v in check_text(text, problem="naive-softmax").verdicts] == ["unread"]
    # …nor one the file does not declare
    assert statuses(text.replace(r"\lambda", r"\gamma"), TWO_WEIGHTS) == ["unread"]


def test_a_constant_is_the_same_number_in_the_exact_judge() -> None:
    # sides about 0 are decided exactly (SymPy): λ there is the number it is in floating point
    text = r"$$\lambda \|v_c\|^2 - \lambda v_c^\top v_c = 0$$"
    assert statuses(text, TWO_WEIGHTS) == ["holds"]
    assert statuses(text.replace(r"- \lambda", r"- \mu"), TWO_WEIGHTS) == ["fails"]
