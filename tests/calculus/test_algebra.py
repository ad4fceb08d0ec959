"""Rewrites of the general engine's algebra (each a step the checks then hold to its values)."""
from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from derive.calculus import algebra

z, w = sp.symbols("z w", real=True)


def test_a_step_times_its_own_hinge_is_the_hinge() -> None:
    assert algebra.step_of_max(2 * sp.Heaviside(z) * sp.Max(z, 0)) == 2 * sp.Max(z, 0)
    assert algebra.step_of_max(sp.Heaviside(z) * sp.Max(0, z) ** 3) == sp.Max(0, z) ** 3
    # another argument, or a power that is not positive: the step stays
    assert algebra.step_of_max(sp.Heaviside(z) * sp.Max(w, 0)) == sp.Heaviside(z) * sp.Max(w, 0)
    kept = sp.Heaviside(z) / sp.Max(z, 0)
    assert algebra.step_of_max(kept) == kept


# before and after the rewrite, as functions of z, for k = 1, 2, 3
_PAIRS = {k: tuple(sp.lambdify(z, e, modules="numpy") for e in (
    sp.Heaviside(z) * sp.Max(z, 0) ** k, algebra.step_of_max(sp.Heaviside(z) * sp.Max(z, 0) ** k)))
    for k in (1, 2, 3)}


def test_the_rewrite_drops_the_step() -> None:
    for k in _PAIRS:
        assert not algebra.step_of_max(sp.Heaviside(z) * sp.Max(z, 0) ** k).has(sp.Heaviside)


@given(st.floats(-5, 5), st.sampled_from(sorted(_PAIRS)))
def test_step_of_max_keeps_the_value(value: float, k: int) -> None:
    before, after = _PAIRS[k]
    np.testing.assert_allclose(before(value), after(value))
