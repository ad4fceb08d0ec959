"""The numeric points every general derivation is checked at: a matrix form's value there is the
value NumPy gives the same formula, with its scalar sums computed apart and the step function
printed as numpy.heaviside."""
from __future__ import annotations

import numpy as np
import sympy as sp

from derive import notation as n
from derive.calculus.functions import sigmoid
from derive.calculus.records import Loss
from derive.calculus.sample import Points


def _loss() -> Loss:
    i = sp.Dummy("i", integer=True)
    uo_vc = sp.Sum(n.U.indexed[i, n.o] * n.v_c.indexed[i], (i, 0, n.d - 1))
    return Loss("t", -sp.log(sigmoid(uo_vc)), None, wrt=(n.v_c,), objects=(n.U, n.v_c))


def test_matrix_form_with_a_scalar_sum_inside_is_valued_as_numpy_values_it() -> None:
    i = sp.Symbol("i", integer=True, nonnegative=True)
    uo_vc = sp.Sum(n.U.indexed[i, n.o] * n.v_c.indexed[i], (i, 0, n.d - 1))
    # (1 − σ(u_oᵀv_c)) U y − 2 (u_oᵀv_c) v_c: two scalar sums inside matrix products
    form = (1 - sigmoid(uo_vc)) * n.U.matrix * n.y.matrix - 2 * uo_vc * n.v_c.matrix
    points = Points(_loss())
    values = points.matrices(form, (n.d,))
    for p, value in zip(points.points, values, strict=True):
        U, v = p.arrays[n.U.indexed], p.arrays[n.v_c.indexed]
        s = U[:, p.indices[n.o]] @ v
        want = (1 - 1 / (1 + np.exp(-s))) * U[:, p.indices[n.o]] - 2 * s * v
        np.testing.assert_allclose(value, want, rtol=1e-12)


def test_step_function_is_one_above_zero_and_a_half_at_it() -> None:
    j = sp.Symbol("j", integer=True, nonnegative=True)
    points = Points(_loss())
    values = points.entries(sp.Heaviside(n.v_c.indexed[j]) + sp.Heaviside(0 * n.v_c.indexed[j]),
                            (j,), (n.d,))
    for p, value in zip(points.points, values, strict=True):
        np.testing.assert_array_equal(value, (p.arrays[n.v_c.indexed] > 0) + 0.5)
