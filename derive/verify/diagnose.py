"""Why a gradient is wrong: the recognisable shapes of its difference from the right one.

A wrong gradient g is compared with the right one r (ours, or finite differences): −r is a flipped
sign, c·r a wrong constant, rᵀ a transpose, r with rows rolled by one an off-by-one index, r minus
one additive term of the derived matrix form a missing term (the terms come from the derivation,
expanded: U(ŷ − y) = Uŷ − Uy), and a difference confined to rows, or equal and opposite at row o,
a wrong or swapped w = o case.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RTOL, ATOL = 1e-4, 1e-6


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def explain(user: np.ndarray, ref: np.ndarray, *, terms: Sequence[tuple[str, np.ndarray]] = (),
            o: int | None = None, U: np.ndarray | None = None) -> str | None:
    """A sentence naming the likely cause, or None when the difference has no known shape."""
    if user.shape != ref.shape:
        if user.shape == ref.T.shape:
            right = "; its transpose is right" if close(user.T, ref) else ""
            return f"transposed: shape {user.shape} where {ref.shape} is expected{right}"
        return f"shape {user.shape} where {ref.shape} is expected"
    for cause in (_scaled(user, ref), _moved(user, ref), _term(user, ref, terms),
                  _rows(user, ref, o), _word(user, ref, o, U)):
        if cause:
            return cause
    return None


def _scaled(user: np.ndarray, ref: np.ndarray) -> str | None:
    norm = float(np.vdot(ref, ref))
    if norm == 0:
        return None
    c = float(np.vdot(user, ref)) / norm
    if not close(user, c * ref):
        return None
    if np.isclose(c, 1, rtol=1e-3):
        return None  # "scaled by 1" names nothing: the difference is elsewhere
    if np.isclose(c, -1, rtol=RTOL):
        return "sign flipped: this is minus the gradient"
    return f"scaled by {c:.3g}: a constant factor is wrong"


def _moved(user: np.ndarray, ref: np.ndarray) -> str | None:
    if user.ndim == 2 and user.shape[0] == user.shape[1] and close(user, ref.T):
        return "transposed"
    if user.shape and user.shape[0] > 1:
        for shift in (1, -1):
            if close(user, np.roll(ref, shift, axis=0)):
                return f"every row moved by {shift}: an off-by-one word index"
    return None


def _term(user: np.ndarray, ref: np.ndarray, terms: Sequence[tuple[str, np.ndarray]]
          ) -> str | None:
    # Kinds outermost: with two terms, "Uŷ alone" is also "-Uy missing", and missing reads better.
    kinds = ((lambda t: ref - t, "the term {} is missing"),
             (lambda t: ref + t, "the term {} is counted twice"),
             (lambda t: ref - 2 * t, "the term {} has the wrong sign"),
             (lambda t: t, "only the term {} is there; the rest is missing"))
    for candidate, cause in kinds:
        for text, t in terms:
            if t.shape == ref.shape and close(user, candidate(t)):
                return cause.format(text)
    return None


def _rows(user: np.ndarray, ref: np.ndarray, o: int | None) -> str | None:
    if user.ndim != 2:
        return None
    diff = user - ref
    bad = [r for r in range(user.shape[0]) if not close(user[r], ref[r])]
    if o is not None and len(bad) == user.shape[0] > 1:
        others = np.delete(diff, o, axis=0)
        if close(others, np.broadcast_to(others[0], others.shape)) and close(diff[o], -others[0]):
            return "the w = o and w ≠ o cases are swapped"
    if len(bad) == 1:
        where = " — the outside word o: the w = o case" if bad[0] == o else ""
        return f"only row {bad[0]} is wrong{where}"
    if o is not None and len(bad) == 2 and o in bad:
        other = bad[0] if bad[1] == o else bad[1]
        if close(diff[other], -diff[o]):
            return (f"the w = o term is at row {other} instead of row o = {o}: "
                    "an off-by-one word index")
    return None


def _word(user: np.ndarray, ref: np.ndarray, o: int | None, U: np.ndarray | None
          ) -> str | None:
    """The v_c gradient with u_w where u_o belongs: user − ref = u_o − u_w."""
    if o is None or U is None or user.ndim != 1 or U.shape[1:] != user.shape:
        return None
    diff = user - ref
    for w in range(U.shape[0]):
        if w != o and close(diff, U[o] - U[w]):
            hint = ": an off-by-one word index" if abs(w - o) == 1 else ""
            return f"uses u_{w} where u_o = u_{o} belongs{hint}"
    return None


def derived_terms(problem: str, U: np.ndarray, v: np.ndarray, o: int
                  ) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The additive terms of each derived gradient, evaluated at the point, in the course's rows
    layout: {"v_c": [("Uŷ", …), ("-Uy", …)], "U": […]}. Empty for a problem derive does not know."""
    import sympy as sp

    from .. import calculus, printing, problems
    from .derived import evaluate

    if problem not in problems.PROBLEMS:
        return {}
    loss = problems.get(problem).make_loss()
    if loss.softmax is None:
        return {}  # its gradients are in u_o and U_neg, not the course's rows of U
    derivation = calculus.derive(loss, check=False)
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for grad in derivation.gradients:
        if grad.case:
            continue
        expanded = grad.result.expand()
        parts = expanded.args if isinstance(expanded, sp.MatAdd) else (expanded,)
        values = [evaluate(t, U, v, o) for t in parts]
        # A d×V gradient is printed transposed, as the (V, d) rows the student's code holds.
        rows = values[0].shape[1] != 1

        def show(t: sp.Expr, rows: bool = rows) -> str:
            return printing.text(sp.Transpose(t).doit() if rows else t)
        whole = show(grad.result) + (" (as (V, d) rows)" if rows else "")
        out[grad.wrt.name] = [(f"{show(t)} of {whole}", _rows_layout(value))
                              for t, value in zip(parts, values, strict=True)]
    return out


