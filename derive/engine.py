"""The documented loss API, for notebooks and scripts: `from derive import engine`.

    engine.Loss(name, expr, engine.Softmax(engine.logit)), engine.derive(loss)

A loss of objects of any size: declare them, write J in matrix notation, lower it to entries:

    b = engine.declare("b", engine.size("V"))
    loss = engine.Loss("bias", J, engine.softmax(U.matrix.T * v_c.matrix + b.matrix),
                       wrt=(b,), objects=(U, v_c, b))

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
from .calculus.lower import apply, entry, scalar, softmax
from .notation import declare, size

__all__ = ["CHECKED_AT", "Derivation", "DerivationError", "FoldError", "Gradient", "Loss",
           "Softmax", "Step", "apply", "declare", "derive", "entry", "logit", "neg_log_softmax",
           "norm_sq", "scalar", "size", "softmax"]
