from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derive import kernels
from derive.verify import losses


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), V=st.integers(2, 40), d=st.integers(1, 6),
       B=st.integers(1, 4))
def test_each_loss_alone_is_the_kernels_loss(seed, V, d, B):
    rng = np.random.default_rng(seed)
    U, v, o = rng.normal(size=(V, d)), rng.normal(size=d), int(rng.integers(V))
    V_c, os = rng.normal(size=(B, d)), rng.integers(V, size=B)
    neg, negs = rng.integers(V, size=5), rng.integers(V, size=(B, 5))
    J, J_batch = losses.printed("naive-softmax"), losses.printed("naive-softmax", ("v_c", "o"))
    assert J(v_c=v, U=U.T, o=o) == pytest.approx(float(kernels.naive_softmax(v, o, U)[0]),
                                                 rel=1e-12)
    assert J_batch(v_c=V_c, U=U.T, o=os) == pytest.approx(
        float(kernels.naive_softmax_batch(V_c, os, U)[0]), rel=1e-12)
    G = losses.printed("neg-sampling")
    G_batch = losses.printed("neg-sampling", ("v_c", "o", "u_o", "U_neg"))
    assert G(v_c=v, u_o=U[o], U_neg=U[neg].T, o=o) == pytest.approx(
        float(kernels.neg_sampling(v, o, U, neg)[0]), rel=1e-12)
    assert G_batch(v_c=V_c, u_o=U[os], U_neg=np.swapaxes(U[negs], 1, 2), o=os) == pytest.approx(
        float(kernels.neg_sampling_batch(V_c, os, U, negs)[0]), rel=1e-12)


def test_the_loss_alone_is_stable_where_exp_overflows():
    U = np.array([[800.0], [0.0], [-800.0]])
    J = losses.printed("naive-softmax")
    assert J(v_c=np.ones(1), U=U.T, o=2) == pytest.approx(1600.0)


def test_rows_read_are_distinct_and_sorted_with_each_index_found():
    rows, at = losses.rows_read(7, np.array([3, 7, 3, 1]))
    assert rows.tolist() == [1, 3, 7]
    assert rows[at(np.array([3, 7, 3, 1]))].tolist() == [3, 7, 3, 1]
