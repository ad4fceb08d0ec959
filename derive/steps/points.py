"""The random points both judges evaluate at: numbers for U, v_c, U_neg, x and α, drawn in one
fixed order so that the exact judge (evaluate.point) sees exactly the numbers the fast one does,
and the constants beside them (n, the sample counts)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .vocabulary import FILE_CONSTANTS

# The variables, in the order their entries are drawn (each row by row); α is the constant of
# Leaky ReLU, also a variable one may differentiate by; v_w is the centre vector of a word
# other than c (skip-gram's ∂J/∂v_w, w ≠ c); x_vec the vector whose entries x_i are (σ(x_i)).
VARIABLES = ("U", "v_c", "U_neg", "x", "alpha", "v_w", "x_vec")


def counts(V: int) -> np.ndarray:
    """n: how many of the negative samples are each word. Constants, as y is: 1, 0, 3, 2, 1, …
    has a word never sampled, words sampled once and words sampled more than once."""
    return np.array([[(3 * r + 1) % 4] for r in range(V)], dtype=float)


def window_counts(V: int) -> list[int]:
    """How often each word is an outside word of the context window a skip-gram sum runs over
    (Σ_{-m ≤ j ≤ m, j ≠ 0}): the counts n has, so the window has words absent, words once and a
    word more than once."""
    return [int(k) for k in counts(V)[:, 0]]


@dataclass(frozen=True, eq=False)
class Point:
    """The numbers of one random point at one size, and `number`, which names it in a check."""

    sizes: Mapping[str, int]
    values: Mapping[str, np.ndarray]
    number: int
    ids: Mapping[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        ids, start = {}, 0
        for name in VARIABLES:
            shape = self.values[name].shape
            ids[name] = np.arange(start, start + shape[0] * shape[1]).reshape(shape)
            start += shape[0] * shape[1]
        object.__setattr__(self, "ids", ids)


def draw(sizes: Mapping[str, int], rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Random point `n`: entries of moderate size, x away from Leaky ReLU's kink at 0 and of
    alternating sign, so both pieces are tried; 0 < α < 1."""
    V, d, K = sizes["V"], sizes["d"], sizes["K"]
    shapes = {"U": (d, V), "v_c": (d, 1), "U_neg": (d, K), "x": (1, 1), "alpha": (1, 1)}
    out = {name: np.array([rng.normal(0.0, 0.7) for _ in range(r * c)]).reshape(r, c)
           for name, (r, c) in shapes.items()}
    out["x"] = np.array([[float(rng.uniform(0.3, 2.0)) * (-1.0) ** n]])
    out["alpha"] = np.array([[float(rng.uniform(0.05, 0.95))]])
    # from a generator of its own, so that adding v_w moved none of the numbers above
    other = np.random.default_rng(1009 + n)
    out["v_w"] = other.normal(0.0, 0.7, size=(d, 1))
    out["x_vec"] = other.normal(0.0, 1.0, size=(d, 1))
    # a loss file's constants (vocabulary.FILE_CONSTANTS), each its own, in (0, 1): λ > 0 and
    # 0 < ε < 1 alike; drawn after v_w and x_vec, which they leave as they were
    out["constants"] = other.uniform(0.05, 0.95, size=(len(FILE_CONSTANTS), 1))
    return out
