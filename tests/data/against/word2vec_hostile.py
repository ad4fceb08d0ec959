# Each function ends in a way that once ended derive itself (written for derive's tests):
# exit(), an endless loop, an allocation far past any limit, a hard exit of the process.
import os
import sys

import numpy as np


def sigmoid(x):
    big = np.zeros((50000, 50000))  # 20 GB, touched below
    big += 1
    return 1 / (1 + np.exp(-x))


def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    print("checking my answer…")
    sys.exit(0)


def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    while True:
        pass


def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
             outsideVectors, dataset, word2vecLossAndGradient=None):
    os._exit(0)
