"""`derive verify`: every gradient against central finite differences of the loss.

For each problem it checks (1) the derived matrix forms, evaluated directly with `lambdify`;
(2) the generated kernels, single word and batched; (3) every step of each derivation trace, at the
engine's small check sizes. Points are random normal (never v_c = 0, U = 0 or equal logits, which
hide wrong gradients); the seed is reported so a failure replays.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from .. import notation as n
from .. import problems
from ..calculus import window
from ..calculus.fold import entries_as_matrices
from ..calculus.records import Derivation
from ..codegen import KERNELS
from . import derived, plan, trace
from .report import Check, Report

MODES = ("coordinate", "directional", "auto")
SCALAR = ("sigmoid", "leaky-relu")  # derivatives in one scalar x: no sizes, no kernel


Progress = Callable[[str], None]


def verify(names: list[str], *, vocab: int = 20, dim: int = 5, batch: int = 3,
           dtype: str = "float64", seed: int = 0, mode: str = "auto",
           progress: Progress | None = None,
           derivations: Mapping[str, Derivation] | None = None) -> Report:
    """Run every check for the named problems (all when empty); `progress` is told what each
    check is before it runs. `derivations` holds problems already derived (derive build passes
    the handouts'), so that none is derived twice."""
    _validate(vocab=vocab, dim=dim, batch=batch, dtype=dtype, mode=mode)
    checks: list[Check] = []
    points: list[derived.Point] = []

    def point(loss: Any) -> derived.Point:  # one a loss: its steps' values are shared
        found = next((p for p in points if p.loss is loss), None)
        if found is None:
            found = derived.Point(loss, seed=seed)
            points.append(found)
        return found

    made: list[Derivation] = []
    shared: dict[str, Any] = {}  # naive softmax's point, for cross-entropy
    for name in names or list(problems.PROBLEMS):
        problem, quiet = problems.get(name), progress or (lambda _: None)
        derivation = (derivations or {}).get(problem.name) or derived.derivation(problem, point,
                                                                                  made)
        made.append(derivation)
        if problem.name not in ("naive-softmax", "cross-entropy"):
            shared.clear()  # naive softmax's U goes: this problem draws its own
        if problem.name in SCALAR:
            checks += trace.scalar_checks(problem, derivation, seed, quiet)
        elif problem.name == "neg-sampling":
            checks += _neg_sampling_checks(problem, derivation, vocab, dim, batch,
                                           np.dtype(dtype), seed, mode, quiet)
        elif problem.name == "neg-sampling-repeated":
            checks += _repeated_checks(problem, derivation, vocab, dim, seed, mode, quiet)
        elif problem.name == "skip-gram":
            checks += _skipgram_checks(problem, derivation, vocab, dim, np.dtype(dtype), seed,
                                       mode, quiet)
        else:
            checks += _problem_checks(problem, derivation, vocab, dim, batch, np.dtype(dtype),
                                      seed, mode, quiet, shared)
        if problem.name == "skip-gram":
            checks += trace.window_trace_checks(problem.name, derivation, seed)
        elif problem.name not in SCALAR:
            checks += trace.trace_checks(problem.name, derivation, point(derivation.loss))
    return Report(seed, tuple(checks))


def _validate(*, vocab: int, dim: int, batch: int, dtype: str, mode: str) -> None:
    for label, value in (("--vocab", vocab), ("--dim", dim), ("--batch", batch)):
        if value < 1:
            raise ValueError(f"{label} must be a positive integer; got {value}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"--dtype must be float32 or float64; got {dtype}")
    if mode not in MODES:
        raise ValueError(f"--mode must be one of {', '.join(MODES)}; got {mode}")


class _SoftmaxPoint:
    """The point, losses and differences of naive softmax, which cross-entropy shares: its loss
    is the same, drawn from the same seed, so its differences are the same numbers."""

    def __init__(self, kernels: Any, V: int, d: int, B: int, seed: int) -> None:
        self.key = (V, d, B, seed)
        self.rng = rng = np.random.default_rng(seed)
        self.U = U = rng.normal(size=(V, d))
        self.V_c = V_c = rng.normal(size=(B, d))
        self.o = o = rng.integers(V, size=B)
        # v is its own array, not a view of V_c: each x is moved in place by the differences.
        self.v, self.o0 = v, o0 = V_c[0].copy(), int(o[0])
        self.differences = plan.Differences(rng)
        # The gradients a loss evaluation also computes go to one reused buffer: at V·d = 15
        # million, allocating them anew costs more than the loss. It goes once the differences
        # are taken.
        # (The closures hold no `self`: a cycle would keep U until the garbage collector runs.)
        self.grad_U: list[np.ndarray] = []
        grad_U = self.grad_U
        grad_v, grad_V = np.empty(d), np.empty((B, d))

        def scratch(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if not grad_U:
                grad_U.append(np.empty((V, d)))
            return first, grad_U[0]

        def single_loss_v(x: np.ndarray) -> float:
            return float(kernels.naive_softmax(x, o0, U, out=scratch(grad_v))[0])

        def single_loss_U(x: np.ndarray) -> float:
            return float(kernels.naive_softmax(v, o0, x, out=scratch(grad_v))[0])

        def batch_loss_V(x: np.ndarray) -> float:
            return float(kernels.naive_softmax_batch(x, o, U, out=scratch(grad_V))[0])

        def batch_loss_U(x: np.ndarray) -> float:
            return float(kernels.naive_softmax_batch(V_c, o, x, out=scratch(grad_V))[0])

        self.losses = single_loss_v, single_loss_U, batch_loss_V, batch_loss_U


def _problem_checks(problem: problems.Problem, derivation: Derivation, V: int, d: int, B: int,
                    dtype: np.dtype, seed: int, mode: str, progress: Progress,
                    shared: dict[str, _SoftmaxPoint]) -> list[Check]:
    from .. import kernels  # generated on first import: only when a kernel is checked

    point = shared.get("softmax")
    if point is None or point.key != (V, d, B, seed):
        shared["softmax"] = point = _SoftmaxPoint(kernels, V, d, B, seed)
    U, V_c, o, v, o0 = point.U, point.V_c, point.o, point.v, point.o0
    single_loss_v, single_loss_U, batch_loss_V, batch_loss_U = point.losses
    grads = {g.wrt.name: g.result for g in derivation.gradients if not g.case}
    kv, kU = plan.parts(lambda: kernels.naive_softmax(v.astype(dtype), o0, _as(U, dtype)), 1, 2)
    bV, bU = plan.parts(lambda: kernels.naive_softmax_batch(V_c.astype(dtype), o, _as(U, dtype)),
                        1, 2)
    f64 = np.dtype(np.float64)
    cases = [
        plan.Case("derived expression", "dJ/dv_c = " + derived.text(grads["v_c"]), "v_c",
                  single_loss_v, v, lambda: derived.evaluate(grads["v_c"], U, v, o0)[:, 0], f64),
        plan.Case("derived expression", "dJ/dU = " + derived.text(grads["U"]), "U",
                  single_loss_U, U, lambda: derived.evaluate(grads["U"], U, v, o0).T, f64),
        plan.Case("kernel", "naive_softmax", "v_c", single_loss_v, v, kv, dtype),
        plan.Case("kernel", "naive_softmax", "U", single_loss_U, U, kU, dtype),
        plan.Case("kernel", "naive_softmax_batch", "V_c", batch_loss_V, V_c, bV, dtype),
        plan.Case("kernel", "naive_softmax_batch", "U", batch_loss_U, U, bU, dtype),
    ]
    if problem.name not in KERNELS:
        # Its loss equals naive softmax's (cross-entropy): the kernel is checked there, once.
        cases = [c for c in cases if c.target != "kernel"]
    # One loss evaluation costs about V·d multiply-adds a centre word.
    return plan.run(problem.name, cases, max(V, d),
                    lambda fn: V * d * (B if fn.endswith("_batch") else 1), mode, point.rng,
                    progress, release=point.grad_U.clear, differences=point.differences)


def _neg_sampling_checks(problem: problems.Problem, derivation: Derivation, V: int, d: int,
                         B: int, dtype: np.dtype, seed: int, mode: str, progress: Progress
                         ) -> list[Check]:
    """The derived matrix forms (in v_c, u_o and U_neg, with K distinct samples, none o) and the
    kernels (rows of U, repeated samples; one word and a batch of B), each against differences
    of the kernel's loss."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    if V < 2:
        raise ValueError(f"{problem.name} needs --vocab of at least 2 (o and a sample); got {V}")
    rng = np.random.default_rng(seed)
    U, v, o = rng.normal(size=(V, d)), rng.normal(size=d), int(rng.integers(V))
    K = min(10, V - 1)
    distinct = rng.choice(np.delete(np.arange(V), o), size=K, replace=False)
    repeated = np.delete(np.arange(V), o)[rng.integers(V - 1, size=K)]

    def loss_at(v_c: np.ndarray, U_: np.ndarray, negatives: np.ndarray = distinct) -> float:
        return float(kernels.neg_sampling(v_c, o, U_, negatives)[0])

    def with_rows(rows: np.ndarray | int, values: np.ndarray) -> float:
        # U with these rows replaced, in place and put back: a copy of U a call at V·d = 15 million.
        kept = U[rows].copy()
        U[rows] = values
        try:
            return loss_at(v, U)
        finally:
            U[rows] = kept

    mats = (n.v_c.matrix, n.u_o.matrix, n.U_neg.matrix, n.d, n.K)
    columns = [v[:, None], U[o][:, None].copy(), U[distinct].T, d, K]
    grads = {g.wrt.name: g.result for g in derivation.gradients}

    def form(name: str) -> np.ndarray:
        # The vectors' entries in a scalar such as σ(−u_oᵀv_c) are entries of the column matrices.
        f = derived.lambdified(mats, entries_as_matrices(grads[name]))
        return np.asarray(f(*columns), dtype=float)

    kv, kU = plan.parts(lambda: kernels.neg_sampling(v.astype(dtype), o, _as(U, dtype), repeated),
                        1, 2)
    V_c, os, batch_negatives = rng.normal(size=(B, d)), rng.integers(V, size=B), \
        rng.integers(V, size=(B, K))  # repeats, and o among a word's samples, allowed

    def batch_loss_at(V_c_: np.ndarray, U_: np.ndarray) -> float:
        return float(kernels.neg_sampling_batch(V_c_, os, U_, batch_negatives)[0])

    bV, bU = plan.parts(lambda: kernels.neg_sampling_batch(V_c.astype(dtype), os, _as(U, dtype),
                                                           batch_negatives), 1, 2)
    f64 = np.dtype(np.float64)
    cases = [
        plan.Case("derived expression", "dJ/dv_c = " + derived.text(grads["v_c"]), "v_c",
                  lambda x: loss_at(x, U), v, lambda: form("v_c")[:, 0], f64),
        plan.Case("derived expression", "dJ/du_o = " + derived.text(grads["u_o"]), "u_o",
                  lambda x: with_rows(o, x), U[o].copy(), lambda: form("u_o")[:, 0], f64),
        plan.Case("derived expression", "dJ/dU_neg = " + derived.text(grads["U_neg"]), "U_neg",
                  lambda x: with_rows(distinct, x.T), U[distinct].T, lambda: form("U_neg"), f64),
        plan.Case("kernel", "neg_sampling", "v_c", lambda x: loss_at(x, U, repeated), v, kv,
                  dtype),
        plan.Case("kernel", "neg_sampling", "U", lambda x: loss_at(v, x, repeated), U, kU, dtype),
        plan.Case("kernel", "neg_sampling_batch", "V_c", lambda x: batch_loss_at(x, U), V_c, bV,
                  dtype),
        plan.Case("kernel", "neg_sampling_batch", "U", lambda x: batch_loss_at(V_c, x), U, bU,
                  dtype),
    ]
    # One loss evaluation costs about K·d multiply-adds a word, plus V·d to zero grad_U.
    return plan.run(problem.name, cases, max(K, d),
                    lambda fn: ((B if fn.endswith("_batch") else 1) * K + V) * d, mode, rng,
                    progress)


def _repeated_checks(problem: problems.Problem, derivation: Derivation, V: int, d: int,
                     seed: int, mode: str, progress: Progress) -> list[Check]:
    """The derived ∂J/∂U, with n the counts of samples drawn with repeats (np.bincount), against
    differences of the neg_sampling kernel's loss over those samples."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    rng = np.random.default_rng(seed)
    U, v, o = rng.normal(size=(V, d)), rng.normal(size=d), int(rng.integers(V))
    samples = rng.integers(V, size=min(10, 2 * V))  # repeats, and perhaps o itself
    grad = next(g for g in derivation.gradients if not g.case)

    def form() -> np.ndarray:
        args = (n.U.matrix, n.v_c.matrix, n.y.matrix, n.counts.matrix, n.o, n.V, n.d)
        f = derived.lambdified(args, entries_as_matrices(grad.result))
        onehot = np.zeros((V, 1))  # y; np.eye(V)[:, [o]] would build V×V (20 GB at V = 50000)
        onehot[o] = 1.0
        counts = np.bincount(samples, minlength=V)[:, None].astype(float)
        return np.asarray(f(U.T, v[:, None], onehot, counts, o, V, d)).T

    case = plan.Case("derived expression", "dJ/dU = " + derived.text(grad.result), "U",
                     lambda x: float(kernels.neg_sampling(v, o, x, samples)[0]), U, form,
                     np.dtype(np.float64))
    return plan.run(problem.name, [case], max(V, d), lambda _: (len(samples) + V) * d, mode, rng,
                    progress)


def _skipgram_checks(problem: problems.Problem, derivation: Derivation, V: int, d: int,
                     dtype: np.dtype, seed: int, mode: str, progress: Progress) -> list[Check]:
    """The derived window sums (v_c, U, and 0 for every other centre vector) and the kernel, with
    either pair loss, against differences of the kernel's loss over a window of 4 outside words,
    the first repeated last."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    rng = np.random.default_rng(seed)
    U, centres = rng.normal(size=(V, d)), rng.normal(size=(V, d))
    c = int(rng.integers(V))
    outside = rng.integers(V, size=window.WINDOW)
    outside[-1] = outside[0]
    negatives = rng.integers(V, size=(window.WINDOW, min(10, V)))
    v = centres[c].copy()  # not a view: the centre vectors go after their own check
    sizes = {n.d: d, n.V: V}

    def gradient(name: str) -> Any:
        return next(g for g in derivation.gradients if g.wrt.name == name).result

    def terms(name: str, layout: Callable[[np.ndarray], np.ndarray]) -> plan.Sum:
        # The window sum evaluated as it stands: its body at each outside word, added.
        body = window.at_one_word(gradient(name).body)

        def at(word: int) -> Callable[[], np.ndarray]:
            return lambda: layout(derived.evaluate(body, U, v, word))
        return plan.Sum(tuple(at(int(w)) for w in outside))

    def centre_vectors() -> np.ndarray:
        # Every centre vector as rows: row c is v_c, the others appear in no term of the loss.
        # np.zeros leaves untouched pages unallocated, so an all-zero v_w costs no copy of U.
        zero = gradient("v_w")
        other = (np.zeros(tuple(int(sp.sympify(s).subs(sizes)) for s in zero.shape))
                 if isinstance(zero, sp.ZeroMatrix) else terms("v_w", lambda g: g).array())
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

    kv, kU = plan.parts(lambda: kernels.skipgram(v.astype(dtype), outside, _as(U, dtype)), 1, 2)
    nv, nU = plan.parts(lambda: kernels.skipgram(v.astype(dtype), outside, _as(U, dtype),
                                                 negatives=negatives), 1, 2)
    results = {g.key: derived.text(g.result) for g in derivation.gradients}
    f64 = np.dtype(np.float64)
    # One loss evaluation costs about V·d multiply-adds an outside word.
    run = functools.partial(plan.run, problem.name, n=max(V, d),
                            cost=lambda _: window.WINDOW * V * d, mode=mode, rng=rng,
                            progress=progress)
    # The centre vectors first, on their own: then they go, and with them a copy of U.
    (centres_check,) = run(cases=[plan.Case(
        "derived expression", "dJ/dv_w = " + results["v_w (w != c)"] + " (w != c)",
        "centre vectors", lambda x: loss_at(x[c], U), centres, centre_vectors, f64, alone=True)])
    del centres
    checks = run(cases=[
        plan.Case("derived expression", "dJ/dv_c = " + results["v_c"], "v_c", loss_v, v,
                  lambda: terms("v_c", lambda g: g[:, 0]).array(), f64),
        plan.Case("derived expression", "dJ/dU = " + results["U"], "U", loss_U, U,
                  lambda: terms("U", lambda g: g.T), f64),
        plan.Case("kernel", "skipgram", "v_c", loss_v, v, kv, dtype),
        plan.Case("kernel", "skipgram", "U", loss_U, U, kU, dtype),
        plan.Case("kernel", "skipgram (negatives)", "v_c", lambda x: loss_at(x, U, negatives), v,
                  nv, dtype),
        plan.Case("kernel", "skipgram (negatives)", "U", lambda x: loss_at(v, x, negatives), U,
                  nU, dtype),
    ])
    return [*checks[:2], centres_check, *checks[2:]]


def _as(U: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """U in the kernels' dtype: no copy when it is already (float64)."""
    return U.astype(dtype, copy=False)
