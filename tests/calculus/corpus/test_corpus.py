"""Every loss of the corpus derives, matches its hand-written gradient (itself confirmed by
finite differences) and folds to matrix form where one exists."""
from __future__ import annotations

import numpy as np
import pytest

from derive.calculus import derive
from derive.calculus.sample import Points

from .losses import CASES, Arrays, Case

H = 1e-6


def _arrays(points: Points, at: int) -> Arrays:
    p = points.points[at]
    out: Arrays = {base.name: arr.copy() for base, arr in p.arrays.items()}
    out.update({str(x): value for x, value in p.indices.items()})
    out.update({str(c): value for c, value in zip(points.constants, p.constants, strict=True)})
    return out


def _numeric(case: Case, A: Arrays, name: str) -> np.ndarray:
    grad = np.zeros_like(A[name])
    for idx in np.ndindex(A[name].shape):
        up, down = dict(A), dict(A)
        up[name], down[name] = A[name].copy(), A[name].copy()
        up[name][idx] += H
        down[name][idx] -= H
        grad[idx] = (case.value(up) - case.value(down)) / (2 * H)
    return grad


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hand_gradient_matches_finite_differences(case: Case) -> None:
    points = Points(case.loss)
    for at in range(len(points.points)):
        A = _arrays(points, at)
        for name, grad in case.grads.items():
            np.testing.assert_allclose(grad(A), _numeric(case, A, name), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_derived_gradient_matches_hand_gradient(case: Case) -> None:
    derivation = derive(case.loss)
    points = Points(case.loss)
    assert {g.wrt.name for g in derivation.gradients} == set(case.grads)
    for g in derivation.gradients:
        shape = tuple(g.wrt.indexed.shape)
        if g.steps[-1].matrix:
            values = points.matrices(g.result, shape)
        else:
            values = points.entries(g.result, g.index, shape)
        for at, value in enumerate(values):
            np.testing.assert_allclose(value, case.grads[g.wrt.name](_arrays(points, at)),
                                       rtol=1e-9, atol=1e-12)
        assert g.steps[-1].matrix == case.matrix, (g.key, g.steps[-1].rule)
