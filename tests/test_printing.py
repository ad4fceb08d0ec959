from __future__ import annotations

import pytest
import sympy as sp

from derive import engine, printing
from derive import notation as n
from derive.calculus.matrices import Column, Dot, Entrywise, OneHot, Ones

U, v, yhat, y = (o.matrix for o in (n.U, n.v_c, n.y_hat, n.y))
_t = sp.Symbol("t")


@pytest.mark.parametrize(("expr", "latex", "text"), [
    (engine.logit(n.w), r"\mathbf{u}_{w}^\top \mathbf{v}_c", "u_wᵀv_c"),
    (sp.Sum(sp.exp(engine.logit(n.w2)), (n.w2, 0, n.V - 1)),
     r"\sum_{w' \in \text{Vocab}} \exp\left(\mathbf{u}_{w'}^\top \mathbf{v}_c\right)",
     "Σ_w' (exp(u_w'ᵀv_c))"),
    (n.y_hat.indexed[n.o], r"\hat{y}_{o}", "ŷ_o"),
    (sp.MatMul(U, sp.MatAdd(yhat, -y)), r"\mathbf{U} \left(\hat{\mathbf{y}} - \mathbf{y}\right)",
     "U(ŷ - y)"),
    (sp.MatMul(v, sp.Transpose(sp.MatAdd(yhat, -y))),
     r"\mathbf{v}_c \left(\hat{\mathbf{y}} - \mathbf{y}\right)^\top", "v_c(ŷ - y)ᵀ"),
    (n.v_c.indexed[n.j], r"\left(\mathbf{v}_c\right)_{j}", "v_c[j]"),
    (n.U.indexed[n.j, n.o], r"\mathbf{U}_{j,o}", "U[j, o]"),
    (sp.KroneckerDelta(n.k, n.o), r"\delta_{k o}", "δ(k, o)"),
    # max(αx, x) and αx as the Leaky ReLU's rule states them, not SymPy's max(x, xα)
    (sp.Max(n.alpha * n.x_scalar, n.x_scalar), r"\max\left(\alpha x, x\right)", "max(α*x, x)"),
    (n.x_scalar * n.alpha, r"\alpha x", "α*x"),
    (-n.alpha * n.x_scalar, r"- \alpha x", "-α*x"),  # the sign first, not α*(-1)*x
    (1 - n.alpha, r"1 - \alpha", "1 - α"),
    # the fold's nodes: a column at an index, the one-hot vector, a scalar sum as a dot
    (Column(U, n.k), r"\mathbf{u}_{k}", "u_k"),
    (sp.MatMul(v, sp.Transpose(OneHot(n.k, n.V))), r"\mathbf{v}_c \mathbf{e}_{k}^\top", "v_c e_kᵀ"),
    (Dot(Ones(n.V), yhat), r"\mathbf{1}^\top \hat{\mathbf{y}}", "𝟏ᵀŷ"),
    # an entrywise quotient as ⊘, the inverse's argument below it
    (sp.HadamardProduct(Entrywise.of(_t ** -1, _t, yhat), y),
     r"\mathbf{y} \oslash \hat{\mathbf{y}}", "y ⊘ ŷ"),
    (sp.HadamardProduct(Entrywise.of(_t ** -1, _t, sp.MatAdd(Ones(n.V), -yhat)), y),
     r"\mathbf{y} \oslash \left(\mathbf{1} - \hat{\mathbf{y}}\right)", "y ⊘ (𝟏 - ŷ)"),
    # \log \hat{y}_o as the seed prints it: parentheses only around more than one symbol
    (-sp.log(n.y_hat.indexed[n.o]), r"- \log \hat{y}_{o}", "-log(ŷ_o)"),
    (sp.log(2 * n.y_hat.indexed[n.o]), r"\log{\left(2 \hat{y}_{o} \right)}", "log(2*ŷ_o)"),
])
def test_notation_prints_as_the_handout(expr, latex, text):
    assert printing.latex(expr) == latex
    assert printing.text(expr) == text


