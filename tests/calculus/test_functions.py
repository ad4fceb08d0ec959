"""The engine's own functions: the step function and max that evaluate only at numbers."""
from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import notation as n
from derive.calculus import values
from derive.calculus.functions import Heaviside, Max

i = sp.Symbol("i", integer=True, nonnegative=True)
s = sp.Sum(n.U.indexed[i, n.o] * n.v_c.indexed[i], (i, 0, n.d - 1))


def test_max_of_numbers_is_their_max():
    assert Max(0, 3) == 3
    assert Max(-2, sp.Rational(1, 2)) == sp.Rational(1, 2)


def test_max_of_a_sum_is_kept_as_written():
    m = Max(0, 1 - s)
    assert isinstance(m, sp.Max) and set(m.args) == {sp.S.Zero, 1 - s}
    # rebuilt by xreplace, it stays the engine's Max, and evaluates once its argument is a number
    assert type(m.xreplace({n.o: n.w})) is Max
    x = sp.Symbol("x", real=True)
    assert Max(0, 1 - x).subs(x, 3) == 0


def test_derivative_is_sympys():
    x = sp.Symbol("x", real=True)
    assert sp.diff(Max(0, 1 - x), x) == sp.diff(sp.Max(0, 1 - x), x)
    assert sp.diff(Max(0, x, 2 * x), x) == sp.diff(sp.Max(0, x, 2 * x), x)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=3, max_size=3))
def test_values_walker_reads_it(vs):
    U = np.array(vs).reshape(3, 1)
    v = np.ones(3)
    scope = values.Scope({n.U.indexed: U, n.v_c.indexed: v}, {n.d: 3, n.o: 0})
    got = values.entries(Max(0, 1 - s), (), (), scope)
    assert np.isclose(float(got), max(0.0, 1 - sum(vs)))


def test_step_function_evaluates_only_at_a_number():
    assert Heaviside(2) == 1 and Heaviside(-1) == 0
    assert isinstance(Heaviside(s), sp.Heaviside)
