"""The kernel printers' patterns match only what they prove: a loss term or gradient that is not
exactly ‖v_c‖², ‖U‖², u_oᵀv_c, a logit u_wᵀv_c or, for σ, a whole dot product or a sum over all K
samples raises CodegenError instead of printing the kernel of something else."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
import sympy as sp

from derive import codegen, engine, problems
from derive import notation as n
from derive.calculus.functions import sigmoid
from derive.codegen.softmax import _Emitter
from derive.errors import CodegenError

U, v, u_o, U_neg = n.U.indexed, n.v_c.indexed, n.u_o.indexed, n.U_neg.indexed
i, j, w2, k2, o, d, V, K = n.i, n.j, n.w2, n.k2, n.o, n.d, n.V, n.K
MU = sp.Symbol("mu", positive=True)


@cache
def _naive() -> engine.Derivation:
    return engine.derive(problems.get("naive-softmax").make_loss())


@cache
def _frobenius() -> engine.Derivation:
    loss = engine.neg_log_softmax() + MU / 2 * engine.norm_sq(n.U)
    return engine.derive(engine.Loss("frob", loss, engine.Softmax(engine.logit),
                                     column_cases=False))


@cache
def _neg_sampling() -> engine.Derivation:
    return engine.derive(problems.get("neg-sampling").make_loss())


def _with_loss(derivation: engine.Derivation, expr: sp.Expr) -> engine.Derivation:
    """The derivation with its loss's last form replaced by `expr`, as if derived to it."""
    return replace(derivation, loss_steps=(*derivation.loss_steps, engine.Step(expr, "by hand")))


def _no_form(what: str) -> str:
    return "^" + re.escape(f"no kernel form for {what}") + "$"


NOT_NORMS = {
    "Σ U⁴": sp.Sum(U[i, w2] ** 4, (i, 0, d - 1), (w2, 0, V - 1)),
    "Σ U² over d − 1 rows": sp.Sum(U[i, w2] ** 2, (i, 0, d - 2), (w2, 0, V - 1)),
    "Σ U² from row 1": sp.Sum(U[i, w2] ** 2, (i, 1, d - 1), (w2, 0, V - 1)),
    "Σ U² over one index": sp.Sum(U[i, w2] ** 2, (i, 0, d - 1)),
    "Σ U² over V rows": sp.Sum(U[i, w2] ** 2, (i, 0, V - 1), (w2, 0, d - 1)),
    "Σ (2U)²": sp.Sum((2 * U[i, w2]) ** 2, (i, 0, d - 1), (w2, 0, V - 1)),
    "Σ_i,w u_o² (V copies of ‖u_o‖²)": sp.Sum(U[i, o] ** 2, (i, 0, d - 1), (w2, 0, V - 1)),
    "Σ U[i, i]² over i twice": sp.Sum(U[i, i] ** 2, (i, 0, d - 1), (i, 0, V - 1)),
    "Σ v_c³": sp.Sum(v[i] ** 3, (i, 0, d - 1)),
    "Σ v_c² over d − 1 entries": sp.Sum(v[i] ** 2, (i, 0, d - 2)),
    "Σ v_c² over d + 1 entries": sp.Sum(v[i] ** 2, (i, 0, d)),
    "Σ v_c² twice over i, j": sp.Sum(v[i] ** 2, (i, 0, d - 1), (j, 0, d - 1)),
    "Σ u_o²": sp.Sum(u_o[i] ** 2, (i, 0, d - 1)),
    "u_oᵀv_c over d − 1 rows": sp.Sum(U[i, o] * v[i], (i, 0, d - 2)),
    "u_oᵀv_c of U_neg's column": sp.Sum(U_neg[i, o] * v[i], (i, 0, d - 1)),
    "Σ_o U[o, o] v_c[o], a diagonal": sp.Sum(U[o, o] * v[o], (o, 0, d - 1)),
    "Σ_i U[i, o] u_o[i]": sp.Sum(U[i, o] * u_o[i], (i, 0, d - 1)),
}


@pytest.mark.parametrize("name", NOT_NORMS)
def test_a_loss_term_that_only_looks_like_a_norm_or_dot_has_no_kernel_form(name):
    term = NOT_NORMS[name]
    with pytest.raises(CodegenError, match=_no_form(f"the loss term {term}")):
        _Emitter(_naive()).loss(term)


@pytest.mark.parametrize("name", ["Σ U⁴", "Σ U² over d − 1 rows", "Σ_i,w u_o² (V copies of ‖u_o‖²)",
                                  "Σ (2U)²"])
def test_a_frobenius_loss_with_another_sum_in_its_place_prints_no_kernel(name):
    """Through codegen.source: the Frobenius term of a derived loss swapped for one that is not
    ‖U‖² (the engine cannot derive these itself, so the loss's last form is replaced)."""
    frob = _frobenius()
    expr = frob.loss_steps[-1].expr.subs(engine.norm_sq(n.U), NOT_NORMS[name])
    assert expr.has(NOT_NORMS[name])
    with pytest.raises(CodegenError, match=_no_form(f"the loss term {NOT_NORMS[name]}")):
        codegen.source(_with_loss(frob, expr), "kernel")


