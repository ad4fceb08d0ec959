"""The derivation engine: from a loss to its gradients, every step recorded with its rule and
checked numerically.

    records   Loss, Step, Gradient, Derivation: what every later stage reads
    rules     the facts of calculus, one rewrite each; fold: entries back into matrix form
    check     numeric points, the step-by-step tracer
    vector    losses of vectors and matrices (v_c, U, …)
    scalar    functions of one scalar x (σ, Leaky ReLU)
    window    a pair loss summed over a context window (skip-gram)
"""
from __future__ import annotations

from collections.abc import Iterable

from .. import notation as n
from ..errors import DerivationError, FoldError
from . import general, scalar, vector, window
from .records import CHECKED_AT, Derivation, Gradient, Loss, Softmax, Step
from .vector import logit, neg_log_softmax, norm_sq

__all__ = ["CHECKED_AT", "Derivation", "DerivationError", "FoldError", "Gradient", "Loss",
           "Softmax", "Step", "derive", "logit", "neg_log_softmax", "norm_sq"]


def derive(loss: Loss, *, check: bool = True, known: Iterable[Derivation] = ()) -> Derivation:
    """Every gradient of `loss`, with its trace; each step checked numerically unless told not.
    `known` are derivations already made, which a window loss reuses for its pair loss."""
    if loss.objects:
        return general.derive(loss, check=check)
    if loss.wrt == (n.x,):
        return scalar.derive(loss, check=check)
    if loss.pair is not None:
        pair = next((d for d in known if d.loss == loss.pair), None)
        return window.derive(loss, check=check, pair=pair)
    return vector.derive(loss, check=check)
