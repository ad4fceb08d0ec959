"""The exact judge's world: a SymPy symbol for every entry of every variable at one concrete
size, the environment of one check, random points as exact numbers, and the operations on
values that need no formula — entries, sums, products, functions, derivatives. evaluate.py
evaluates formulas with them.

Shapes follow the handout (U is d×V with columns u_w; vectors are columns); a scalar is 1×1.
Derivatives follow the course's denominator layout (∂J/∂v_c has the shape of v_c) unless the
numerator layout is asked for, where they are transposed.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy import ImmutableMatrix as Matrix

from .. import notation
from . import nodes as N
from .indices import shape_text
from .numeric import EvalError, NotChecked
from .points import draw
from .vocabulary import FILE_CONSTANTS


def counts(V: int) -> Matrix:
    """n: how many of the negative samples are each word. Constants, as y is: 1, 0, 3, 2, 1, …
    has a word never sampled, words sampled once and words sampled more than once."""
    return Matrix(V, 1, lambda r, _: (3 * r + 1) % 4)


# The objects whose entries are symbols (ŷ is a function of U and v_c; y a constant).
VARIABLES = ("U", "v_c", "U_neg", "x", "v_w", "x_vec")


@dataclass(frozen=True)
class World:
    """One concrete size, with a symbol for every entry of every variable."""

    sizes: Mapping[str, int]
    symbols: Mapping[str, Matrix] = field(hash=False, compare=False)

    @classmethod
    @functools.cache
    def of(cls, V: int, d: int, K: int) -> World:  # built once per size: ŷ is costly
        def entries(name: str, rows: int, cols: int) -> Matrix:
            return Matrix(rows, cols, lambda r, c: sp.Symbol(f"{name}_{r}_{c}", real=True))

        symbols = {"U": entries("U", d, V), "v_c": entries("v", d, 1),
                   "U_neg": entries("N", d, K), "x": Matrix([[notation.x_scalar]]),
                   "v_w": entries("W", d, 1), "x_vec": entries("X", d, 1), "n": counts(V)}
        # ŷ = softmax(Uᵀv_c), built once: a Σ_w ŷ_w … reads it V times per evaluation.
        y_hat = softmax(symbols["U"].T * symbols["v_c"])
        return cls({"V": V, "d": d, "K": K}, {**symbols, r"\hat{y}": y_hat})

    def all_symbols(self) -> list[sp.Symbol]:
        out = [s for name, m in self.symbols.items() if name in VARIABLES for s in m]
        return out + [notation.alpha]

    def shape_text(self, m: Matrix) -> str:
        return shape_text(self.sizes, m.shape)


@dataclass(frozen=True)
class Env:
    world: World
    indices: Mapping[str, tuple[int, str]]   # index → (0-based value, size name it runs over)
    definitions: Mapping[str, N.Node]
    layout: str = "denominator"
    # Values already worked out, shared by every Env of one check (see `evaluate`).
    memo: dict[object, Matrix] = field(default_factory=dict, compare=False, hash=False)
    # A point (numbers for every symbol) to evaluate at, and its number in the check: values
    # are then numbers from the start, and only a derivative is taken symbolically.
    point: Mapping[sp.Symbol, sp.Float] | None = field(default=None, compare=False, hash=False)
    point_id: int = -1

    def bind(self, index: str, value: int, size: str) -> Env:
        return Env(self.world, {**self.indices, index: (value, size)}, self.definitions,
                   self.layout, self.memo, self.point, self.point_id)

    def at(self, point: Mapping[sp.Symbol, sp.Float] | None, point_id: int) -> Env:
        return Env(self.world, self.indices, self.definitions, self.layout, self.memo, point,
                   point_id)

    def value(self, index: str) -> int:
        if index not in self.indices:
            raise EvalError(f"the index {index} is not bound here")
        return self.indices[index][0]


def scalar(e: sp.Expr) -> Matrix:
    return Matrix([[e]])


def is_scalar(m: Matrix) -> bool:
    return m.shape == (1, 1)


def _at_point(m: Matrix, env: Env) -> Matrix:
    return m if env.point is None else m.xreplace(env.point)



def pick(m: Matrix, idx: list[int], env: Env) -> Matrix:
    if len(idx) == 2:
        return scalar(m[idx[0], idx[1]])
    if m.shape[1] == 1:
        return scalar(m[idx[0], 0])
    raise EvalError(f"one index picks an entry of a vector, not of {env.world.shape_text(m)}")


def add(values: list[Matrix], env: Env) -> Matrix:
    out = values[0]
    for v in values[1:]:
        if v.shape != out.shape:
            raise EvalError(f"cannot add {env.world.shape_text(out)} and "
                            f"{env.world.shape_text(v)}")
        out = out + v
    return out


def multiply(a: Matrix, b: Matrix, op: str, env: Env) -> Matrix:
    if op == "∘":
        if a.shape != b.shape:
            raise EvalError(f"an entrywise product ∘ of {env.world.shape_text(a)} and "
                            f"{env.world.shape_text(b)}: the shapes must be equal")
        return a.multiply_elementwise(b)
    if is_scalar(a):
        return b * a[0]
    if is_scalar(b):
        return a * b[0]
    if op == "·" and a.shape == b.shape and a.shape[1] == 1:
        return scalar(a.dot(b))  # u · v between two columns: the dot product
    if a.shape[1] != b.shape[0]:
        raise EvalError(f"cannot multiply {env.world.shape_text(a)} by "
                        f"{env.world.shape_text(b)}")
    return a * b


def softmax(z: Matrix) -> Matrix:
    total = sum(sp.exp(e) for e in z)
    return z.applyfunc(lambda e: sp.exp(e) / total)


def function(name: str, m: Matrix, env: Env) -> Matrix:
    if name == "softmax":
        return softmax(m)
    if name == "norm" and not is_scalar(m):
        return scalar(sp.sqrt(sum(e ** 2 for e in m)))
    f = {"exp": sp.exp, "log": sp.log, "abs": sp.Abs, "norm": sp.Abs,
         "sigma": _sigmoid, "dsigma": _sigmoid_prime}[name]
    return m.applyfunc(f)


def _sigmoid(e: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-e))


def _sigmoid_prime(e: sp.Expr) -> sp.Expr:
    """σ'(e): SymPy's derivative of σ, taken at e (not a formula typed in)."""
    t = sp.Dummy("t")
    return sp.diff(_sigmoid(t), t).subs(t, e)


def derivative(f: Matrix, x: Matrix, env: Env) -> Matrix:
    if not all(isinstance(e, sp.Symbol) for e in x):
        raise EvalError("a derivative with respect to something that is not a variable")
    if is_scalar(f):
        out = x.applyfunc(lambda s: sp.diff(f[0], s))
        return out.T if env.layout == "numerator" else out
    if is_scalar(x):
        return f.applyfunc(lambda e: sp.diff(e, x[0]))
    if 1 in f.shape and 1 in x.shape:
        # denominator layout: rows follow x, columns follow f (entry (i, j) is ∂f_j/∂x_i)
        jac = Matrix(len(x), len(f), lambda i, j: sp.diff(f[j], x[i]))
        return jac.T if env.layout == "numerator" else jac
    raise NotChecked(f"the derivative of {env.world.shape_text(f)} with respect to "
                     f"{env.world.shape_text(x)} is not worked out here")


# Working precision of the numbers substituted: both sides are computed to 30 digits.
DIGITS = 30


def point(world: World, rng: np.random.Generator, n: int) -> dict[sp.Symbol, sp.Float]:
    """Random point `n` (numeric.draw: the same numbers the fast path uses), as exact numbers
    for the symbols of `world`."""
    drawn = draw(world.sizes, rng, n)
    values = {}
    for name in ("U", "v_c", "U_neg", "x", "v_w", "x_vec"):
        for s, v in zip(world.symbols[name], drawn[name].reshape(-1), strict=True):
            values[s] = sp.Float(float(v), DIGITS)
    values[notation.alpha] = sp.Float(float(drawn["alpha"][0, 0]), DIGITS)
    for n, name in enumerate(FILE_CONSTANTS):
        values[constant_symbol(name)] = sp.Float(float(drawn["constants"][n, 0]), DIGITS)
    return values


def constant_symbol(name: str) -> sp.Symbol:
    """A loss file's constant λ, as the exact judge writes it."""
    return sp.Symbol(f"const_{FILE_CONSTANTS.index(name)}", positive=True)