def test_a_subscripted_name_is_spaced_from_the_next() -> None:
    """v_c yᵀ, not v_cyᵀ (which reads as the entry cy of v); Uy stays as the handout writes it."""
    assert printing.text(sp.MatMul(n.v_c.matrix, sp.Transpose(n.y.matrix))) == "v_c yᵀ"
    assert printing.text(sp.MatMul(n.U.matrix, n.y.matrix)) == "Uy"


_i = sp.Symbol("i", integer=True, nonnegative=True)
_w = sp.Symbol("w", integer=True, nonnegative=True)
_vc_sq = sp.Sum(n.v_c.indexed[_i] ** 2, (_i, 0, n.d - 1))


@pytest.mark.parametrize(("expr", "latex", "text"), [
    (_vc_sq, r"\|\mathbf{v}_c\|^2", "‖v_c‖²"),
    (sp.Sum(n.U.indexed[_i, _w] ** 2, (_i, 0, n.d - 1), (_w, 0, n.V - 1)),
     r"\|\mathbf{U}\|_F^2", "‖U‖_F²"),
    (sp.Sum(sp.Sum(n.U.indexed[_i, _w] ** 2, (_i, 0, n.d - 1)), (_w, 0, n.V - 1)),
     r"\|\mathbf{U}\|_F^2", "‖U‖_F²"),
    (sp.sqrt(_vc_sq), r"\|\mathbf{v}_c\|", "‖v_c‖"),
    (1 / sp.sqrt(_vc_sq), r"\frac{1}{\|\mathbf{v}_c\|}", "1/‖v_c‖"),
    (_vc_sq ** sp.Rational(-3, 2), r"\frac{1}{\|\mathbf{v}_c\|^{3}}", "1/‖v_c‖**3"),
    # not a norm: a sum of squares of a column's entries over the other index, or of a power 3
    (sp.Sum(n.U.indexed[_i, n.o] ** 2, (_i, 0, n.d - 1)),
     r"\sum_{i=1}^{d} \mathbf{U}_{i,o}^{2}", "Σ_i (U[i, o]**2)"),
    (sp.Sum(n.v_c.indexed[_i] ** 3, (_i, 0, n.d - 1)),
     r"\sum_{i=1}^{d} \left(\mathbf{v}_c\right)_{i}^{3}", "Σ_i (v_c[i]**3)"),
])
def test_squared_norms_print_as_a_reader_writes_them(expr, latex, text) -> None:
    assert printing.latex(expr) == latex
    assert printing.text(expr) == text


def test_an_entry_of_a_product_prints_as_one() -> None:
    """Σ_i W[o, i] h[i] is (Wh)_o and Σ_i A[i, o] b[i] is (Aᵀb)_o; U's column stays u_oᵀv_c, and
    a sum whose index is also the entry's is no such entry."""
    W, h = n.declare("W", n.V, n.d), n.declare("h", n.d)
    A, b = n.declare("A", n.d, n.V), n.declare("b", n.d)
    row = sp.Sum(W.indexed[n.o, _i] * h.indexed[_i], (_i, 0, n.d - 1))
    assert (printing.text(row), printing.latex(row)) == (
        "(Wh)_o", r"\left(W h\right)_{o}")
    col = sp.Sum(A.indexed[_i, n.o] * b.indexed[_i], (_i, 0, n.d - 1))
    assert printing.text(col) == "(Aᵀb)_o"
    assert printing.text(sp.Sum(n.U.indexed[_i, n.o] * n.v_c.indexed[_i],
                                (_i, 0, n.d - 1))) == "u_oᵀv_c"
    diagonal = sp.Sum(W.indexed[_i, _i] * h.indexed[_i], (_i, 0, n.d - 1))
    assert "(W" not in printing.text(diagonal)
