"""The checks of `derive verify --against`, one function of the course at a time.

A student's function is called in the child process (`Judge.call`); its gradients are compared
with central differences of its own loss and with derive's function (`derive.cs224n`) on the same
inputs and the same scripted draws. Anything short of a value to compare — an exception, exit(),
a timeout, a result of the wrong kind — stops that function with its verdict (`Stop`); the other
functions are still checked. Shapes the course's harness accepts ((d, 1) or (1, d) for a (d,)
gradient, a one-element array for the loss) are judged on their values, with a note.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import cs224n
from . import gradcheck
from .diagnose import close, derived_terms, explain, sampling_causes
from .point import Point
from .report import Check
from .runner import Fn
from .sandbox import Outcome, Sandbox

TOL = gradcheck.TOL64
# σ is one formula, not a sum: float64 forms agree to ~1e-16, while e typed as 2.7183 (1.4e-6
# relative) moves σ(1) by 3e-7. The course's error, |a − b| / max(1, |a|, |b|), absolute below 1.
SIGMOID_TOL = 1e-9
GRADIENTS = ("gradCenterVec", "gradOutsideVecs")
SKIPGRAM_GRADIENTS = ("gradCenterVecs", "gradOutsideVectors")
LOSS_ARGUMENTS = ("centerWordVec", "outsideWordIdx", "outsideVectors", "dataset")


class Stop(Exception):
    """A function cannot be checked further; `check` is its verdict."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.cause)
        self.check = check


def verdict(file: str, function: str, kind: str, cause: str, wrt: str = "-",
            note: str | None = None) -> Check:
    return Check(f"{file}", function, wrt, "-", float("nan"), float("nan"), False, None, cause,
                 verdict=kind, note=note)


class Judge:
    def __init__(self, box: Sandbox, file: str, point: Point) -> None:
        self.box, self.file, self.p = box, file, point

    def call(self, name: str, *args: Any, label: str | None = None,
             patch: dict[str, Any] | None = None) -> Outcome:
        out = self.box.call(name, *args, seed=self.p.seed, patch=patch)
        if not out.ok:
            kind = "raised" if out.kind in ("raised", "exit") else out.kind
            raise Stop(verdict(self.file, label or name, kind, out.describe(name, self.file)))
        return out

    def triple(self, name: str, out: Outcome, label: str, expected: tuple[tuple[int, ...], ...]
               ) -> tuple[float, list[np.ndarray], list[str]]:
        """(loss, [gradients], notes) from a (loss, gradient, gradient) result, or Stop."""
        value = out.value
        if not isinstance(value, tuple) or len(value) != 3 or any(
                isinstance(v, tuple) for v in value):
            got = (f"a tuple of length {len(value)}" if isinstance(value, tuple)
                   else f"shape {np.shape(value)}")
            raise Stop(verdict(self.file, label, "wrong shape",
                               f"{name} must return (loss, gradient, gradient); it returned {got}"))
        notes = []
        loss = np.asarray(value[0], dtype=float)
        if loss.size != 1:
            raise Stop(verdict(self.file, label, "wrong shape",
                               f"{name} must return a scalar loss; got shape {loss.shape}"))
        if loss.ndim:
            notes.append(f"returns the loss with shape {loss.shape}; the course expects a number")
        grads = []
        for g, shape, gname in zip(value[1:], expected, GRADIENTS if "Loss" in name
                                   else SKIPGRAM_GRADIENTS, strict=True):
            g = np.asarray(g, dtype=float)
            if g.shape != shape and g.size == int(np.prod(shape)) and len(shape) == 1 \
                    and 1 in g.shape and g.ndim == 2:
                notes.append(f"returns {gname} with shape {g.shape}; the course expects {shape}")
                g = g.reshape(shape)
            if g.shape != shape:
                cause = explain(g, np.zeros(shape)) if g.shape == shape[::-1] else None
                why = f"{gname} has shape {g.shape}; expected {shape}"
                raise Stop(verdict(self.file, label, "wrong shape",
                                   why + (f" ({cause})" if cause and len(shape) > 1 else ""),
                                   gname))
            grads.append(g)
        return float(loss.reshape(())), grads, notes

    def changed_rows(self, label: str, out: Outcome, names: tuple[str, ...]) -> list[Check]:
        """A failing Check for each array argument the call wrote into."""
        return [verdict(self.file, label, "FAIL", f"it changes its argument {names[i]} in place: "
                        "the course's training loop passes views of its word vectors, which "
                        "this call would overwrite; compute on a copy instead", names[i])
                for i in out.changed if i < len(names)]

    def gradient_rows(self, label: str, wrt: str, user: np.ndarray, refs: list[tuple[str, Any]],
                      causes: Callable[[np.ndarray, np.ndarray], str | None], note: str | None,
                      *, differences_tol: float | None = None) -> list[Check]:
        """One Check a reference ("vs finite differences", "vs derive"), the cause on failures.
        `differences_tol`: the tolerance against differences of a loss computed in less than
        float64, whose rounding the step h magnifies."""
        checks = []
        tol64 = gradcheck.tolerance(np.float64, max(user.shape))
        for name, ref in refs:
            ref = ref() if callable(ref) else ref
            tol = max(tol64, differences_tol or 0.0) if "differences" in name else tol64
            err, worst = worst_error(user, ref)
            passed = bool(err <= tol)
            cause = None if passed else causes(user, ref)
            checks.append(Check(f"{self.file} {name}", label, wrt,
                                "coordinate" if "differences" in name else "exact", err, tol,
                                passed, worst, cause, note=note))
            note = None
        return checks

    def numeric(self, name: str, args: tuple[Any, ...], at: int, label: str) -> np.ndarray:
        """Central differences of the student's own loss in args[at], made in the child."""
        out = self.box.differences(name, *args, at=at, h=gradcheck.H, seed=self.p.seed,
                                   calls=2 * int(np.size(args[at])))
        if not out.ok:
            raise Stop(verdict(self.file, label, "raised" if out.kind == "exit" else out.kind,
                               out.describe(name, self.file)))
        return np.asarray(out.value, dtype=float)


