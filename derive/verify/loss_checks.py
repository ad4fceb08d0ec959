"""The checks of naiveSoftmaxLossAndGradient and negSamplingLossAndGradient in `derive verify
--against`: loss and gradients against derive's (`derive.cs224n`, on the same scripted draws) and
against central differences of the student's own loss.

When the two references disagree about the student's function, the rows say which one it
satisfies: a wrong loss with right gradients (derive agrees) fails against its own differences,
and gradients that agree only with the differences are those of a loss that is not J. Negative
sampling is also run with derive's sigmoid in the student's module, so that a wrong sigmoid is
told apart from a wrong loss.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import cs224n
from . import gradcheck
from .diagnose import derived_terms, explain, sampling_causes
from .judge import GRADIENTS, TOL, Judge, Stop, worst_error
from .report import Check
from .runner import Fn
from .sandbox import Outcome

LOSS_ARGUMENTS = ("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset")


def check_loss(j: Judge, name: str) -> list[Check]:
    """naiveSoftmaxLossAndGradient / negSamplingLossAndGradient (centerWordVec, outsideWordIdx,
    outsideVectors, dataset) → (loss, gradCenterVec, gradOutsideVecs)."""
    p = j.p
    shapes = (p.v.shape, p.U.shape)

    def run(v: np.ndarray, U: np.ndarray, patch: dict[str, Fn] | None = None
            ) -> tuple[float, list[np.ndarray], list[str], Outcome]:
        out = j.call(name, v.copy(), p.o, U.copy(), p.draws, patch=patch)
        return (*j.triple(name, out, name, shapes), out)

    loss, (gv, gU), notes, out = run(p.v, p.U)
    fd_tol = differences_tolerance(out.value[0], loss)
    if fd_tol is not None:
        notes.append(f"its loss is {np.asarray(out.value[0]).dtype}: finite differences of it "
                     f"are checked at {fd_tol:.1e}")
    note = "; ".join(notes) or None
    reference = getattr(cs224n, name)
    ours_draws = p.dataset(p.draws)
    ours = reference(p.v.copy(), p.o, p.U.copy(), ours_draws)
    checks: list[Check] = j.changed_rows(name, out, LOSS_ARGUMENTS)
    compare = tuple(out.draws) == tuple(ours_draws.log)
    if not compare:
        note = ((note + "; ") if note else "") + (
            "it did not draw its samples with dataset.sampleTokenIdx() as getNegativeSamples "
            "does, so it is checked against finite differences only")
    else:
        err, _ = worst_error(np.array(loss), np.array(ours[0]))
        cause = None if err <= TOL else _loss_cause(j, name, loss, float(ours[0]), run)
        checks.append(Check(f"{j.file} vs derive", name, "loss", "exact", err, TOL,
                            bool(err <= TOL), None, cause, note=note))
        note = None
    neg = name.startswith("neg")
    terms = {} if neg else derived_terms("naive-softmax", p.U, p.v, p.o)
    negatives = p.negatives() if neg else []

    def causes(wrt: str) -> Callable[[np.ndarray, np.ndarray], str | None]:
        def why(user: np.ndarray, ref: np.ndarray) -> str | None:
            if not np.all(np.isfinite(ref)):
                return "its loss is not finite, so neither are its differences"
            found = explain(user, ref, terms=terms.get("v_c" if wrt == GRADIENTS[0] else "U",
                                                       []),
                            o=p.o, U=p.U if wrt == GRADIENTS[0] else None)
            if neg and (found is None or found.startswith("only")):
                found = sampling_causes(user, p.v, p.o, p.U, negatives, wrt == GRADIENTS[0]) \
                    or found
            return found
        return why

    args = (p.v, p.o, p.U, p.draws)
    refs_v: list[tuple[str, Any]] = [("vs finite differences",
                                      lambda: j.numeric(name, args, 0, name))]
    refs_U: list[tuple[str, Any]] = [("vs finite differences",
                                      lambda: j.numeric(name, args, 2, name))]
    if compare:
        refs_v.append(("vs derive", ours[1]))
        refs_U.append(("vs derive", ours[2]))
    checks += (j.gradient_rows(name, GRADIENTS[0], gv, refs_v, causes(GRADIENTS[0]), note,
                               differences_tol=fd_tol)
               + j.gradient_rows(name, GRADIENTS[1], gU, refs_U, causes(GRADIENTS[1]), None,
                                 differences_tol=fd_tol))
    checks = loss_or_gradients(checks)
    if neg and "sigmoid" in j.box.functions and not all(c.passed for c in checks):
        first = {"loss": loss, GRADIENTS[0]: gv, GRADIENTS[1]: gU}
        checks = _with_derive_sigmoid(checks, lambda **kw: run(p.v, p.U, **kw), first, ours,
                                      causes)
    return checks


def loss_or_gradients(checks: list[Check]) -> list[Check]:
    """When the loss and its gradients disagree, say which is derive's: gradients that derive
    agrees with fail against differences of a wrong loss, and gradients that agree with the
    differences of a wrong loss are that loss's gradients, not J's."""
    loss = next((c for c in checks if c.wrt == "loss"), None)
    if loss is None or loss.passed:
        return checks
    out = []
    for c in checks:
        if c.passed or c.verdict is not None or c.wrt == "loss":
            out.append(c)
            continue
        twin = next((t for t in checks if t.wrt == c.wrt and t is not c), None)
        cause: str | None = c.cause
        if twin is None:
            pass
        elif "differences" in c.target and twin.passed:
            cause = ("the gradient agrees with derive's; the loss does not (see its row), so "
                     "differences of this loss are not this gradient")
        elif "derive" in c.target and twin.passed:
            cause = ("this is the gradient of its own loss (finite differences agree), and that "
                     "loss is not J (see the loss row)")
        out.append(_recaused(c, cause))
    return out


def _with_derive_sigmoid(checks: list[Check], run: Callable[..., Any], first: Any, ours: Any,
                         causes: Callable[[str], Callable[[np.ndarray, np.ndarray], str | None]]
                         ) -> list[Check]:
    """The loss run again with derive's sigmoid in the student's module. When that changes
    what it returns, the student's sigmoid is in play: right then, the error is in the sigmoid;
    still wrong, the sigmoid is one error of two."""
    try:
        p_loss, grads, _, _ = run(patch={"sigmoid": Fn("derive", "sigmoid")})
    except Stop:
        return checks
    patched = {"loss": np.array(p_loss), GRADIENTS[0]: grads[0], GRADIENTS[1]: grads[1]}
    if all(worst_error(patched[k], np.asarray(first[k]))[0] <= TOL for k in patched):
        return checks  # its sigmoid plays no part in what is wrong
    right = {k: np.asarray(ours[i], dtype=float) for i, k in enumerate(patched)}
    out = []
    for c in checks:
        if c.passed or c.wrt not in patched:
            out.append(c)
        elif worst_error(patched[c.wrt], right[c.wrt])[0] <= TOL:
            out.append(_recaused(c, "right with derive's sigmoid in place of yours: the error "
                                    "is in your sigmoid"))
        else:
            also = causes(c.wrt)(patched[c.wrt], right[c.wrt]) if c.wrt != "loss" else None
            first_cause = f"{c.cause}; " if c.cause else ""
            out.append(_recaused(c, f"{first_cause}your sigmoid is wrong too, and with "
                                    "derive's in its place this is still wrong"
                                    f"{': ' + also if also else ''}"))
    return out


def _recaused(c: Check, cause: str | None) -> Check:
    return Check(c.target, c.function, c.wrt, c.mode, c.max_rel_error, c.tolerance, c.passed,
                 c.worst_index, cause, c.verdict, c.note)


def _loss_cause(j: Judge, name: str, loss: float, ours: float, run: Callable[..., Any]
                ) -> str | None:
    """What is wrong with the loss: not a number, its sign, or a constant added (the same
    difference at a second point)."""
    if not np.isfinite(loss):
        return (f"the loss is {loss}: a log of a number ≤ 0, or 0·inf (a softmax changed in "
                "place, e.g. `y_hat[o] -= 1`, before the loss reads it gives this)")
    p = j.p
    v2 = p.v[::-1] * 0.5 + 0.1
    try:
        other = run(v2, p.U)[0]
    except Stop:
        return None
    ours2 = float(getattr(cs224n, name)(v2.copy(), p.o, p.U.copy(), p.dataset(p.draws))[0])
    if np.isclose(loss, -ours, rtol=1e-6, atol=1e-9) and np.isclose(other, -ours2, rtol=1e-6,
                                                                      atol=1e-9):
        return "the loss has the wrong sign: it is −J (the log of a probability, not minus it)"
    offset = loss - ours
    if np.isclose(other - ours2, offset, rtol=1e-6, atol=1e-9):
        return (f"the loss is off by a constant ({offset:.6g}): the gradients do not see it, "
                "the loss value does")
    return None


def differences_tolerance(loss: Any, value: float) -> float | None:
    """For a loss computed in float32 (or coarser), the error central differences of it carry:
    each value is rounded to about u·|J|, and the difference quotient divides by 2h. None for
    float64, whose rounding the usual tolerance covers."""
    dtype = np.asarray(loss).dtype
    if not np.issubdtype(dtype, np.floating) or np.finfo(dtype).eps <= np.finfo(np.float64).eps:
        return None
    u = float(np.finfo(dtype).eps) / 2
    return TOL + gradcheck.SLACK * u * max(1.0, abs(value)) / gradcheck.H
