"""Hand-written gradients, for tests only: the oracle the derived forms are compared with."""
from __future__ import annotations

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def naive_softmax(v_c: np.ndarray, o: int, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂J/∂v_c, ∂J/∂U) with U of shape (d, V), columns u_w, as in the handout."""
    y_hat = softmax(U.T @ v_c)
    y_hat[o] -= 1.0
    return U @ y_hat, np.outer(v_c, y_hat)
