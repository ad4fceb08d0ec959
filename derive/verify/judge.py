"""The judge of `derive verify --against`, and the check of sigmoid (the losses' checks are
`loss_checks`, skipgram's `skipgram_checks`).

A student's function is called in the child process (`Judge.call`); its gradients are compared
with central differences of its own loss and with derive's function (`derive.cs224n`) on the same
inputs and the same scripted draws. Anything short of a value to compare — an exception, exit(),
a timeout, a result of the wrong kind — stops that function with its verdict (`Stop`); the other
functions are still checked. Shapes the course's harness accepts ((d, 1) or (1, d) for a (d,)
gradient, a one-element array for the loss) are judged on their values, with a note. A call
that writes into an array it was given fails for that (`changed_rows`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import cs224n
from . import gradcheck
from .diagnose import close, explain
from .point import Point
from .report import Check
from .sandbox import Outcome, Sandbox

TOL = gradcheck.TOL64
# σ is one formula, not a sum: float64 forms agree to ~1e-16, while e typed as 2.7183 (1.4e-6
# relative) moves σ(1) by 3e-7. The course's error, |a − b| / max(1, |a|, |b|), absolute below 1.
SIGMOID_TOL = 1e-9
GRADIENTS = ("gradCenterVec", "gradOutsideVecs")
SKIPGRAM_GRADIENTS = ("gradCenterVecs", "gradOutsideVectors")


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
