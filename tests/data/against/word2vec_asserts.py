# A right skipgram that insists on being given one of its own file's loss functions (written for
# derive's tests), and a negative sampling that draws with NumPy instead of the dataset.
import numpy as np


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    scores = outsideVectors @ centerWordVec
    y_hat = np.exp(scores - scores.max())
    y_hat /= y_hat.sum()
    loss = -np.log(y_hat[outsideWordIdx])
    y_hat[outsideWordIdx] -= 1
    return loss, outsideVectors.T @ y_hat, np.outer(y_hat, centerWordVec)


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    samples = np.random.randint(0, outsideVectors.shape[0], size=K)
    u_o, U_k = outsideVectors[outsideWordIdx], outsideVectors[samples]
    s_o = 1 / (1 + np.exp(-u_o @ centerWordVec))
    s_k = 1 / (1 + np.exp(U_k @ centerWordVec))
    loss = -np.log(s_o) - np.sum(np.log(s_k))
    grad_v = (s_o - 1) * u_o + (1 - s_k) @ U_k
    grad_U = np.zeros_like(outsideVectors)
    grad_U[outsideWordIdx] += (s_o - 1) * centerWordVec
    np.add.at(grad_U, samples, np.outer(1 - s_k, centerWordVec))
    return loss, grad_v, grad_U


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
             outsideVectors, dataset, word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    assert word2vecLossAndGradient in (naiveSoftmaxLossAndGradient, negSamplingLossAndGradient)
    loss = 0.0
    grad_C = np.zeros(centerWordVectors.shape)
    grad_U = np.zeros(outsideVectors.shape)
    c = word2Ind[currentCenterWord]
    for word in outsideWords:
        l, gc, gu = word2vecLossAndGradient(centerWordVectors[c], word2Ind[word], outsideVectors,
                                            dataset)
        loss += l
        grad_C[c] += gc
        grad_U += gu
    return loss, grad_C, grad_U
