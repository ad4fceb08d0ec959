"""Names: the handout's macros are known by name without loading notation (and SymPy); a name
written by a word's position (v_{w_t}, the centre word's vector)."""
from __future__ import annotations

from derive.notation import MACROS
from derive.steps import check_text
from derive.steps.objects import HANDOUT_MACRO_NAMES


def test_the_handout_macro_names_are_notations() -> None:
    assert set(MACROS) == HANDOUT_MACRO_NAMES


WINDOW = (r"$$\frac{\partial J_{\text{skip-gram}}}{\partial v_c} = \sum_{-m \le j \le m, j \ne 0}"
          r" \frac{\partial J(\mathbf{v}_{w_t}, w_{t+j}, U)}{\partial \mathbf{v}_{w_t}}$$")


def test_the_centre_words_vector_written_by_its_position_is_v_c() -> None:
    # the handout: the centre word is c = w_t, so v_{w_t} is v_c
    assert [v.status for v in check_text(WINDOW).verdicts] == ["holds"]
    planted = WINDOW.replace(r"{\partial \mathbf{v}_{w_t}}", r"{\partial U}")
    assert [v.status for v in check_text(planted).verdicts] == ["fails"]
    assert [v.status for v in check_text(r"$$\mathbf{v}_{w_t} = 2 v_c$$").verdicts] == ["fails"]
    # only v: u_{w_t} is no column the handout names
    assert [v.status for v in check_text(r"$$u_{w_t} = u_o$$").verdicts] == ["unread"]
