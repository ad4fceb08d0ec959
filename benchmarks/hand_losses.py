"""Hand-written NumPy losses and gradients, for timing the kernels derive prints for loss files
(bench_kernels.py, "printed kernels"). Each is written from the calculus, the way a person would
write it by hand: the softmax max-shifted, one matrix product per term, the one-hot's 1 taken
from one entry in place. U is d×V, as the loss files declare it.

Each CASE names a loss file, the inputs it is run at and the reference; bench_kernels checks the
printed kernel against the reference before it times either, so a wrong kernel is never timed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "derive" / "steps" / "losses"
CORPUS = ROOT / "tests" / "data" / "losses"

Values = dict[str, Any]


def _softmax_grad(z: np.ndarray, o: Any) -> tuple[float, np.ndarray]:
    """(logsumexp(z) − z_o, ŷ − y): the naive-softmax loss and its logit gradient, one word."""
    m = z.max()
    e = np.exp(z - m)
    s = e.sum()
    g = e / s
    g[o] -= 1
    return float(m + np.log(s) - z[o]), g


def naive_softmax(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    U, v_c = v["U"], v["v_c"]
    loss, g = _softmax_grad(v_c @ U, v["o"])
    return loss, {"U": np.outer(v_c, g), "v_c": U @ g}


def naive_softmax_batch(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """B words at once: v_c is (B, d), o is (B,); the loss summed over them."""
    U, V_c, o = v["U"], v["v_c"], v["o"]
    z = V_c @ U
    m = z.max(axis=1, keepdims=True)
    e = np.exp(z - m)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(o))
    loss = float((m[:, 0] + np.log(s[:, 0]) - z[rows, o]).sum())
    g = e / s
    g[rows, o] -= 1
    return loss, {"U": V_c.T @ g, "v_c": g @ U.T}


def logit_bias(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    U, v_c = v["U"], v["v_c"]
    loss, g = _softmax_grad(v_c @ U + v["b"], v["o"])
    return loss, {"U": np.outer(v_c, g), "v_c": U @ g, "b": g}


def label_smoothing(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """J = −Σ t_w log ŷ_w with t = (1 − ε) y + ε/V; Σ t = 1, so J = logsumexp(z) − tᵀz."""
    U, v_c, eps = v["U"], v["v_c"], v["epsilon"]
    z = v_c @ U + v["b"]
    t = np.full_like(z, eps / z.size)
    t[v["o"]] += 1 - eps
    m = z.max()
    e = np.exp(z - m)
    s = e.sum()
    g = e / s - t
    return float(m + np.log(s) - t @ z), {"U": np.outer(v_c, g), "v_c": U @ g, "b": g}


def l2_and_frobenius(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    U, v_c, lam, mu = v["U"], v["v_c"], v["lambda"], v["mu"]
    loss, g = _softmax_grad(v_c @ U, v["o"])
    loss += lam / 2 * float(v_c @ v_c) + mu / 2 * float(np.vdot(U, U))
    return loss, {"U": np.outer(v_c, g) + mu * U, "v_c": U @ g + lam * v_c}


def cbow(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """ŷ = softmax(Uᵀ C𝟏 / m): every context column gets the same gradient U g / m."""
    U, C = v["U"], v["C"]
    m = C.shape[1]
    h = C.sum(axis=1) / m
    loss, g = _softmax_grad(h @ U, v["o"])
    return loss, {"U": np.outer(h, g), "C": np.repeat((U @ g / m)[:, None], m, axis=1)}


def neg_sampling(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """J = −log σ(u_oᵀv_c) − Σ_k log σ(−u_kᵀv_c), the samples u_k the columns of U_neg."""
    v_c, u_o, U_neg = v["v_c"], v["u_o"], v["U_neg"]
    x_o = float(u_o @ v_c)
    x = v_c @ U_neg
    s_o = 1 / (1 + np.exp(-x_o))
    s = 1 / (1 + np.exp(-x))
    loss = float(np.logaddexp(0, -x_o) + np.logaddexp(0, x).sum())
    return loss, {"v_c": (s_o - 1) * u_o + U_neg @ s, "u_o": (s_o - 1) * v_c,
                  "U_neg": np.outer(v_c, s)}


def neg_sampling_repeated(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """J = −log σ(u_oᵀv_c) − Σ_w n_w log σ(−u_wᵀv_c), n_w the count of w among the samples."""
    U, v_c, counts, o = v["U"], v["v_c"], v["n"], v["o"]
    z = v_c @ U
    s = 1 / (1 + np.exp(-z))
    g = counts * s
    g[o] += s[o] - 1
    sp = np.logaddexp(0, z)
    loss = float(np.logaddexp(0, -z[o]) + counts @ sp)
    return loss, {"U": np.outer(v_c, g), "v_c": U @ g, "n": sp}


def tanh_layer(v: Values) -> tuple[float, dict[str, np.ndarray]]:
    """J = aᵀ tanh(W x)."""
    a, W, x = v["a"], v["W"], v["x"]
    h = np.tanh(W @ x)
    g = a * (1 - h * h)
    return float(a @ h), {"a": h, "W": np.outer(g, x), "x": g @ W}


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    reference: Callable[[Values], tuple[float, dict[str, np.ndarray]]]
    batch: tuple[str, ...] = ()


CASES = (
    Case("naive-softmax", SHIPPED / "naive-softmax.tex", naive_softmax),
    Case("naive-softmax B=64", SHIPPED / "naive-softmax.tex", naive_softmax_batch, ("v_c", "o")),
    Case("cross-entropy", SHIPPED / "cross-entropy.tex", naive_softmax),
    Case("neg-sampling K=10", SHIPPED / "neg-sampling.tex", neg_sampling),
    Case("neg-sampling-repeated", SHIPPED / "neg-sampling-repeated.tex", neg_sampling_repeated),
    Case("logit-bias", CORPUS / "logit-bias.tex", logit_bias),
    Case("label-smoothing", CORPUS / "label-smoothing.tex", label_smoothing),
    Case("l2-and-frobenius", CORPUS / "l2-and-frobenius.tex", l2_and_frobenius),
    Case("cbow m=4", CORPUS / "cbow.tex", cbow),
    Case("tanh-layer", CORPUS / "tanh-layer.tex", tanh_layer),
)


def values(case: Case, V: int, d: int, rng: np.random.Generator) -> Values:
    """The case's inputs at V words and dimension d (K = 10 samples, m = 4 context words,
    B = 64 words for a batch), scaled so the logits stay of order one."""
    scale = 1 / np.sqrt(d)
    out: Values = {
        "U": rng.normal(size=(d, V)) * scale, "v_c": rng.normal(size=d), "o": int(rng.integers(V)),
        "b": rng.normal(size=V), "epsilon": 0.1, "lambda": 0.01, "mu": 0.001,
        "C": rng.normal(size=(d, 4)), "u_o": rng.normal(size=d) * scale,
        "U_neg": rng.normal(size=(d, 10)) * scale, "n": rng.poisson(0.01, size=V).astype(float),
        "a": rng.normal(size=V), "W": rng.normal(size=(V, d)) * scale, "x": rng.normal(size=d),
    }
    if case.batch:
        out["v_c"], out["o"] = rng.normal(size=(64, d)), rng.integers(V, size=64)
    return out