def _rows_layout(value: np.ndarray) -> np.ndarray:
    """A handout column vector → (d,); a d×V matrix → the course's (V, d) rows."""
    return value[:, 0] if value.shape[1] == 1 else value.T


def sampling_causes(user: np.ndarray, v: np.ndarray, o: int, U: np.ndarray,
                    negatives: list[int], centre: bool) -> str | None:
    """Negative sampling's usual slips, each as the derived kernel (`derive.kernels`) run on
    altered samples: the samples' term is the gradient minus its value with no samples, the u_o
    term the value with no samples. `centre`: the gradient is gradCenterVec, else (V, d) rows."""
    from .. import kernels

    def grad(samples: list[int]) -> np.ndarray:
        # No samples: one sample at an extra zero row, whose term u_k σ(·) is zero in
        # gradCenterVec and lands in that row, dropped, of gradOutsideVecs (kernels take K ≥ 1).
        rows = U if samples else np.vstack([U, np.zeros((1, U.shape[1]))])
        picked = np.array(samples or [U.shape[0]], dtype=np.intp)
        out = kernels.neg_sampling(v, o, rows, picked)
        return out[1] if centre else out[2][:U.shape[0]]

    ref, alone = grad(negatives), grad([])
    samples = ref - alone
    once = sorted(set(negatives))
    repeated = sorted(k for k in once if negatives.count(k) > 1)
    candidates = [
        (ref - 2 * samples, "the samples' term has the wrong sign"),
        (alone, "the samples' term is missing: only u_o's part is there"),
        (samples, "the u_o term is missing: only the samples' part is there"),
        (ref - 2 * alone, "the u_o term has the wrong sign"),
    ]
    if len(once) < len(negatives):
        candidates.insert(0, (grad(once), (
            f"a sample drawn twice is counted once (rows {repeated} are drawn more than once): "
            "`grad[k] = …` in a loop, or `grad[samples] += …` with repeated indices, keeps one "
            "draw; add every draw (`+=` in a loop, or np.add.at)")))
    if not centre:
        for picked in (negatives, once):  # np.add.at / a loop, or a fancy-index +=
            at_samples = ref - alone + _rows_of(alone[o], picked, U.shape)
            candidates.append((at_samples, "u_o's gradient is added at the sample rows "
                                           f"instead of at row o = {o}"))
        into_o = alone + np.where(np.arange(U.shape[0])[:, None] == o, samples.sum(0), 0)
        candidates.append((into_o, f"the samples' gradients are added at row o = {o} instead of "
                                   "at their own rows"))
    for candidate, cause in candidates:
        if close(user, candidate):
            return cause
    if not centre:
        bad = sorted(r for r in range(user.shape[0]) if not close(user[r], ref[r]))
        if bad and set(bad) <= set(once):
            return f"only rows {bad}, sampled words, are wrong: the samples' update"
    return None


def _rows_of(row: np.ndarray, indices: list[int], shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, indices, row)
    return out
