"""A family of indices in matrix form: U[:, w] and I[:, w], and the fold that reads entries at the
samples as their entries."""
from __future__ import annotations

import numpy as np
import sympy as sp

from derive import notation as n
from derive import printing
from derive.calculus.families import Gather, OneHots, fold_gathered
from derive.calculus.fold import matrix_of
from derive.calculus.numpyspace import lambdify

w = sp.IndexedBase("w", shape=(n.K,))
s, i, j = (sp.Symbol(x, integer=True, nonnegative=True) for x in "sij")
FAMILIES = ((w, n.V),)


def test_gathered_columns_and_one_hots_are_their_entries_and_their_arrays() -> None:
    G, E = Gather(n.U.matrix, w, 1), OneHots(w, n.V)
    assert G.shape == (n.d, n.K) and E.shape == (n.V, n.K)
    assert G._entry(i, s) == n.U.matrix[i, w[s]] and E._entry(j, s) == sp.KroneckerDelta(j, w[s])
    f = lambdify([n.U.matrix, w, n.V], [G, E])
    U, ws = np.arange(12.0).reshape(3, 4), np.array([2, 2, 0])
    got_G, got_E = f(U, ws, 4)
    np.testing.assert_array_equal(got_G, U[:, [2, 2, 0]])
    np.testing.assert_array_equal(got_E, np.eye(4)[:, [2, 2, 0]])  # a repeat is two columns


def test_a_sum_over_the_samples_folds_as_a_product_with_the_gathered_columns() -> None:
    # Σ_s c[s] U[j, w_s] = (U[:, w] c)_j and Σ_s c[s] δ(j, w_s) = (I[:, w] c)_j
    c = n.declare("c", n.K)
    expr = sp.Sum(c.indexed[s] * n.U.indexed[j, w[s]], (s, 0, n.K - 1))
    folded = fold_gathered(expr, (j,), {j: n.d}, FAMILIES)
    assert folded == sp.MatMul(Gather(n.U.matrix, w, 1), matrix_of(c.indexed))
    assert printing.text(folded) == "U[:, w]c"
    hots = fold_gathered(sp.Sum(c.indexed[s] * sp.KroneckerDelta(j, w[s]), (s, 0, n.K - 1)),
                         (j,), {j: n.V}, FAMILIES)
    assert hots == sp.MatMul(OneHots(w, n.V), matrix_of(c.indexed))
    assert printing.latex(hots) == r"\mathbf{I}_{:,\mathbf{w}} c"


def test_every_step_of_a_loss_with_samples_is_valued_alike_both_ways() -> None:
    # the walker (values.py) and lambdify with the complex step (complexstep.py) both read the
    # samples w as an int array: each step of the negative-sampling loss, derivatives included
    from pathlib import Path

    from derive.calculus import derive, values
    from derive.calculus.sample import Points
    from derive.steps.lossmath import read_loss

    path = Path(__file__).parent.parent / "data" / "user-losses" / "sample-family.tex"
    lf = read_loss(path.read_text(encoding="utf-8"), "samples")
    points = Points(lf.loss)
    for g in derive(lf.loss, check=False).gradients:
        sizes = tuple(g.wrt.indexed.shape)
        for step in g.steps:
            if step.matrix:
                continue
            walked = [values.entries(step.expr, g.index, points._shape(sizes, at),
                                     points._scope(at)) for at in range(len(points.points))]
            for a, b in zip(walked, points.lambdified_entries(step.expr, g.index, sizes),
                            strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_an_entry_at_a_sample_left_inside_a_scalar_is_written_as_the_loss_wrote_it() -> None:
    # Σ_s δ(o, w_s), how often o was drawn: a scalar of the result, not a stand-in matrix's
    count = sp.Sum(sp.KroneckerDelta(n.o, w[s]), (s, 0, n.K - 1))
    folded = fold_gathered(count * n.v_c.indexed[j], (j,), {j: n.d}, FAMILIES)
    assert folded.has(sp.KroneckerDelta(n.o, w[s])) or folded.has(sp.KroneckerDelta(w[s], n.o))
    assert not any("@" in str(a) for a in folded.atoms(sp.Indexed, sp.MatrixSymbol))
