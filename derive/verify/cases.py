"""`derive verify`: every gradient against central finite differences of the loss.

For each problem it checks (1) the derived matrix forms, evaluated directly with `lambdify`;
(2) the generated kernels, single word and batched; (3) every step of each derivation trace, at the
engine's small check sizes. Points are random normal (never v_c = 0, U = 0 or equal logits, which
hide wrong gradients); the seed is reported so a failure replays.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import problems
from ..codegen import KERNELS
from . import compiled, losses, plan, products, trace, values, windows
from .compiled import Compiled
from .draws import SCALAR, Draws
from .report import Check, Report

if TYPE_CHECKING:
    from ..calculus.records import Derivation

MODES = ("coordinate", "directional", "auto")
BATCH = ("v_c", "o")  # a batch's per-sample inputs (losses.printed)
NEG = ("u_o", "U_neg")  # and negative sampling's, gathered for each word


Progress = Callable[[str], None]


def verify(names: list[str], *, vocab: int = 20, dim: int = 5, batch: int = 3,
           dtype: str = "float64", seed: int = 0, mode: str = "auto",
           progress: Progress | None = None,
           derivations: Mapping[str, Derivation] | None = None,
           draws: Draws | None = None) -> Report:
    """Run every check for the named problems (all when empty); `progress` is told what each
    check is before it runs. `derivations` holds problems already derived (derive build passes
    the handouts'), so that none is derived twice; `draws` the run's draws when they were begun
    before (draws.early, from the command line)."""
    _validate(vocab=vocab, dim=dim, batch=batch, dtype=dtype, mode=mode)
    if draws is not None and draws.seed != seed:
        raise ValueError(f"the draws are for seed {draws.seed}, not {seed}")
    checks: list[Check] = []
    made: list[Derivation] = []
    shared: dict[str, Any] = {}  # naive softmax's point, for cross-entropy
    draws = draws or Draws(seed)
    run = [problems.get(name) for name in names or list(problems.PROBLEMS)]
    befores = [tuple(p.name for p in run[:number]) for number in range(len(run))]
    # The kept records and the kernels are read first, while U is still being drawn (draws.early)
    kept = [None if derivations else compiled.load(p.name, b)
            for p, b in zip(run, befores, strict=True)]
    if any(p.name not in SCALAR for p in run):
        from .. import kernels  # noqa: F401 -- generated on first import, then read from the cache
    # So are the trace checks of the records found: they read no U.
    traced = [_traced(p, r, seed) if r is not None else None for p, r in zip(run, kept,
                                                                             strict=True)]
    for problem, before, found, early in zip(run, befores, kept, traced, strict=True):
        quiet = progress or (lambda _: None)
        record = found or _record(problem, before, derivations, made)
        at, steps = early or _traced(problem, record, seed)
        if at is not None and record.checks:
            record.check_results(at)
        if problem.name not in ("naive-softmax", "cross-entropy"):
            shared.clear()  # naive softmax's point goes (U stays in draws: the same numbers)
        if problem.name in SCALAR:
            checks += trace.scalar_checks(problem, record, seed, quiet)
        elif problem.name == "neg-sampling":
            checks += _neg_sampling_checks(problem, record, vocab, dim, batch,
                                           np.dtype(dtype), seed, mode, quiet, draws)
        elif problem.name == "neg-sampling-repeated":
            checks += _repeated_checks(problem, record, vocab, dim, seed, mode, quiet, draws)
        elif problem.name == "skip-gram":
            checks += windows.skipgram_checks(problem, record, vocab, dim, np.dtype(dtype),
                                              seed, mode, quiet, draws)
        else:
            checks += _problem_checks(problem, record, vocab, dim, batch, np.dtype(dtype),
                                      seed, mode, quiet, shared, draws)
        checks += steps
    return Report(seed, tuple(checks))


def _traced(problem: problems.Problem, record: Compiled, seed: int
            ) -> tuple[values.At | None, list[Check]]:
    """The run's points for `problem` and the trace checks made there (a scalar problem's are
    made with its other checks, trace.scalar_checks)."""
    at = values.At(record.points, seed) if record.points is not None else None
    if at is None or problem.name in SCALAR:
        return at, []
    return at, trace.trace_checks(problem.name, record, at)


def _record(problem: problems.Problem, before: tuple[str, ...],
            derivations: Mapping[str, Derivation] | None, made: list[Derivation]) -> Compiled:
    """What the checks of `problem` read of its derivation, when no record of it was kept
    (compiled.load; a run that finds one loads no SymPy): derived (or given) and printed here,
    and kept. A run given any derivation neither reads nor keeps one: what a given pair loss
    makes of a window loss is not in any key."""
    from . import derived  # SymPy: only when something must be derived or printed

    given = (derivations or {}).get(problem.name)
    derivation = given or derived.derivation(problem, made)
    made.append(derivation)
    record = derived.compile(problem, derivation, checks=given is None)
    if not derivations:
        compiled.store(record, before)
    return record


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

    def __init__(self, kernels: Any, V: int, d: int, B: int, seed: int,
                 draws: Draws) -> None:
        self.key = (V, d, B, seed)
        self.rng, self.U = rng, U = draws.start(V, d)
        self.V_c = V_c = rng.normal(size=(B, d))
        self.o = o = rng.integers(V, size=B)
        # v is its own array, not a view of V_c: each x is moved in place by the differences.
        self.v, self.o0 = v, o0 = V_c[0].copy(), int(o[0])
        self.differences = plan.Differences(rng, draws.directions)
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
        self._yhat: np.ndarray | None = None
        # The same losses as J alone, for directional differences (losses.py).
        # Those of v and V_c read U as U_, so that their differences can be taken stacked.
        J, J_batch = losses.printed("naive-softmax"), losses.printed("naive-softmax", BATCH)
        self.stack, UT = products.Products(U), U.T
        self.fast = (lambda x, U_=UT: J(v_c=x, U=U_, o=o0), lambda x: J(v_c=v, U=x.T, o=o0),
                     lambda x, U_=UT: J_batch(v_c=x, U=U_, o=o),
                     lambda x: J_batch(v_c=V_c, U=x.T, o=o))

    def yhat(self) -> np.ndarray:
        """ŷ at (U, v), made once for every derived form evaluated there (after the
        differences, which put U back)."""
        if self._yhat is None:
            self._yhat = values.softmax_at(self.U, self.v)
        return self._yhat


def _problem_checks(problem: problems.Problem, record: Compiled, V: int, d: int, B: int,
                    dtype: np.dtype, seed: int, mode: str, progress: Progress,
                    shared: dict[str, _SoftmaxPoint], draws: Draws
                    ) -> list[Check]:
    from .. import kernels  # generated on first import: only when a kernel is checked

    point = shared.get("softmax")
    if point is None or point.key != (V, d, B, seed):
        shared["softmax"] = point = _SoftmaxPoint(kernels, V, d, B, seed, draws)
    U, V_c, o, v, o0 = point.U, point.V_c, point.o, point.v, point.o0
    single_loss_v, single_loss_U, batch_loss_V, batch_loss_U = point.losses
    fast_v, fast_U, fast_bV, fast_bU = point.fast
    forms, texts = record.forms, record.texts
    U_k = draws.converted(V, d, dtype)
    single, own = plan.with_loss(lambda: kernels.naive_softmax(v.astype(dtype), o0, U_k()))
    batched, own_b = plan.with_loss(lambda: kernels.naive_softmax_batch(V_c.astype(dtype), o,
                                                                        U_k()))
    (kv, kU), (bV, bU) = plan.parts(single, 1, 2), plan.parts(batched, 1, 2)
    f64 = np.dtype(np.float64)
    cases = [
        plan.Case("derived expression", "dJ/dv_c = " + texts["v_c"], "v_c",
                  single_loss_v, v, lambda: values.evaluate(forms["v_c"], U, v, o0,
                                                              point.yhat())[:, 0], f64,
                  fast=fast_v, stack=point.stack, same=("v_c", forms["v_c"])),
        plan.Case("derived expression", "dJ/dU = " + texts["U"], "U",
                  single_loss_U, U, lambda: values.evaluate(forms["U"], U, v, o0,
                                                              point.yhat()).T, f64,
                  fast=fast_U, through=True, same=("U", forms["U"])),
        plan.Case("kernel", "naive_softmax", "v_c", single_loss_v, v, kv, dtype, fast=fast_v,
                  own=own, stack=point.stack),
        plan.Case("kernel", "naive_softmax", "U", single_loss_U, U, kU, dtype, fast=fast_U,
                  own=own, through=True),
        plan.Case("kernel", "naive_softmax_batch", "V_c", batch_loss_V, V_c, bV, dtype,
                  fast=fast_bV, own=own_b, stack=point.stack),
        plan.Case("kernel", "naive_softmax_batch", "U", batch_loss_U, U, bU, dtype,
                  fast=fast_bU, own=own_b, through=True),
    ]
    if problem.name not in KERNELS:
        # Its loss equals naive softmax's (cross-entropy): the kernel is checked there, once.
        cases = [c for c in cases if c.target != "kernel"]
    # One loss evaluation costs about V·d multiply-adds a centre word.
    checks = plan.run(problem.name, cases, max(V, d),
                      lambda fn: V * d * (B if fn.endswith("_batch") else 1), mode, point.rng,
                      progress, release=point.grad_U.clear, differences=point.differences)
    return checks


def _neg_sampling_checks(problem: problems.Problem, record: Compiled, V: int, d: int,
                         B: int, dtype: np.dtype, seed: int, mode: str, progress: Progress,
                         draws: Draws) -> list[Check]:
    """The derived matrix forms (in v_c, u_o and U_neg, with K distinct samples, none o) and the
    kernels (rows of U, repeated samples; one word and a batch of B), each against differences
    of the kernel's loss."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    if V < 2:
        raise ValueError(f"{problem.name} needs --vocab of at least 2 (o and a sample); got {V}")
    rng, U = draws.start(V, d)
    v, o = rng.normal(size=d), int(rng.integers(V))
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

    # In the order of derived.py's arguments for its forms: (v_c, u_o, U_neg, d, K), columns.
    columns = [v[:, None], U[o][:, None].copy(), U[distinct].T, d, K]
    texts = record.texts

    def form(name: str) -> np.ndarray:
        return np.asarray(record.forms[name](*columns), dtype=float)

    U_k = draws.converted(V, d, dtype)
    single, own = plan.with_loss(lambda: kernels.neg_sampling(v.astype(dtype), o, U_k(),
                                                              repeated))
    kv, kU = plan.parts(single, 1, 2)
    V_c, os, batch_negatives = rng.normal(size=(B, d)), rng.integers(V, size=B), \
        rng.integers(V, size=(B, K))  # repeats, and o among a word's samples, allowed

    def batch_loss_at(V_c_: np.ndarray, U_: np.ndarray) -> float:
        return float(kernels.neg_sampling_batch(V_c_, os, U_, batch_negatives)[0])

    batched, own_b = plan.with_loss(lambda: kernels.neg_sampling_batch(
        V_c.astype(dtype), os, U_k(), batch_negatives))
    bV, bU = plan.parts(batched, 1, 2)
    # J alone in (v_c, u_o, U_neg), the rows gathered from U: as a function of U it reads the
    # rows of o and the samples alone, so only those are moved.
    J, J_batch = losses.printed("neg-sampling"), losses.printed("neg-sampling", BATCH + NEG)
    rows, at = losses.rows_read(o, repeated)
    batch_rows, batch_at = losses.rows_read(os, batch_negatives)
    u_o = U[o].copy()

    def J_rows(x: np.ndarray) -> float:
        return J(v_c=v, u_o=x[at(o)], U_neg=x[at(repeated)].T, o=o)

    def J_batch_at(V_c_: np.ndarray, u: np.ndarray, neg: np.ndarray) -> float:
        return J_batch(v_c=V_c_, u_o=u, U_neg=np.swapaxes(neg, 1, 2), o=os)

    f64 = np.dtype(np.float64)
    cases = [
        plan.Case("derived expression", "dJ/dv_c = " + texts["v_c"], "v_c",
                  lambda x: loss_at(x, U), v, lambda: form("v_c")[:, 0], f64,
                  fast=lambda x: J(v_c=x, u_o=u_o, U_neg=U[distinct].T, o=o)),
        plan.Case("derived expression", "dJ/du_o = " + texts["u_o"], "u_o",
                  lambda x: with_rows(o, x), U[o].copy(), lambda: form("u_o")[:, 0], f64,
                  fast=lambda x: J(v_c=v, u_o=x, U_neg=U[distinct].T, o=o)),
        plan.Case("derived expression", "dJ/dU_neg = " + texts["U_neg"], "U_neg",
                  lambda x: with_rows(distinct, x.T), U[distinct].T, lambda: form("U_neg"), f64,
                  fast=lambda x: J(v_c=v, u_o=u_o, U_neg=x, o=o)),
        plan.Case("kernel", "neg_sampling", "v_c", lambda x: loss_at(x, U, repeated), v, kv,
                  dtype, fast=lambda x: J(v_c=x, u_o=u_o, U_neg=U[repeated].T, o=o), own=own),
        plan.Case("kernel", "neg_sampling", "U", lambda x: loss_at(v, x, repeated), U, kU, dtype,
                  fast=J_rows, rows=rows, own=own),
        plan.Case("kernel", "neg_sampling_batch", "V_c", lambda x: batch_loss_at(x, U), V_c, bV,
                  dtype, fast=lambda x: J_batch_at(x, U[os], U[batch_negatives]), own=own_b),
        plan.Case("kernel", "neg_sampling_batch", "U", lambda x: batch_loss_at(V_c, x), U, bU,
                  dtype, rows=batch_rows, own=own_b, fast=lambda x: J_batch_at(
                      V_c, x[batch_at(os)], x[batch_at(batch_negatives)])),
    ]
    # One loss evaluation costs about K·d multiply-adds a word, plus V·d to zero grad_U.
    checks = plan.run(problem.name, cases, max(K, d),
                      lambda fn: ((B if fn.endswith("_batch") else 1) * K + V) * d, mode, rng,
                      progress, differences=plan.Differences(rng, draws.directions))
    return checks


