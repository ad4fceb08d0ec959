# A right answer that computes in float32, as some students do to save memory (written for
# derive's tests). Its loss is rounded to float32, so central differences of it carry an error
# of about 1e-7 * |J| / h; the gradients themselves are right to float32 precision.
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    U = outsideVectors.astype(np.float32)
    v = centerWordVec.astype(np.float32)
    scores = U @ v
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    loss = -np.log(probs[outsideWordIdx])
    delta = probs.copy()
    delta[outsideWordIdx] -= 1
    return loss, U.T @ delta, np.outer(delta, v)


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    samples = []
    while len(samples) < K:
        k = dataset.sampleTokenIdx()
        if k != outsideWordIdx:
            samples.append(k)
    U = outsideVectors.astype(np.float32)
    v = centerWordVec.astype(np.float32)
    s_o = sigmoid(U[outsideWordIdx] @ v)
    s_k = sigmoid(-(U[samples] @ v))
    loss = -np.log(s_o) - np.log(s_k).sum()
    gradCenterVec = (s_o - 1) * U[outsideWordIdx] + (1 - s_k) @ U[samples]
    gradOutsideVecs = np.zeros_like(U)
    gradOutsideVecs[outsideWordIdx] += (s_o - 1) * v
    np.add.at(gradOutsideVecs, samples, np.outer(1 - s_k, v))
    return loss, gradCenterVec, gradOutsideVecs
