"""The documented loss API, for notebooks and scripts: `from derive import engine`.

    engine.Loss(name, expr, engine.Softmax(engine.logit)), engine.derive(loss)

The engine itself lives in `derive.calculus`; this module names what a user writes a loss with.
"""
from __future__ import annotations

from .calculus import (
    CHECKED_AT,
    Derivation,
    DerivationError,
    FoldError,
    Gradient,
    Loss,
    Softmax,
    Step,
    derive,
    logit,
    neg_log_softmax,
    norm_sq,
)

__all__ = ["CHECKED_AT", "Derivation", "DerivationError", "FoldError", "Gradient", "Loss",
           "Softmax", "Step", "derive", "logit", "neg_log_softmax", "norm_sq"]
