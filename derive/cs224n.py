"""Drop-in functions with the CS224N Assignment 2 starter code's signatures (`word2vec.py`).

A student's word2vec.py can `from derive.cs224n import sigmoid, naiveSoftmaxLossAndGradient`, and
likewise getNegativeSamples, negSamplingLossAndGradient and skipgram.
Layouts as in the course: centerWordVec (d,), outsideVectors (V, d) with words as rows.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import kernels


def sigmoid(x: Any) -> Any:
    """σ(x) = 1 / (1 + e^{-x}), as exp(−log(1 + e^{-x})): ±1000 neither overflows nor warns."""
    return np.exp(-np.logaddexp(0, -np.asarray(x, dtype=float)))


def _centre(centerWordVec: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """centerWordVec as (d,), and the shape it came in: a skipgram may pass row c as a column
    (d, 1) or a row (1, d), which the course's harness lets through to the student's own loss;
    the gradient goes back in that shape."""
    v = np.asarray(centerWordVec)
    if v.ndim == 2 and 1 in v.shape:
        return v.reshape(-1), v.shape
    return v, v.shape


def naiveSoftmaxLossAndGradient(centerWordVec: np.ndarray, outsideWordIdx: int,
                                outsideVectors: np.ndarray, dataset: Any
                                ) -> tuple[Any, np.ndarray, np.ndarray]:
    """(loss, gradCenterVec (d,), gradOutsideVecs (V, d)), as the course defines them; a centre
    vector given as (d, 1) or (1, d) gets its gradient in that shape.

    `dataset` is unused, as in the course: it is there for negative sampling's signature.
    """
    v, shape = _centre(centerWordVec)
    loss, grad_center, grad_outside = kernels.naive_softmax(v, outsideWordIdx, outsideVectors)
    return loss, grad_center.reshape(shape), grad_outside


def getNegativeSamples(outsideWordIdx: int, dataset: Any, K: int) -> list[int]:
    """K word indices drawn with `dataset.sampleTokenIdx()`, none equal to outsideWordIdx: a draw
    of o is drawn again. The course's order of draws, so its seeded sanity check reproduces."""
    samples = []
    for _ in range(K):
        index = dataset.sampleTokenIdx()
        while index == outsideWordIdx:
            index = dataset.sampleTokenIdx()
        samples.append(index)
    return samples


def negSamplingLossAndGradient(centerWordVec: np.ndarray, outsideWordIdx: int,
                               outsideVectors: np.ndarray, dataset: Any, K: int = 10
                               ) -> tuple[Any, np.ndarray, np.ndarray]:
    """(loss, gradCenterVec (d,), gradOutsideVecs (V, d)) for K negative samples drawn by
    getNegativeSamples; a word sampled twice counts twice, as the course requires. A centre
    vector given as (d, 1) or (1, d) gets its gradient in that shape."""
    v, shape = _centre(centerWordVec)
    negatives = getNegativeSamples(outsideWordIdx, dataset, K)
    loss, grad_center, grad_outside = kernels.neg_sampling(v, outsideWordIdx, outsideVectors,
                                                           np.array(negatives, dtype=np.intp))
    return loss, grad_center.reshape(shape), grad_outside


def skipgram(currentCenterWord: str, windowSize: int, outsideWords: list[str],
             word2Ind: dict[str, int], centerWordVectors: np.ndarray,
             outsideVectors: np.ndarray, dataset: Any,
             word2vecLossAndGradient: Any = naiveSoftmaxLossAndGradient
             ) -> tuple[Any, np.ndarray, np.ndarray]:
    """(loss, gradCenterVecs (V, d), gradOutsideVectors (V, d)) summed over the outside words, in
    their order (negative sampling draws as it goes). Only the centre word's row of
    gradCenterVecs is non-zero: ∂J/∂v_w = 0 for every other w. `windowSize` is unused, as in
    the course: outsideWords is already the window."""
    c = word2Ind[currentCenterWord]
    loss = 0.0
    grad_centres = np.zeros(centerWordVectors.shape)
    grad_outside = np.zeros(outsideVectors.shape)
    for word in outsideWords:
        term_loss, grad_centre, grad_out = word2vecLossAndGradient(
            centerWordVectors[c], word2Ind[word], outsideVectors, dataset)
        loss += term_loss
        grad_centres[c] += grad_centre
        grad_outside += grad_out
    return loss, grad_centres, grad_outside