def _repeated_checks(problem: problems.Problem, record: Compiled, V: int, d: int,
                     seed: int, mode: str, progress: Progress,
                     draws: Draws) -> list[Check]:
    """The derived ∂J/∂U, with n the counts of samples drawn with repeats (np.bincount), against
    differences of the neg_sampling kernel's loss over those samples."""
    from .. import kernels  # generated on first import: only when a kernel is checked

    rng, U = draws.start(V, d)
    v, o = rng.normal(size=d), int(rng.integers(V))
    samples = rng.integers(V, size=min(10, 2 * V))  # repeats, and perhaps o itself

    def form() -> np.ndarray | values.Rank1:
        # derived.py's arguments for this form: (U, v_c, y, n, o, V, d), the handout's layout.
        onehot = np.zeros((V, 1))  # y; np.eye(V)[:, [o]] would build V×V (20 GB at V = 50000)
        onehot[o] = 1.0
        counts = np.bincount(samples, minlength=V)[:, None].astype(float)
        return values.value(record.forms["U"](U.T, v[:, None], onehot, counts, o, V, d)).T

    # J alone, with the samples' rows gathered (as in _neg_sampling_checks): the same function
    # of U as J with the counts n, reading the rows of o and the samples alone.
    J = losses.printed("neg-sampling")
    rows, at = losses.rows_read(o, samples)
    case = plan.Case("derived expression", "dJ/dU = " + record.texts["U"], "U",
                     lambda x: float(kernels.neg_sampling(v, o, x, samples)[0]), U, form,
                     np.dtype(np.float64), rows=rows,
                     fast=lambda x: J(v_c=v, u_o=x[at(o)], U_neg=x[at(samples)].T, o=o))
    return plan.run(problem.name, [case], max(V, d), lambda _: (len(samples) + V) * d, mode, rng,
                    progress, differences=plan.Differences(rng, draws.directions))
