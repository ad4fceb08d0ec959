from __future__ import annotations

import pytest

from derive import notation as n


def test_declare_takes_sizes_as_symbols_or_ints_never_text():
    assert n.declare("q_test", n.size("V")).matrix.shape == (n.V, 1)
    assert n.declare("Q_test", 3, n.d).matrix.shape == (3, n.d)
    # A string would be parsed by SymPy (sympify evaluates text): refused.
    with pytest.raises(TypeError, match=r"^declare\('r_test'\): a size is size\('V'\) or an int"):
        n.declare("r_test", "V")


def test_check_steps_reads_the_greek_letters_text_prints() -> None:
    from derive.steps import vocabulary

    assert vocabulary.GREEK == n.GREEK == set(n.GREEK_TEXT)
    assert n.symbol_text("lambda") == "λ" and n.symbol_text("V") == "V"
