"""A corpus of losses people write, each with an independent hand-written NumPy gradient.

Each case builds its loss through the engine's Python API (matrix notation lowered to entries)
and gives, written by hand from the calculus and not from the engine: the loss in NumPy and the
gradient by each variable. test_corpus.py confirms each hand gradient by finite differences and
then compares the engine's derived result with it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from derive import notation as n
from derive.calculus import Loss
from derive.calculus.functions import sigmoid
from derive.calculus.lower import apply, entry, scalar, softmax

Arrays = dict[str, Any]  # object name → array; "o" → the outside word; constants by name


@dataclass(frozen=True)
class Case:
    name: str
    loss: Loss
    value: Callable[[Arrays], float]
    grads: dict[str, Callable[[Arrays], np.ndarray]]
    # Whether a matrix form is expected for every gradient (False: the entry form is honest).
    matrix: bool = True
    params: dict[str, float] = field(default_factory=dict)


V, d, K = n.V, n.d, n.K
m = n.size("m")
U = n.declare("U", d, V, latex=r"\mathbf{U}")
v_c = n.declare("v_c", d, latex=r"\mathbf{v}_c")
b = n.declare("b", V, latex=r"\mathbf{b}")
c = n.declare("c", V, latex=r"\mathbf{c}")
W = n.declare("W", V, d, latex=r"\mathbf{W}")
x = n.declare("x", d, latex=r"\mathbf{x}")
u = n.declare("u", d, latex=r"\mathbf{u}")
v = n.declare("v", d, latex=r"\mathbf{v}")
t = n.declare("t", V, latex=r"\mathbf{t}")
a = n.declare("a", V, latex=r"\mathbf{a}")
C = n.declare("C", d, m, latex=r"\mathbf{C}")
U_neg = n.declare("U_neg", d, K, latex=r"\mathbf{U}_{\text{neg}}")
u_o = n.declare("u_o", d, latex=r"\mathbf{u}_o")

lam, mu, eps, gamma, beta, tau, target = sp.symbols(
    "lambda mu epsilon gamma beta tau theta", positive=True)
o = n.o
yhat = n.y_hat.indexed
y = n.y.indexed
w = n.w


def vocab_sum(body: sp.Expr) -> sp.Expr:
    return sp.Sum(body, (w, 0, V - 1))


def frob2(obj: n.Obj) -> sp.Expr:
    rows, cols = obj.matrix.shape
    i, s = sp.symbols("i s", integer=True, nonnegative=True)
    return sp.Sum(obj.indexed[i, s] ** 2, (i, 0, rows - 1), (s, 0, cols - 1))


def dot(p: n.Obj, q: n.Obj) -> sp.Expr:
    return scalar(p.matrix.T * q.matrix)


def make(name: str, J: sp.Expr, objects: tuple[n.Obj, ...], wrt: tuple[n.Obj, ...],
         logits: sp.MatrixExpr | None = None) -> Loss:
    return Loss(name, J, softmax(logits) if logits is not None else None, wrt=wrt,
                objects=objects)


# NumPy helpers, hand-written.
def np_softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def np_sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def onehot(A: Arrays, size: int) -> np.ndarray:
    return np.eye(size)[A["o"]]


def yh(A: Arrays, bias: bool = False) -> np.ndarray:
    z = A["U"].T @ A["v_c"] + (A["b"] if bias else 0)
    return np_softmax(z)


SKIP = U.matrix.T * v_c.matrix
CASES: list[Case] = []


def case(*args: Any, **kwargs: Any) -> None:
    CASES.append(Case(*args, **kwargs))


def _softmax_cases() -> None:
    nl = -sp.log(yhat[o])
    both = (U, v_c)

    def g_z(A: Arrays) -> np.ndarray:
        return yh(A) - onehot(A, len(yh(A)))

    case("naive-softmax", make("naive-softmax", nl, both, both, SKIP),
         lambda A: -np.log(yh(A)[A["o"]]),
         {"v_c": lambda A: A["U"] @ g_z(A), "U": lambda A: np.outer(A["v_c"], g_z(A))})

    def gb(A: Arrays) -> np.ndarray:
        return yh(A, True) - onehot(A, len(A["b"]))
    biased = SKIP + b.matrix
    case("logit-bias", make("logit-bias", nl, (U, v_c, b), (v_c, U, b), biased),
         lambda A: -np.log(yh(A, True)[A["o"]]),
         {"v_c": lambda A: A["U"] @ gb(A), "U": lambda A: np.outer(A["v_c"], gb(A)),
          "b": gb})
    case("l2-centre", make("l2-centre", nl + lam / 2 * dot(v_c, v_c), both, both, SKIP),
         lambda A: -np.log(yh(A)[A["o"]]) + A["lambda"] / 2 * A["v_c"] @ A["v_c"],
         {"v_c": lambda A: A["U"] @ g_z(A) + A["lambda"] * A["v_c"],
          "U": lambda A: np.outer(A["v_c"], g_z(A))})
    case("l2-and-frobenius",
         make("l2-and-frobenius", nl + lam / 2 * dot(v_c, v_c) + mu / 2 * frob2(U), both, both,
              SKIP),
         lambda A: (-np.log(yh(A)[A["o"]]) + A["lambda"] / 2 * A["v_c"] @ A["v_c"]
                    + A["mu"] / 2 * (A["U"] ** 2).sum()),
         {"v_c": lambda A: A["U"] @ g_z(A) + A["lambda"] * A["v_c"],
          "U": lambda A: np.outer(A["v_c"], g_z(A)) + A["mu"] * A["U"]})

    def smooth(A: Arrays) -> np.ndarray:
        size = len(A["b"])
        return (1 - A["epsilon"]) * onehot(A, size) + A["epsilon"] / size

    def g_ls(A: Arrays) -> np.ndarray:
        return yh(A, True) - smooth(A)
    J = -vocab_sum(((1 - eps) * y[w] + eps / V) * sp.log(yhat[w]))
    case("label-smoothing", make("label-smoothing", J, (U, v_c, b), (v_c, U, b), biased),
         lambda A: -(smooth(A) * np.log(yh(A, True))).sum(),
         {"v_c": lambda A: A["U"] @ g_ls(A), "U": lambda A: np.outer(A["v_c"], g_ls(A)),
          "b": g_ls})

    def g_sq(A: Arrays) -> np.ndarray:
        return 2 * -np.log(yh(A)[A["o"]]) * g_z(A)
    case("squared-nll", make("squared-nll", nl ** 2, both, both, SKIP),
         lambda A: np.log(yh(A)[A["o"]]) ** 2,
         {"v_c": lambda A: A["U"] @ g_sq(A), "U": lambda A: np.outer(A["v_c"], g_sq(A))})

    def g_ent(A: Arrays) -> np.ndarray:
        p = yh(A)
        return g_z(A) + A["beta"] * p * (np.log(p) - p @ np.log(p))
    J = nl + beta * vocab_sum(yhat[w] * sp.log(yhat[w]))
    case("entropy-regularised", make("entropy-regularised", J, both, both, SKIP),
         lambda A: -np.log(yh(A)[A["o"]]) + A["beta"] * (yh(A) * np.log(yh(A))).sum(),
         {"v_c": lambda A: A["U"] @ g_ent(A), "U": lambda A: np.outer(A["v_c"], g_ent(A))})

    def g_focal(A: Arrays) -> np.ndarray:
        p, o_, g = yh(A), A["o"], A["gamma"]
        dp = -g * (1 - p[o_]) ** (g - 1) * -np.log(p[o_]) - (1 - p[o_]) ** g / p[o_]
        return dp * p[o_] * (onehot(A, len(p)) - p)
    case("focal", make("focal", (1 - yhat[o]) ** gamma * nl, both, both, SKIP),
         lambda A: (1 - yh(A)[A["o"]]) ** A["gamma"] * -np.log(yh(A)[A["o"]]),
         {"v_c": lambda A: A["U"] @ g_focal(A), "U": lambda A: np.outer(A["v_c"], g_focal(A))})

    def temp(A: Arrays) -> np.ndarray:
        return np_softmax(A["U"].T @ A["v_c"] / A["tau"])

    def g_t(A: Arrays) -> np.ndarray:
        return (temp(A) - onehot(A, A["U"].shape[1])) / A["tau"]
    case("temperature", make("temperature", nl, both, both, SKIP / tau),
         lambda A: -np.log(temp(A)[A["o"]]),
         {"v_c": lambda A: A["U"] @ g_t(A), "U": lambda A: np.outer(A["v_c"], g_t(A))})

    def g_brier(A: Arrays) -> np.ndarray:
        p = yh(A)
        r = 2 * (p - onehot(A, len(p)))
        return p * r - p * (p @ r)
    case("brier", make("brier", vocab_sum((yhat[w] - y[w]) ** 2), both, both, SKIP),
         lambda A: ((yh(A) - onehot(A, len(yh(A)))) ** 2).sum(),
         {"v_c": lambda A: A["U"] @ g_brier(A), "U": lambda A: np.outer(A["v_c"], g_brier(A))})

    def g_l2b(A: Arrays) -> np.ndarray:
        return gb(A) + 2 * A["lambda"] * A["b"]
    case("bias-l2", make("bias-l2", nl + lam * dot(b, b), (U, v_c, b), (U, v_c, b), biased),
         lambda A: -np.log(yh(A, True)[A["o"]]) + A["lambda"] * A["b"] @ A["b"],
         {"b": g_l2b, "v_c": lambda A: A["U"] @ gb(A), "U": lambda A: np.outer(A["v_c"], gb(A))})

    # CBOW: the centre is the average of the m context vectors, the columns of C.
    def hbar(A: Arrays) -> np.ndarray:
        return A["C"].mean(axis=1)

    def g_cb(A: Arrays) -> np.ndarray:
        return np_softmax(A["U"].T @ hbar(A)) - onehot(A, A["U"].shape[1])
    avg = C.matrix * sp.OneMatrix(m, 1) / m
    case("cbow", make("cbow", nl, (U, C), (U, C), U.matrix.T * avg),
         lambda A: -np.log(np_softmax(A["U"].T @ hbar(A))[A["o"]]),
         {"U": lambda A: np.outer(hbar(A), g_cb(A)),
          "C": lambda A: np.outer(A["U"] @ g_cb(A), np.ones(A["C"].shape[1])) / A["C"].shape[1]})

    def wx(A: Arrays) -> np.ndarray:
        return np_softmax(A["W"] @ A["x"])

    def g_lr(A: Arrays) -> np.ndarray:
        return wx(A) - onehot(A, A["W"].shape[0])
    case("logistic-regression",
         make("logistic-regression", nl, (W, x), (W, x), W.matrix * x.matrix),
         lambda A: -np.log(wx(A)[A["o"]]),
         {"W": lambda A: np.outer(g_lr(A), A["x"]), "x": lambda A: A["W"].T @ g_lr(A)})


_softmax_cases()


def _other_cases() -> None:
    s_ = U.matrix.T * v_c.matrix

    def scores(A: Arrays) -> np.ndarray:
        return A["U"].T @ A["v_c"]

    def g_hinge(A: Arrays) -> np.ndarray:
        s, o_ = scores(A), A["o"]
        h = (1 + s - s[o_] > 0).astype(float)
        return h - onehot(A, len(s)) * h.sum()
    J = vocab_sum(sp.Max(0, 1 + entry(s_, w) - entry(s_, o)))
    case("multiclass-hinge", make("multiclass-hinge", J, (U, v_c), (v_c, U)),
         lambda A: np.maximum(0, 1 + scores(A) - scores(A)[A["o"]]).sum(),
         {"v_c": lambda A: A["U"] @ g_hinge(A), "U": lambda A: np.outer(A["v_c"], g_hinge(A))})

    def uv(A: Arrays) -> float:
        return float(A["u"] @ A["v"])
    case("hinge", make("hinge", sp.Max(0, 1 - dot(u, v)), (u, v), (u, v)),
         lambda A: max(0.0, 1 - uv(A)),
         {"u": lambda A: -float(1 - uv(A) > 0) * A["v"],
          "v": lambda A: -float(1 - uv(A) > 0) * A["u"]})
    case("squared-hinge", make("squared-hinge", sp.Max(0, 1 - dot(u, v)) ** 2, (u, v), (u, v)),
         lambda A: max(0.0, 1 - uv(A)) ** 2,
         {"u": lambda A: -2 * max(0.0, 1 - uv(A)) * A["v"],
          "v": lambda A: -2 * max(0.0, 1 - uv(A)) * A["u"]})

    def cos_u(A: Arrays) -> np.ndarray:
        nu, nv = np.linalg.norm(A["u"]), np.linalg.norm(A["v"])
        return A["v"] / (nu * nv) - uv(A) * A["u"] / (nu ** 3 * nv)
    J = dot(u, v) / (sp.sqrt(dot(u, u)) * sp.sqrt(dot(v, v)))
    def cos_v(A: Arrays) -> np.ndarray:
        nu, nv = np.linalg.norm(A["u"]), np.linalg.norm(A["v"])
        return A["u"] / (nu * nv) - uv(A) * A["v"] / (nu * nv ** 3)
    case("cosine-similarity", make("cosine-similarity", J, (u, v), (u, v)),
         lambda A: uv(A) / (np.linalg.norm(A["u"]) * np.linalg.norm(A["v"])),
         {"u": cos_u, "v": cos_v})

    def glove_e(A: Arrays) -> float:
        return uv(A) + A["b"][A["o"]] + A["c"][A["o"]] - A["theta"]
    J = lam * (dot(u, v) + b.indexed[o] + c.indexed[o] - target) ** 2
    case("glove", make("glove", J, (u, v, b, c), (u, v, b, c)),
         lambda A: A["lambda"] * glove_e(A) ** 2,
         {"u": lambda A: 2 * A["lambda"] * glove_e(A) * A["v"],
          "v": lambda A: 2 * A["lambda"] * glove_e(A) * A["u"],
          "b": lambda A: 2 * A["lambda"] * glove_e(A) * onehot(A, len(A["b"])),
          "c": lambda A: 2 * A["lambda"] * glove_e(A) * onehot(A, len(A["c"]))})

    def ux(A: Arrays) -> float:
        return float(A["u"] @ A["x"])
    s = dot(u, x)
    J = -tau * sp.log(sigmoid(s)) - (1 - tau) * sp.log(1 - sigmoid(s))
    case("binary-logistic", make("binary-logistic", J, (u, x), (u, x)),
         lambda A: (-A["tau"] * np.log(np_sigmoid(ux(A)))
                    - (1 - A["tau"]) * np.log(1 - np_sigmoid(ux(A)))),
         {"u": lambda A: (np_sigmoid(ux(A)) - A["tau"]) * A["x"],
          "x": lambda A: (np_sigmoid(ux(A)) - A["tau"]) * A["u"]})

    def neg(A: Arrays) -> np.ndarray:
        return np_sigmoid(A["U_neg"].T @ A["v_c"])

    def pos(A: Arrays) -> float:
        return float(np_sigmoid(A["u_o"] @ A["v_c"]))
    negs = sp.Sum(sp.log(sigmoid(-entry(U_neg.matrix.T * v_c.matrix, n.k2))), (n.k2, 0, K - 1))
    J = -sp.log(sigmoid(dot(u_o, v_c))) - negs
    case("negative-sampling", make("negative-sampling", J, (u_o, U_neg, v_c), (v_c, u_o, U_neg)),
         lambda A: -np.log(pos(A)) - np.log(np_sigmoid(-A["U_neg"].T @ A["v_c"])).sum(),
         {"v_c": lambda A: -(1 - pos(A)) * A["u_o"] + A["U_neg"] @ neg(A),
          "u_o": lambda A: -(1 - pos(A)) * A["v_c"],
          "U_neg": lambda A: np.outer(A["v_c"], neg(A))})

    def res(A: Arrays) -> np.ndarray:
        return A["W"] @ A["x"] - A["t"]
    r = W.matrix * x.matrix - t.matrix
    case("least-squares", make("least-squares", scalar(r.T * r) / 2, (W, x, t), (W, x, t)),
         lambda A: 0.5 * res(A) @ res(A),
         {"W": lambda A: np.outer(res(A), A["x"]), "x": lambda A: A["W"].T @ res(A),
          "t": lambda A: -res(A)})
    q = v_c.matrix.T * U.matrix * U.matrix.T * v_c.matrix
    case("quadratic-form", make("quadratic-form", scalar(q), (U, v_c), (v_c, U)),
         lambda A: float(A["v_c"] @ A["U"] @ A["U"].T @ A["v_c"]),
         {"v_c": lambda A: 2 * A["U"] @ A["U"].T @ A["v_c"],
          "U": lambda A: 2 * np.outer(A["v_c"], A["U"].T @ A["v_c"])})

    def hid(A: Arrays) -> np.ndarray:
        return np.tanh(A["W"] @ A["x"])

    def back(A: Arrays) -> np.ndarray:
        return A["a"] * (1 - hid(A) ** 2)
    J = scalar(a.matrix.T * apply(sp.tanh, W.matrix * x.matrix))
    case("tanh-layer", make("tanh-layer", J, (a, W, x), (a, W, x)),
         lambda A: float(A["a"] @ hid(A)),
         {"a": hid, "W": lambda A: np.outer(back(A), A["x"]), "x": lambda A: A["W"].T @ back(A)})

    def g_bce(A: Arrays) -> np.ndarray:
        return np_sigmoid(scores(A)) - onehot(A, A["U"].shape[1])
    J = -vocab_sum(y[w] * sp.log(sigmoid(entry(s_, w)))
                   + (1 - y[w]) * sp.log(sigmoid(-entry(s_, w))))
    case("one-vs-all", make("one-vs-all", J, (U, v_c), (v_c, U)),
         lambda A: -(onehot(A, A["U"].shape[1]) * np.log(np_sigmoid(scores(A)))
                     + (1 - onehot(A, A["U"].shape[1])) * np.log(np_sigmoid(-scores(A)))).sum(),
         {"v_c": lambda A: A["U"] @ g_bce(A), "U": lambda A: np.outer(A["v_c"], g_bce(A))})
    case("exponential", make("exponential", sp.exp(-dot(u, v)), (u, v), (u, v)),
         lambda A: np.exp(-uv(A)), {"u": lambda A: -np.exp(-uv(A)) * A["v"],
                                    "v": lambda A: -np.exp(-uv(A)) * A["u"]})
    i = n.i
    l1 = sp.Sum(sp.Abs(x.indexed[i]), (i, 0, d - 1))
    case("l1", make("l1", l1, (x,), (x,)), lambda A: np.abs(A["x"]).sum(),
         {"x": lambda A: np.sign(A["x"])})
    J = (dot(u, x) - tau) ** 2 / 2 + lam * sp.Sum(sp.Abs(u.indexed[i]), (i, 0, d - 1))
    case("elastic", make("elastic", J, (u, x), (u, x)),
         lambda A: 0.5 * (ux(A) - A["tau"]) ** 2 + A["lambda"] * np.abs(A["u"]).sum(),
         {"u": lambda A: (ux(A) - A["tau"]) * A["x"] + A["lambda"] * np.sign(A["u"]),
          "x": lambda A: (ux(A) - A["tau"]) * A["u"]})


_other_cases()
