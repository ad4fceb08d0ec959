# Right values in the shapes the course's harness also accepts (written for derive's tests):
# column vectors throughout, the loss a one-element array.
import numpy as np


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    v = centerWordVec.reshape(-1, 1)
    scores = outsideVectors @ v
    y_hat = np.exp(scores - scores.max())
    y_hat /= y_hat.sum()
    loss = -np.log(y_hat[outsideWordIdx])
    y = np.zeros_like(y_hat)
    y[outsideWordIdx] = 1
    gradCenterVec = outsideVectors.T @ (y_hat - y)
    gradOutsideVecs = (y_hat - y) @ v.T
    return loss, gradCenterVec, gradOutsideVecs
