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


def naive_softmax_rows(v_c: np.ndarray, o: int, U: np.ndarray
                       ) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, ∂J/∂v_c, ∂J/∂U) with U as rows (V, d), as the kernels take it; stable log-softmax."""
    logits = U @ v_c
    m = logits.max()
    lse = m + np.log(np.exp(logits - m).sum())
    delta = np.exp(logits - lse)
    delta[o] -= 1.0
    return float(lse - logits[o]), delta @ U, np.outer(delta, v_c)


def normalize_rows(x: np.ndarray) -> np.ndarray:
    return x / np.sqrt((x**2).sum(axis=1, keepdims=True))


def evaluate_matrix_form(expr, Uv: np.ndarray, vv: np.ndarray, o: int, w: int | None = None
                         ) -> np.ndarray:
    """A derived matrix form at concrete values: ŷ from the softmax, y one-hot."""
    import sympy as sp

    from derive import notation as n

    U, v, yhat, y = (obj.matrix for obj in (n.U, n.v_c, n.y_hat, n.y))
    d, V = Uv.shape
    expr = expr.subs({n.V: V, n.d: d})
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: yhat[e.indices[0], 0])
    f = sp.lambdify([U, v, yhat, y, n.w], expr, modules="numpy")
    return np.asarray(f(Uv, vv[:, None], softmax(Uv.T @ vv)[:, None], np.eye(V)[:, [o]], w))



def neg_sampling_rows(v_c: np.ndarray, o: int, U: np.ndarray, negatives: np.ndarray
                      ) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, ∂J/∂v_c, ∂J/∂U) for negative sampling, U as rows: a loop over the samples, so a
    repeated sample counts once per draw, as in the course's loop. −log σ(x) = logaddexp(0, −x)."""
    def sig(x: float) -> float:
        return 0.5 * (1 + np.tanh(0.5 * x))
    loss = np.logaddexp(0, -(U[o] @ v_c))
    grad_v = -(1 - sig(U[o] @ v_c)) * U[o]
    grad_U = np.zeros_like(U)
    grad_U[o] += -(1 - sig(U[o] @ v_c)) * v_c
    for k in negatives:
        loss += np.logaddexp(0, U[k] @ v_c)
        grad_v = grad_v + sig(U[k] @ v_c) * U[k]
        grad_U[k] += sig(U[k] @ v_c) * v_c
    return float(loss), grad_v, grad_U
