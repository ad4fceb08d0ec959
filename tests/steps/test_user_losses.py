"""Loss files written as users write them, with the names users pick (a target t, a scale s, ℓ)
and inputs the loss takes the log of: each derives to matrix form and matches a gradient written
by hand in NumPy here, at the engine's own check points."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from derive import printing
from derive.calculus import derive
from derive.calculus.sample import Points, positive_inputs
from derive.steps.lossmath import read_loss

FILES = Path(__file__).parent.parent / "data" / "user-losses"
Arrays = dict[str, np.ndarray]


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _onehot(A: Arrays) -> np.ndarray:
    return np.eye(A["U"].shape[1])[A["o"]]


def _target_t(A: Arrays) -> Arrays:
    r = A["W"] @ A["x"] - A["t"]
    return {"W": np.outer(r, A["x"]), "x": A["W"].T @ r, "t": -r}


def _constant_s(A: Arrays) -> Arrays:
    h = max(0.0, 1 - A["s"] * A["w"] @ A["x"])
    return {"w": -2 * h * A["s"] * A["x"] + A["lambda"] * A["w"], "x": -2 * h * A["s"] * A["w"]}


def _constant_t(A: Arrays) -> Arrays:
    e = A["w"] @ A["x"] + A["b"] - A["t"]
    return {"w": e * A["x"] + 2 * A["lambda"] * A["w"], "x": e * A["w"]}


def _glove(A: Arrays) -> Arrays:
    E = A["W"].T @ A["C"] + A["b"][:, None] + A["a"][None, :] - A["L"]
    G = A["F"] * E
    return {"W": A["C"] @ G.T, "C": A["W"] @ G, "b": G.sum(axis=1), "a": G.sum(axis=0),
            "L": -G, "F": E ** 2 / 2}


def _kl(A: Arrays) -> Arrays:
    yhat = _softmax(A["U"].T @ A["v_c"])
    g = A["p"].sum() * yhat - A["p"]
    return {"U": np.outer(A["v_c"], g), "v_c": A["U"] @ g, "p": np.log(A["p"] / yhat) + 1}


def _l1(A: Arrays) -> Arrays:
    g = _softmax(A["U"].T @ A["v_c"]) - _onehot(A)
    return {"U": np.outer(A["v_c"], g), "v_c": A["U"] @ g + A["lambda"] * np.sign(A["v_c"])}


def _ell(A: Arrays) -> Arrays:
    e = A["u"] @ A["v"] - A["ell"]
    return {"u": 2 * e * A["v"], "v": 2 * e * A["u"]}


def _sampled_index(A: Arrays) -> Arrays:
    def sigma(x: float) -> float:
        return 1 / (1 + np.exp(-x))
    U, v, o, m = A["U"], A["v_c"], A["o"], A["m"]
    pos, neg = 1 - sigma(U[:, o] @ v), sigma(U[:, m] @ v)
    grad_U = np.zeros_like(U)
    grad_U[:, o] -= pos * v
    grad_U[:, m] += neg * v  # added: m may be o
    return {"U": grad_U, "v_c": -pos * U[:, o] + neg * U[:, m]}


def _inline_softmax(A: Arrays) -> Arrays:
    g = _softmax(A["W"] @ A["h"]) - np.eye(A["W"].shape[0])[A["o"]]
    return {"W": np.outer(g, A["h"]) + A["lambda"] * A["W"], "h": A["W"].T @ g}


def _binary_label(A: Arrays) -> Arrays:
    g = 1 / (1 + np.exp(-(A["w"] @ A["x"] + A["b"]))) - A["t"]
    return {"w": g * A["x"], "x": g * A["w"]}


def _sigma(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _sample_family(A: Arrays) -> Arrays:
    U, v, o, w = A["U"], A["v_c"], A["o"], A["w"]
    pos = 1 - _sigma(U[:, o] @ v)
    grad_U, grad_v = np.zeros_like(U), -pos * U[:, o]
    grad_U[:, o] -= pos * v
    for k in w:  # one term a sample: a word drawn twice counts twice, o among them too
        neg = _sigma(U[:, k] @ v)
        grad_U[:, k] += neg * v
        grad_v = grad_v + neg * U[:, k]
    return {"U": grad_U, "v_c": grad_v}


def _sample_rows(A: Arrays) -> Arrays:
    W, h, b, o, w = A["W"], A["h"], A["b"], A["o"], A["w"]
    z = W @ h + b
    g = np.zeros_like(b)
    g[o] -= 1 - _sigma(z[o])
    for k in w:
        g[k] += _sigma(z[k])
    return {"W": np.outer(g, h), "h": W.T @ g, "b": g}


HAND: dict[str, Callable[[Arrays], Arrays]] = {
    "target-t": _target_t, "constant-s": _constant_s, "constant-t": _constant_t,
    "glove-weights": _glove, "kl-target": _kl, "l1-entries": _l1, "constant-ell": _ell,
    "sampled-index": _sampled_index, "inline-softmax": _inline_softmax,
    "binary-label": _binary_label, "sample-family": _sample_family,
    "sample-rows": _sample_rows}


def _arrays(points: Points, at: int) -> Arrays:
    p = points.points[at]
    out: Arrays = {base.name: arr for base, arr in p.arrays.items()}
    out.update({str(x): v for x, v in p.indices.items()})
    out.update({w.name: a for w, a in p.families.items()})
    out.update({str(c): v for c, v in zip(points.constants, p.constants, strict=True)})
    return out


def test_every_file_has_a_hand_gradient() -> None:
    assert {f.stem for f in FILES.glob("*.tex")} == set(HAND)


@pytest.mark.parametrize("name", sorted(HAND))
def test_user_loss_derives_to_the_hand_gradient(name: str) -> None:
    lf = read_loss((FILES / f"{name}.tex").read_text(encoding="utf-8"), name)
    derivation = derive(lf.loss)
    points = Points(lf.loss)
    for g in derivation.gradients:
        assert g.steps[-1].matrix, (g.key, g.steps[-1].rule)
        values = points.matrices(g.result, tuple(g.wrt.indexed.shape))
        for at, value in enumerate(values):
            want = HAND[name](_arrays(points, at))[g.wrt.name]
            np.testing.assert_allclose(value, want, rtol=1e-9, atol=1e-12)


def test_an_input_under_a_log_is_drawn_positive_and_only_it() -> None:
    lf = read_loss((FILES / "kl-target.tex").read_text(encoding="utf-8"), "kl")
    bases = {o.indexed for o in lf.loss.objects}
    assert {b.name for b in positive_inputs(lf.loss.expr) & bases} == {"p"}
    for p in Points(lf.loss).points:
        arrays = {b.name: a for b, a in p.arrays.items()}
        assert (arrays["p"] > 0).all() and (arrays["U"] < 0).any()


def test_a_user_constant_named_like_a_spare_index_is_not_captured() -> None:
    # the squared hinge's s and a sum's index: were the index named s too, Σ_s s·w[s]x[s]
    # would be Σ_s s² … (a wrong step, caught only by the check)
    lf = read_loss((FILES / "constant-s.tex").read_text(encoding="utf-8"), "s")
    sums = [str(v) for s in lf.loss.expr.atoms(sp.Sum) for v in s.variables]
    assert "s" not in sums and sums



def test_a_column_at_a_declared_index_folds_as_the_handout_writes_it() -> None:
    # u_m and e_m for the sampled word m, u_o for the outside word: the column at an index, not
    # an entry form (no pattern folded U[j, m] before) and not U y
    lf = read_loss((FILES / "sampled-index.tex").read_text(encoding="utf-8"), "sampled")
    results = {g.wrt.name: printing.text(g.result) for g in derive(lf.loss).gradients}
    assert results == {"U": "v_c(σ(u_mᵀv_c) e_m - (1 - σ(u_oᵀv_c)) y)ᵀ",
                       "v_c": "σ(u_mᵀv_c) u_m - (1 - σ(u_oᵀv_c)) u_o"}


@pytest.mark.parametrize("seed", range(6))
def test_two_indices_over_one_range_are_apart_at_one_point_and_equal_at_the_other(seed) -> None:
    # a step that drops or keeps δ(m, o) wrongly holds at one of the cases only: the checks must
    # reach both, whatever the draw
    lf = read_loss((FILES / "sampled-index.tex").read_text(encoding="utf-8"), "sampled")
    first, second = Points(lf.loss, seed=seed).points
    m, o = sorted(first.indices, key=str)
    assert first.indices[m] != first.indices[o] and second.indices[m] == second.indices[o]


def test_a_label_declared_as_a_set_of_numbers_is_a_constant() -> None:
    lf = read_loss((FILES / "binary-label.tex").read_text(encoding="utf-8"), "label")
    assert [(d.name, d.kind) for d in lf.inputs] == [
        ("w", "vector"), ("x", "vector"), ("b", "scalar"), ("t", "constant")]


def test_samples_fold_as_gathered_columns_and_one_hot_rows() -> None:
    lf = read_loss((FILES / "sample-family.tex").read_text(encoding="utf-8"), "samples")
    assert [(d.name, d.kind, d.shape) for d in lf.inputs][-1] == ("w", "indices", ("K", "V"))
    results = {g.wrt.name: printing.text(g.result) for g in derive(lf.loss).gradients}
    assert results == {"U": "v_c(I[:, w] σ(U[:, w]ᵀv_c) - (1 - σ(u_oᵀv_c)) y)ᵀ",
                       "v_c": "U[:, w] σ(U[:, w]ᵀv_c) - (1 - σ(u_oᵀv_c)) u_o"}


@pytest.mark.parametrize("seed", range(6))
def test_samples_hold_o_and_a_repeat_at_one_point_and_are_apart_at_the_other(seed) -> None:
    # a step that counts a repeated sample once, or forgets that o may be drawn, fails at the
    # first point; one that holds only with repeats at the second: whatever the draw
    lf = read_loss((FILES / "sample-family.tex").read_text(encoding="utf-8"), "samples")
    first, second = Points(lf.loss, seed=seed).points
    (w0,), (w1,) = first.families.values(), second.families.values()
    o0, o1 = first.indices[sp.Symbol("o", integer=True, nonnegative=True)], \
        second.indices[sp.Symbol("o", integer=True, nonnegative=True)]
    assert o0 in w0 and len(set(w0.tolist())) < len(w0)
    assert len(w1) < second.sizes[sp.Symbol("V", integer=True, positive=True)]
    assert o1 not in w1 and len(set(w1.tolist())) == len(w1)


def test_a_fold_that_counts_a_repeated_sample_once_is_caught(monkeypatch) -> None:
    from derive.calculus import families
    from derive.errors import DerivationError

    # I[:, w] with each sample once (numpy.unique): wrong exactly when a word is drawn twice
    def once(self, printer):
        eye = printer._module_format("numpy.eye")
        unique = printer._module_format("numpy.unique")
        return f"{eye}({printer._print(self.args[1])})[:, {unique}({self.family.label})]" \
            f" @ {eye}(len({unique}({self.family.label})), {self.family.shape[0]})"
    monkeypatch.setattr(families.OneHots, "_numpycode", once)
    lf = read_loss((FILES / "sample-family.tex").read_text(encoding="utf-8"), "samples")
    with pytest.raises(DerivationError, match="matrix form"):
        derive(lf.loss)
