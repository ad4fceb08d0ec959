"""`derive verify` for skip-gram: the derived window sums and the skipgram kernel, with either
pair loss, over one window of outside words (the first repeated last)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import problems
from . import compiled, losses, plan, products, values
from .draws import Draws
from .report import Check

Progress = Callable[[str], None]
# The window as a batch of pair losses (losses.printed) that share the centre vector v_c: only
# the outside word (and its samples) varies, so the logits Uᵀv_c are computed once for the
# window, not once a word from W copies of v_c.
BATCH = ("o",)
NEG = ("u_o", "U_neg")


def skipgram_checks(problem: problems.Problem, record: compiled.Compiled, V: int, d: int,
                    dtype: np.dtype, seed: int, mode: str, progress: Progress,
                    draws: Draws) -> list[Check]:
    """The derived window sums (v_c, U, and 0 for every other centre vector) and the kernel, with
    either pair loss, against differences of the kernel's loss over a window of 4 outside words,
    the first repeated last (of J, the window's pair losses as a batch, in directional mode)."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    rng, U = draws.start(V, d)
    c = int(rng.integers(V))
    if record.points is None or not record.points.window:
        raise TypeError(f"{problem.name} has no window")
    size = record.points.window  # the window checker's: window.WINDOW outside words
    outside = rng.integers(V, size=size)
    outside[-1] = outside[0]
    negatives = rng.integers(V, size=(size, min(10, V)))
    # The centre vectors: J reads row c of them alone, so that row alone is drawn, in an array
    # of zeros (pages never written cost no memory). The others could change no check (no
    # difference in them is other than 0, and no gradient reads them).
    v = rng.normal(size=d)
    centres = np.zeros((V, d))
    centres[c] = v
    sizes = {"d": d, "V": V}

    softmax: list[np.ndarray] = []

    def yhat() -> np.ndarray:
        # ŷ at (U, v) is the same for every term: made once, with the first (after every
        # difference, which put U back).
        if not softmax:
            softmax.append(values.softmax_at(U, v))
        return softmax[0]

    def terms(name: str, layout: Callable[[Any], Any]) -> plan.Sum:
        # The window sum evaluated as it stands: its body at each outside word, added.
        body = record.forms[name]

        def at(word: int) -> Callable[[], np.ndarray]:
            return lambda: layout(values.evaluate(body, U, v, word, yhat()))
        made: dict[int, Callable[[], np.ndarray]] = {}  # a repeated word: the same term
        return plan.Sum(tuple(made.setdefault(int(w), at(int(w))) for w in outside))

    def centre_vectors() -> np.ndarray:
        # Every centre vector as rows: row c is v_c, the others appear in no term of the loss.
        # np.zeros leaves untouched pages unallocated, so an all-zero v_w costs no copy of U.
        zero = record.zeros.get("v_w")
        other = (np.zeros(tuple(sizes[s] if isinstance(s, str) else s for s in zero))
                 if zero is not None else terms("v_w", lambda g: g).array())
        row = terms("v_c", lambda g: g[:, 0]).array()
        if other is None or other.shape != (d, 1) or row is None or row.shape != (d,):
            return np.empty(0)  # a shape other than the centre vectors': checked as such
        out = np.zeros((V, d))
        if np.any(other != 0):  # NaN too
            out[...] = other.T
        out[c] = row
        return out

    def loss_at(v_c: np.ndarray, U_: np.ndarray, neg: np.ndarray | None = None) -> float:
        return float(kernels.skipgram(v_c, outside, U_, negatives=neg)[0])

    def loss_v(x: np.ndarray) -> float:
        return loss_at(x, U)

    def loss_U(x: np.ndarray) -> float:
        return loss_at(v, x)

    # J alone: the window is a batch of its pair losses, all with the centre vector v_c.
    J, J_neg = losses.printed("naive-softmax", BATCH), losses.printed("neg-sampling", BATCH + NEG)
    rows, row_of = losses.rows_read(outside, negatives)
    stack = products.Products(U)  # U as J_naive reads it at moved v_c (products.stacked)

    def J_naive(v_c: np.ndarray, U_: Any) -> float:
        return J(v_c=v_c, U=U_.T, o=outside)

    # J in v_c and in the centre vectors' row c read U as U_ (the handout's layout), so that
    # their differences can be taken stacked (products.stacked).
    def fast_v(x: np.ndarray, U_: Any = U.T) -> float:
        return J_naive(x, U_.T)

    def fast_centre(x: np.ndarray, U_: Any = U.T) -> float:
        return J_naive(x[0], U_.T)

    def J_negatives(v_c: np.ndarray, u_o: np.ndarray, U_neg: np.ndarray) -> float:
        return J_neg(v_c=v_c, u_o=u_o, U_neg=np.swapaxes(U_neg, 1, 2),
                     o=outside)

    U_k = draws.converted(V, d, dtype)
    naive, own = plan.with_loss(lambda: kernels.skipgram(v.astype(dtype), outside, U_k()))
    kv, kU = plan.parts(naive, 1, 2)
    with_negatives, own_neg = plan.with_loss(lambda: kernels.skipgram(
        v.astype(dtype), outside, U_k(), negatives=negatives))
    nv, nU = plan.parts(with_negatives, 1, 2)
    results = record.texts
    f64 = np.dtype(np.float64)
    # One loss evaluation costs about V·d multiply-adds an outside word.
    run = functools.partial(plan.run, problem.name, n=max(V, d),
                            cost=lambda _: size * V * d, mode=mode, rng=rng,
                            progress=progress)
    # The centre vectors first, on their own: then they go, and with them a copy of U. J reads
    # row c of them alone, so that row alone is moved.
    (centres_check,) = run(cases=[plan.Case(
        "derived expression", "dJ/dv_w = " + results["v_w (w != c)"] + " (w != c)",
        "centre vectors", lambda x: loss_at(x[c], U), centres, centre_vectors, f64,
        fast=fast_centre, rows=np.array([c]), stack=stack)],
        differences=plan.Differences(rng, draws.directions))
    del centres
    fast_U = lambda x: J_naive(v, x)  # noqa: E731 -- x is U, moved (or Moved: products.py)
    checks = run(differences=plan.Differences(rng, draws.directions), cases=[
        plan.Case("derived expression", "dJ/dv_c = " + results["v_c"], "v_c", loss_v, v,
                  lambda: terms("v_c", lambda g: g[:, 0]).array(), f64, fast=fast_v,
                  stack=stack),
        plan.Case("derived expression", "dJ/dU = " + results["U"], "U", loss_U, U,
                  lambda: terms("U", lambda g: g.T), f64, fast=fast_U, through=True),
        plan.Case("kernel", "skipgram", "v_c", loss_v, v, kv, dtype, fast=fast_v, own=own,
                  stack=stack),
        plan.Case("kernel", "skipgram", "U", loss_U, U, kU, dtype, fast=fast_U, own=own,
                  through=True),
        plan.Case("kernel", "skipgram (negatives)", "v_c", lambda x: loss_at(x, U, negatives), v,
                  nv, dtype, fast=lambda x: J_negatives(x, U[outside], U[negatives]), own=own_neg),
        plan.Case("kernel", "skipgram (negatives)", "U", lambda x: loss_at(v, x, negatives), U,
                  nU, dtype, rows=rows, own=own_neg,
                  fast=lambda x: J_negatives(v, x[row_of(outside)], x[row_of(negatives)])),
    ])
    return [*checks[:2], centres_check, *checks[2:]]