NORMS = {
    "‖U‖², columns outside": (sp.Sum(U[i, w2] ** 2, (w2, 0, V - 1), (i, 0, d - 1)),
                              "np.full(B, np.vdot(U, U))"),
    "‖U‖², other names": (sp.Sum(U[j, k2] ** 2, (j, 0, d - 1), (k2, 0, V - 1)),
                          "np.full(B, np.vdot(U, U))"),
    "‖v_c‖² over j": (sp.Sum(v[j] ** 2, (j, 0, d - 1)), "np.einsum('bi,bi->b', V_c, V_c)"),
    "u_oᵀv_c over j": (sp.Sum(v[j] * U[j, o], (j, 0, d - 1)), "dots_o"),
}


@pytest.mark.parametrize("name", NORMS)
def test_the_norms_and_dots_match_whatever_their_index_names_and_order(name):
    term, code = NORMS[name]
    assert _Emitter(_naive()).loss(term) == code


NOT_LOGITS = {
    "over d − 1 rows": sp.Sum(U[i, w2] * v[i], (i, 0, d - 2)),
    "of U_neg": sp.Sum(U_neg[i, w2] * v[i], (i, 0, d - 1)),
    "of the word o": sp.Sum(U[i, o] * v[i], (i, 0, d - 1)),
    "a square": sp.Sum(U[i, w2] * v[i], (i, 0, d - 1)) ** 2,
    "two logits multiplied": sp.Sum(U[i, w2] * v[i], (i, 0, d - 1))
    * sp.Sum(U[j, w2] * v[j], (j, 0, d - 1)),
}


@pytest.mark.parametrize("name", NOT_LOGITS)
def test_a_logit_that_is_not_a_scaled_column_dot_has_no_kernel_form(name):
    logit = NOT_LOGITS[name]
    with pytest.raises(CodegenError, match=_no_form(f"the logit {logit}")):
        _Emitter(_naive()).logits(logit, "dots")


def _dot(a: sp.Expr, upper: sp.Expr = d - 1) -> sp.Expr:
    return sp.Sum(a * v[i], (i, 0, upper))


def _negatives(k_upper: sp.Expr = K - 1, i_upper: sp.Expr = d - 1) -> sp.Expr:
    return -sp.Sum(sp.log(sigmoid(-_dot(U_neg[i, k2], i_upper))), (k2, 0, k_upper))


NOT_SIGMOID_TERMS = {
    "Σ_k over K − 1 samples": _negatives(K - 2),
    "u_kᵀv_c over d − 1 rows": _negatives(i_upper=d - 2),
    "u_oᵀv_c over d − 1 rows": -sp.log(sigmoid(_dot(u_o[i], d - 2))),
    "u_o shifted by one": -sp.log(sigmoid(sp.Sum(u_o[i + 1] * v[i], (i, 0, d - 2)))),
    "ŷᵀv_c (ŷ is no argument)": -sp.log(sigmoid(_dot(n.y_hat.indexed[i]))),
    "a parameter μ": -MU * sp.log(sigmoid(_dot(u_o[i]))),
}


@pytest.mark.parametrize("name", NOT_SIGMOID_TERMS)
def test_a_sigmoid_loss_term_over_part_of_an_axis_or_with_a_parameter_prints_no_kernel(name):
    """The σ kernels print Σ_k as a sum over all K rows and Σ_i as a whole dot product, and take
    only v_c, u_o and U_neg: anything else in the loss raises."""
    term = NOT_SIGMOID_TERMS[name]
    other = _negatives() if term.has(u_o) else -sp.log(sigmoid(_dot(u_o[i])))
    with pytest.raises(CodegenError, match=_no_form(f"the loss term {term}")):
        codegen.source(_with_loss(_neg_sampling(), term + other), "kernel")


def test_sigma_of_a_scaled_product_is_named_as_a_variable_and_computed(rng):
    """σ(2u_oᵀv_c) in a gradient: named `sigma` (not "sigma_2*u_o_dot_v_c", which is no name),
    and evaluated as σ of twice the dot product."""
    ns = _neg_sampling()
    scaled = sigmoid(2 * _dot(u_o[i]))
    gradients = tuple(replace(g, steps=(*g.steps, engine.Step(g.result * scaled, "by hand",
                                                              matrix=True)))
                      if g.wrt is n.u_o else g for g in ns.gradients)
    source = codegen.source(replace(ns, gradients=gradients), "kernel")
    namespace = {"numpy": np}
    exec(source, namespace)  # noqa: S102
    B, dd, KK = 3, 4, 2
    v_c, uo, Un = (rng.normal(size=(B, dd, 1)), rng.normal(size=(B, dd, 1)),
                   rng.normal(size=(B, dd, KK)))
    _, _, grad_u_o, _ = namespace["kernel"](v_c, uo, Un)
    dots = (uo * v_c).sum(axis=1, keepdims=True)
    want = -1 / (1 + np.exp(dots)) / (1 + np.exp(-2 * dots)) * v_c
    np.testing.assert_allclose(grad_u_o, want, rtol=1e-12, atol=1e-12)


def test_a_sigmoid_of_vectors_the_kernel_is_not_given_prints_no_kernel():
    """ŷᵀy runs over whole axes, but ŷ and y are no arguments of the σ kernels."""
    other = sp.Sum(n.y_hat.indexed[n.w] * n.y.indexed[n.w], (n.w, 0, V - 1))
    expr = -sp.log(sigmoid(other)) + _negatives()
    with pytest.raises(CodegenError, match=_no_form(
            f"{other}: the σ kernels compute only from v_c, u_o and U_neg")):
        codegen.source(_with_loss(_neg_sampling(), expr), "kernel")
