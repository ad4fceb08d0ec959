"""skipgram, called as the course calls it and with derive's loss functions inside.

skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
outsideVectors, dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient) is run four ways:
with derive's naive softmax and negative sampling (only the window sum under test), with its own
default argument, as the course's test does, and with the student's negSamplingLossAndGradient.
When it is right with derive's losses and wrong with the student's, the report says the error is
in the loss. A skipgram that asserts on which function it got fails only the runs with derive's
functions; the runs with its own are still judged.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import cs224n
from .diagnose import close, explain
from .judge import SKIPGRAM_GRADIENTS, TOL, Judge, Stop, worst_error
from .loss_checks import loss_or_gradients
from .report import Check
from .runner import Fn

NAIVE, NEG = "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient"
ARGUMENTS = ("currentCenterWord", "windowSize", "outsideWords", "word2Ind", "centerWordVectors",
             "outsideVectors", "dataset")
# (the label in the report, the loss passed: derive's, the student's, or none: the default)
RUNS = ((f"skipgram with derive's {NAIVE}", Fn("derive", NAIVE)),
        (f"skipgram with derive's {NEG}", Fn("derive", NEG)),
        ("skipgram with its default loss", None),
        (f"skipgram with your {NEG}", Fn("student", NEG)))


def check(j: Judge, name: str) -> list[Check]:
    out: list[Check] = []
    notes: list[str] = []
    derive_ok: dict[str, bool] = {}
    for label, loss in RUNS:
        if loss is not None and loss.owner == "student" and loss.name not in j.box.functions:
            continue
        used = NEG if loss is not None and loss.name == NEG else NAIVE
        try:
            checks = _run(j, name, label, loss, used, finite_differences=loss == RUNS[0][1])
        except Stop as stop:
            if loss is not None and loss.owner == "derive" and "AssertionError" in (
                    stop.check.cause or ""):
                notes.append("it asserts on the loss function it is given "
                             f"({stop.check.cause}), so it is judged with its own loss "
                             "functions only")
                continue
            checks = [stop.check]
        if loss is not None and loss.owner == "derive":
            derive_ok[used] = all(c.passed for c in checks)
        elif derive_ok.get(used) and not all(c.passed for c in checks):
            checks = [_blame(c, used) for c in checks]
        out += checks
        if checks[0].verdict in ("timeout", "died"):
            break  # every other run would wait, or restart the child, for the same end
    if notes and out:
        out[0] = _with_note(out[0], "; ".join(dict.fromkeys(notes)))
    return out


def _run(j: Judge, name: str, label: str, loss: Fn | None, used: str, *,
         finite_differences: bool) -> list[Check]:
    p = j.p
    window = list(p.window)

    args: tuple[Any, ...] = (p.centre, 3, window, p.word2ind, p.C, p.U, p.window_draws,
                             *(() if loss is None else (loss,)))
    first = j.call(name, *args, label=label)
    total, (gC, gU), notes = j.triple(name, first, label, (p.C.shape, p.U.shape))
    changed = j.changed_rows(label, first, ARGUMENTS)
    reference = getattr(cs224n, used)
    drawn = p.dataset(p.window_draws)
    ours: tuple[Any, ...] | None = cs224n.skipgram(
        p.centre, 3, window, p.word2ind, p.C.copy(), p.U.copy(), drawn, reference)
    if tuple(first.draws) != tuple(drawn.log) and loss is not None and loss.owner == "derive":
        # derive's loss draws K samples a call: other draws mean other calls than one a word.
        return [Check(f"{j.file} vs derive", label, "samples drawn", "exact", float("inf"),
                      0.0, False, None,
                      f"it drew {len(first.draws)} samples where calling the {used} it was "
                      f"given once for each of the {len(window)} window words draws "
                      f"{len(drawn.log)}: it does not call the loss function it is given, once "
                      "a window word")]
    if tuple(first.draws) != tuple(drawn.log):
        # Its loss drew other samples than derive's would: only its own differences compare.
        notes.append("its loss did not draw its samples with dataset.sampleTokenIdx() as "
                     "getNegativeSamples does, so it is checked against finite differences only")
        finite_differences, ours = True, None
    # `=` where `+=` belongs keeps one window word: derive's sum over that word alone.
    last = cs224n.skipgram(p.centre, 3, window[-1:], p.word2ind, p.C.copy(), p.U.copy(),
                           p.dataset(p.window_draws), reference) if used == NAIVE else None
    note = "; ".join(notes) or None
    rows = changed
    if ours is not None:
        err, _ = worst_error(np.array(total), np.array(ours[0]))
        cause = None
        if err > TOL and last is not None and worst_error(np.array(total),
                                                          np.array(float(last[0])))[0] <= TOL:
            cause = ("only the last window word's loss is kept: `loss = …` where `loss += …` "
                     "belongs in the sum over the window")
        rows.append(Check(f"{j.file} vs derive", label, "loss", "exact", err, TOL,
                          bool(err <= TOL), None, cause, note=note))
        note = None
    c = p.word2ind[p.centre]
    for k, (wrt, user) in enumerate(((SKIPGRAM_GRADIENTS[0], gC),
                                     (SKIPGRAM_GRADIENTS[1], gU))):
        refs: list[tuple[str, Any]] = []
        if finite_differences:
            refs.append(("vs finite differences",
                         lambda at=4 + k: j.numeric(name, args, at, label)))
        if ours is not None:
            refs.append(("vs derive", ours[k + 1]))
        rows += j.gradient_rows(label, wrt, user, refs,
                                _causes(last and last[k + 1], c if k == 0 else None), note)
        note = None
    return loss_or_gradients(rows)


def _causes(last: np.ndarray | None, centre: int | None
            ) -> Callable[[np.ndarray, np.ndarray], str | None]:
    """Why a window sum is wrong. `centre`: the gradient is gradCenterVecs, whose only row that
    is not zero is the centre word's: a wrong row there is said so, and otherwise the row is
    explained as a vector (not as "only row c is wrong", which every error there would be)."""
    def why(user: np.ndarray, ref: np.ndarray) -> str | None:
        if last is not None and np.allclose(user, last, rtol=1e-4, atol=1e-6):
            return ("only the last window word's gradient is kept: `=` where `+=` belongs in "
                    "the sum over the window")
        if centre is None or user.shape != ref.shape or user.ndim != 2:
            return explain(user, ref, o=None)
        filled = [r for r in range(user.shape[0]) if np.any(user[r] != 0)]
        if len(filled) == 1 and filled[0] != centre and close(user[filled[0]], ref[centre]):
            return (f"the centre word's gradient is at row {filled[0]}, not at row "
                    f"{centre} = word2Ind[currentCenterWord]")
        if filled in ([centre], []):
            return explain(user[centre], ref[centre], o=None)
        return explain(user, ref, o=None)
    return why


def _blame(c: Check, used: str) -> Check:
    if c.passed or c.verdict not in (None, "FAIL"):
        return c
    cause = (f"skipgram is right with derive's {used}: the error is in your {used}"
             + (f" ({c.cause})" if c.cause else ""))
    return Check(c.target, c.function, c.wrt, c.mode, c.max_rel_error, c.tolerance, c.passed,
                 c.worst_index, cause, c.verdict, c.note)


def _with_note(c: Check, note: str) -> Check:
    both = f"{c.note}; {note}" if c.note else note
    return Check(c.target, c.function, c.wrt, c.mode, c.max_rel_error, c.tolerance, c.passed,
                 c.worst_index, c.cause, c.verdict, both)