def differences_tolerance(loss: Any, value: float) -> float | None:
    """For a loss computed in float32 (or coarser), the error central differences of it carry:
    each value is rounded to about u·|J|, and the difference quotient divides by 2h. None for
    float64, whose rounding the usual tolerance covers."""
    dtype = np.asarray(loss).dtype
    if not np.issubdtype(dtype, np.floating) or np.finfo(dtype).eps <= np.finfo(np.float64).eps:
        return None
    u = float(np.finfo(dtype).eps) / 2
    return TOL + gradcheck.SLACK * u * max(1.0, abs(value)) / gradcheck.H


def worst_error(a: np.ndarray, b: np.ndarray) -> tuple[float, tuple[int, ...] | None]:
    err = gradcheck.relative_error(a, b)
    if err.size == 0:
        return 0.0, None
    idx = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), err.shape)
    value = float(err[idx])
    return value, tuple(int(i) for i in idx)


def check_sigmoid(j: Judge, name: str) -> list[Check]:
    x = np.concatenate([np.linspace(-30, 30, 61), [-1000.0, 1000.0], j.p.v])
    got = j.call(name, x.copy()).value
    if isinstance(got, tuple) or np.shape(got) != x.shape:
        raise Stop(verdict(j.file, name, "wrong shape",
                           f"sigmoid returned shape {np.shape(got)} for input shape {x.shape}"))
    got = np.asarray(got, dtype=float)
    ours = cs224n.sigmoid(x)
    err, worst = worst_error(got, ours)
    bad = np.flatnonzero(~np.isfinite(got))
    cause = None
    if bad.size:
        at = float(x[bad[0]])
        cause = (f"sigmoid({at}) returned {got[bad[0]]}: exp overflows; use a stable form "
                 "(e.g. exp(-logaddexp(0, -x)), or np.where on the sign of x)")
        err = float("inf") if not np.isnan(err) else err
    elif not err <= SIGMOID_TOL:
        flipped = cs224n.sigmoid(-x)
        cause = ("it returns σ(−x) = 1/(1 + exp(x)): the sign inside exp is flipped"
                 if close(got, flipped) else explain(got, ours))
        if cause is None:
            cause = (f"σ({x[worst]:g}) = {got[worst]:.10g}, not {ours[worst]:.10g}: "
                     "a constant such as e typed short?") if worst else None
    passed = bool(err <= SIGMOID_TOL) and not bad.size
    return [Check(f"{j.file} vs derive", name, "value", "exact", err, SIGMOID_TOL, passed,
                  worst, cause)]


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
            out.append(_recaused(c, f"{c.cause or 'wrong'}; your sigmoid is wrong too, and "
                                    "with derive's in its place this is still wrong"
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
