"""Drop-in functions with the CS224N Assignment 2 starter code's signatures (`word2vec.py`).

A student's word2vec.py can `from derive.cs224n import sigmoid, naiveSoftmaxLossAndGradient`.
Layouts as in the course: centerWordVec (d,), outsideVectors (V, d) with words as rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import kernels


def sigmoid(x: Any) -> Any:
    """σ(x) = 1 / (1 + e^{-x}), as exp(−log(1 + e^{-x})): ±1000 neither overflows nor warns."""
    return np.exp(-np.logaddexp(0, -np.asarray(x, dtype=float)))


def naiveSoftmaxLossAndGradient(centerWordVec: np.ndarray, outsideWordIdx: int,
                                outsideVectors: np.ndarray, dataset: Any
                                ) -> tuple[Any, np.ndarray, np.ndarray]:
    """(loss, gradCenterVec (d,), gradOutsideVecs (V, d)), as the course defines them.

    `dataset` is unused, as in the course: it is there for negative sampling's signature.
    """
    loss, grad_center, grad_outside = kernels.naive_softmax(centerWordVec, outsideWordIdx,
                                                            outsideVectors)
    return loss, grad_center, grad_outside
