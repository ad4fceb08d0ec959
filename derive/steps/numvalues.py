"""The values the floating-point judge works with: the environment of one point (sizes, indices,
definitions, layout, the entries a derivative is taken by), and the operations on values that
need no formula — entries, sums, products, functions, a derivative arranged from its tangents.
numeric.py evaluates formulas with them."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from . import dual
from . import nodes as N
from .dual import Val
from .indices import shape_text
from .points import Point


class EvalError(Exception):
    """A side that has no value as written: shapes that do not fit, a name never defined."""


class NotChecked(EvalError):
    """A side the checker cannot work out (a derivative of a vector by a matrix): the step is
    not checked — neither a pass nor a failure."""


@dataclass(frozen=True)
class At:
    point: Point
    indices: Mapping[str, tuple[int, str]]   # index → (0-based value, size name it runs over)
    definitions: Mapping[str, N.Node]
    layout: str = "denominator"
    memo: dict[object, Val] = field(default_factory=dict, compare=False, hash=False)
    # The entries a derivative is being taken by (their ids), while its body is evaluated.
    seeds: tuple[int, ...] | None = None
    # An intermediate a derivative is taken by (∂J/∂θ), as its own object: name and value
    through: tuple[str, Val] | None = None

    def bind(self, index: str, value: int, size: str) -> At:
        return replace(self, indices={**self.indices, index: (value, size)})

    def value(self, index: str) -> int:
        if index not in self.indices:
            raise EvalError(f"the index {index} is not bound here")
        return self.indices[index][0]

    def shape_text(self, m: Val) -> str:
        return shape_text(self.point.sizes, m.shape)


def is_scalar(m: Val) -> bool:
    return m.shape == (1, 1)


def pick(m: Val, idx: list[int], env: At) -> Val:
    if len(idx) == 2:
        return m.entry(idx[0], idx[1])
    if m.shape[1] == 1:
        return m.entry(idx[0], 0)
    raise EvalError(f"one index picks an entry of a vector, not of {env.shape_text(m)}")


def add(values: list[Val], env: At) -> Val:
    out = values[0]
    for v in values[1:]:
        if v.shape != out.shape:
            raise EvalError(f"cannot add {env.shape_text(out)} and {env.shape_text(v)}")
        out = dual.add(out, v)
    return out


def multiply(a: Val, b: Val, op: str, env: At) -> Val:
    if op == "∘":
        if a.shape != b.shape:
            raise EvalError(f"an entrywise product ∘ of {env.shape_text(a)} and "
                            f"{env.shape_text(b)}: the shapes must be equal")
        return dual.hadamard(a, b)
    if is_scalar(a):
        return dual.scale(a, b)
    if is_scalar(b):
        return dual.scale(b, a)
    if op == "·" and a.shape == b.shape and a.shape[1] == 1:
        return dual.matmul(a.T, b)  # u · v between two columns: the dot product
    if a.shape[1] != b.shape[0]:
        raise EvalError(f"cannot multiply {env.shape_text(a)} by {env.shape_text(b)}")
    return dual.matmul(a, b)


def function(name: str, m: Val) -> Val:
    if name == "softmax":
        return dual.softmax(m)
    if name == "norm" and not is_scalar(m):
        return dual.norm(m)
    return dual.FUNCTIONS[name](m)


def _arranged(f: Val, x: Val, env: At) -> Val:
    """The derivative of f by x, from f's tangents, in the layout asked for."""
    n = x.v.size  # one tangent per entry of x
    if f.t is None:  # the body does not depend on var: the derivative is exactly 0, unrounded
        f, t = Val(f.v), np.zeros((*f.shape, n))
    else:
        t = f.t
    if is_scalar(f):
        out = t[0, 0].reshape(x.shape)
        return _result(out.T if env.layout == "numerator" else out, f)
    if is_scalar(x):
        return _result(t[:, :, 0], f)
    if 1 in f.shape and 1 in x.shape:
        # denominator layout: rows follow x, columns follow f (entry (i, j) is ∂f_j/∂x_i)
        jac = t.reshape(f.v.size, n).T
        return _result(jac.T if env.layout == "numerator" else jac, f)
    raise NotChecked(f"the derivative of {env.shape_text(f)} with respect to "
                     f"{env.shape_text(x)} is not worked out here")


def _result(v: np.ndarray, f: Val) -> Val:
    return Val(np.ascontiguousarray(v), None, None,
               max(f.mag, float(np.max(np.abs(v), initial=0.0))))
