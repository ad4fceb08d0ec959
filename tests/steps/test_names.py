"""Names: the handout's macros are known by name without loading notation (and SymPy)."""
from __future__ import annotations

from derive.notation import MACROS
from derive.steps.objects import HANDOUT_MACRO_NAMES


def test_the_handout_macro_names_are_notations() -> None:
    assert set(MACROS) == HANDOUT_MACRO_NAMES
