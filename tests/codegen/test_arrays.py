"""Index form to array form (codegen/arrays.py): the facts that make a contraction cheap hold for
any loss, and only where they are true — Σ_s δ(s, x) f(s) is one entry f(x) when s runs over x's
whole range, and a factor whose axes are another's is multiplied into it before the contraction."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy as sp

import derive
from derive import notation as n
from derive.codegen import nodes as N
from derive.codegen.arrays import Translator
from derive.codegen.printer import KernelNumPyPrinter
from derive.steps.lossmath import read_loss

SHIPPED = Path(derive.__file__).parent / "steps" / "losses"
CORPUS = Path(__file__).parent.parent / "data" / "losses"


def _translator(path: Path) -> tuple[Translator, dict[str, sp.IndexedBase]]:
    loss = read_loss(path.read_text(encoding="utf-8"), path.stem).loss
    return Translator(loss), {o.indexed.name: o.indexed for o in loss.objects}


def _nodes(expr: sp.Expr) -> set[type]:
    return {type(x) for x in sp.preorder_traversal(expr)}


def _run(t: Translator, expr: sp.Expr, env: dict, values: dict) -> np.ndarray:
    a = t.tr(expr, env)
    scope = {"numpy": np, "dtype": np.float64, **values}
    return eval(KernelNumPyPrinter().doprint(a.expr), scope)  # noqa: S307 -- our printed text


def test_a_sum_against_the_one_hot_y_takes_one_column() -> None:
    t, objs = _translator(SHIPPED / "naive-softmax.tex")
    U, j, w = objs["U"], sp.Symbol("j", integer=True), n.w
    e = sp.Sum(U[j, w] * n.y.indexed[w], (w, 0, n.V - 1))
    a = t.tr(e, {j: n.d})
    assert N.Contract not in _nodes(a.expr) and N.OneHot not in _nodes(a.expr)
    Uv = np.random.default_rng(0).normal(size=(3, 5))
    np.testing.assert_array_equal(_run(t, e, {j: n.d}, {"U": Uv, "o": 2, "V": 5}), Uv[:, 2])


def test_a_kronecker_delta_of_the_summed_index_takes_one_entry() -> None:
    t, objs = _translator(CORPUS / "logit-bias.tex")
    b, w = objs["b"], n.w
    e = sp.Sum(sp.exp(b[w]) * sp.KroneckerDelta(n.o, w), (w, 0, n.V - 1))
    assert N.Contract not in _nodes(t.tr(e, {}).expr)
    bv = np.arange(5.0)
    np.testing.assert_allclose(_run(t, e, {}, {"b": bv, "o": 3, "V": 5}), np.exp(3.0))


def test_a_delta_of_two_running_indices_summed_over_one_is_no_identity() -> None:
    t, objs = _translator(CORPUS / "tanh-layer.tex")
    W, w, j = objs["W"], n.w, sp.Symbol("j", integer=True)
    e = sp.Sum(W[w, 1] * sp.KroneckerDelta(w, j), (w, 0, n.V - 1))
    assert not {N.Eye, N.Contract} & _nodes(t.tr(e, {j: n.V}).expr)
    Wv = np.random.default_rng(2).normal(size=(4, 3))
    np.testing.assert_array_equal(_run(t, e, {j: n.V}, {"W": Wv, "V": 4}), Wv[:, 1])


def test_a_delta_summed_over_part_of_the_range_is_not_taken() -> None:
    """Σ_{w=0}^{V−2} b_w δ(w, o) is 0 at o = V − 1: taking b_o there would be wrong, so the
    delta stays a one-hot of the summed range."""
    t, objs = _translator(CORPUS / "logit-bias.tex")
    b, w = objs["b"], n.w
    e = sp.Sum(b[w] * sp.KroneckerDelta(w, n.o), (w, 0, n.V - 2))
    assert N.OneHot in _nodes(t.tr(e, {}).expr)
    whole = sp.Sum(b[w] * sp.KroneckerDelta(w, n.o), (w, 0, n.V - 1))
    assert N.OneHot not in _nodes(t.tr(whole, {}).expr)


def test_a_factor_within_another_is_folded_in_so_two_operands_make_a_matrix_product() -> None:
    """Σ_w a_w W_wk W_wj: a's one axis is W's first, so (a ∘ W)ᵀ W, one product (was a
    three-operand einsum)."""
    t, objs = _translator(CORPUS / "tanh-layer.tex")
    a, W, w = objs["a"], objs["W"], n.w
    j, k = sp.symbols("j k", integer=True)
    e = sp.Sum(a[w] * W[w, k] * W[w, j], (w, 0, n.V - 1))
    env = {j: n.d, k: n.d}
    printed = KernelNumPyPrinter().doprint(t.tr(e, env).expr)
    assert "@" in printed and "einsum" not in printed, printed
    rng = np.random.default_rng(1)
    av, Wv = rng.normal(size=4), rng.normal(size=(4, 3))
    got = _run(t, e, env, {"a": av, "W": Wv})
    out = "".join("k" if x == k else "j" for x in t.tr(e, env).axes)
    np.testing.assert_allclose(got, np.einsum(f"w,wk,wj->{out}", av, Wv, Wv), rtol=1e-12)


def test_a_sum_of_squares_is_one_inner_product_without_a_temporary() -> None:
    """‖U‖²_F = Σ_i Σ_j U_ij²: the square as U · U and the two sums as one contraction, so vdot
    (one pass over U), not U**2 (a temporary of U's size) summed twice."""
    t, objs = _translator(SHIPPED / "naive-softmax.tex")
    U, i, j = objs["U"], sp.Symbol("i", integer=True), sp.Symbol("j", integer=True)
    e = sp.Sum(U[i, j] ** 2, (i, 0, n.d - 1), (j, 0, n.V - 1))
    printed = KernelNumPyPrinter().doprint(t.tr(e, {}).expr)
    assert printed == "numpy.vdot(U, U)"
    Uv = np.random.default_rng(3).normal(size=(3, 4))
    np.testing.assert_allclose(_run(t, e, {}, {"U": Uv}), (Uv**2).sum(), rtol=1e-12)
    row = sp.Sum(U[i, j] ** 2, (j, 0, n.V - 1))  # one sum: a row of dots, still no temporary
    assert "**" not in KernelNumPyPrinter().doprint(t.tr(row, {i: n.d}).expr)
    np.testing.assert_allclose(_run(t, row, {i: n.d}, {"U": Uv}), (Uv**2).sum(axis=1))
