"""What a side denotes at one concrete size: a SymPy matrix over symbols for the entries of U, v_c,
U_neg and x, with the word indices bound to numbers. Derivatives are SymPy's, exact; numbers only
come in when the checker substitutes a random point.

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
from . import contraction
from . import nodes as N  # the node classes, read as N.Sum, N.Deriv
from . import vocabulary as vocab
from .indices import definitions_key, free_of, ranges, shape_text
from .numeric import EvalError, NotChecked
from .points import draw, window_counts


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


def evaluate(node: N.Node, env: Env) -> Matrix:
    """The value of `node` in `env`. A value depends on the node, the size, the layout, the
    definitions and the indices the node leaves free — nothing else — so it is worked out once
    for all the environments of a check that share those (Σ_w exp(u_wᵀv_c) once, not V² times)."""
    if isinstance(node, N.Num | N.Obj | N.Const | N.Size):
        return _evaluate(node, env)
    defs = definitions_key(env.definitions)
    free = free_of(node, defs, env.definitions)
    key = (node, tuple(sorted(env.world.sizes.items())), env.layout, defs, env.point_id,
           tuple(sorted((i, env.indices[i]) for i in free if i in env.indices)))
    found = env.memo.get(key)
    if found is None:
        found = env.memo[key] = _evaluate(node, env)
    return found


def _evaluate(node: N.Node, env: Env) -> Matrix:
    match node:
        case N.Num(value=v):
            return scalar(sp.Rational(v))
        case N.Obj(name=name, word=word):
            return obj(name, env, word)
        case N.Const():
            return _at_point(scalar(notation.alpha), env)
        case N.Size(name=name):
            return scalar(sp.Integer(env.world.sizes[name]))
        case N.Column(index=idx):
            return column(idx, env)
        case N.Pick(of=of, indices=idx):
            return pick(evaluate(of, env), [env.value(i) for i in idx], env)
        case N.Ref(name=name):
            if name not in env.definitions:
                raise EvalError(f"{name} is used before it is defined")
            if node.outside is not None:  # J(v_c, w_{t+j}, U): o is the window's word
                env = env.bind("o", env.value(node.outside), "V")
            return evaluate(env.definitions[name], env)
        case N.Delta(a=a, b=b):
            return scalar(sp.Integer(int(env.value(a) == env.value(b))))
        case N.Neg(a=a):
            return -evaluate(a, env)
        case N.Add(terms=terms):
            # a written 0 (0 + u_o, the start of a sum worked out by hand) adds nothing, to
            # any shape; a computed scalar zero is still a scalar
            kept = [t for t in terms if not N.is_zero_literal(t)] or [terms[0]]
            return add([evaluate(t, env) for t in kept], env)
        case N.Mul(factors=fs, ops=ops):
            return contraction.product(fs, ops, _judge(env))
        case N.Div(num=a, den=b):
            den = evaluate(b, env)
            if not is_scalar(den):
                raise EvalError(f"cannot divide by {env.world.shape_text(den)}")
            return evaluate(a, env) / den[0]
        case N.Pow(base=a, exp=b):
            base, ex = evaluate(a, env), evaluate(b, env)
            if not (is_scalar(base) and is_scalar(ex)):
                raise EvalError(f"a power of {env.world.shape_text(base)}")
            return scalar(base[0] ** ex[0])
        case N.Transpose(a=a):
            return evaluate(a, env).T
        case N.Func(name=name, arg=a):
            return function(name, evaluate(a, env), env)
        case N.Max(args=args):
            vals = [evaluate(a, env) for a in args]
            if not all(is_scalar(v) for v in vals):
                raise EvalError("max of vectors")
            return scalar(sp.Max(*(v[0] for v in vals)))
        case N.Sum(index=i, size=size, body=body, exclude=exclude, window=window):
            return summation(i, size or ranges(body).get(i, vocab.default_range(i)), body,
                             exclude, env, window)
        case N.Deriv(var=N.Ref(name=name)) | N.Deriv(var=N.Pick(of=N.Ref(name=name))):
            raise NotChecked(f"a derivative by {name} could not be worked out exactly")
        case N.Deriv() if env.point is not None:  # symbolically, then at the point
            return evaluate(node, env.at(None, -1)).xreplace(env.point)
        case N.Deriv(body=body, var=var):
            return derivative(evaluate(body, env), evaluate(var, env), env)
        case N.Cases(pieces=pieces):
            return cases(pieces, env)
        case N.Stacked(index=i, size=size, body=body):
            cols = [evaluate(body, env.bind(i, n, size)) for n in range(env.world.sizes[size])]
            if any(c.shape != cols[0].shape or c.shape[1] != 1 for c in cols):
                raise EvalError(f"the columns of [⋯] are {env.world.shape_text(cols[0])}: not "
                                "one column each")
            return Matrix.hstack(*cols)
    raise EvalError(f"cannot evaluate {type(node).__name__}")


def _at_point(m: Matrix, env: Env) -> Matrix:
    return m if env.point is None else m.xreplace(env.point)



def obj(name: str, env: Env, word: str | None = None) -> Matrix:
    if name in env.world.symbols:
        if env.point is None:
            return env.world.symbols[name]
        key = ("object", name, tuple(sorted(env.world.sizes.items())), env.point_id)
        if key not in env.memo:
            env.memo[key] = env.world.symbols[name].xreplace(env.point)
        return env.memo[key]
    o = env.value(word or "o")  # y: the one-hot vector of the outside word
    return Matrix(env.world.sizes["V"], 1, lambda r, _: int(r == o))


def column(index: str, env: Env) -> Matrix:
    value, size = env.indices.get(index, (None, None))
    if value is None:
        raise EvalError(f"the index {index} is not bound here")
    source = obj("U_neg" if size == "K" else "U", env)
    return source[:, value]


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


def _judge(env: Env) -> contraction.Judge[Matrix, tuple[Matrix, tuple[int, int]]]:
    """How a product is worked out here, for contraction.product (as numeric._judge)."""
    def array(d: N.Deriv) -> tuple[tuple[Matrix, tuple[int, int]], int] | None:
        if isinstance(d.var, N.Ref | N.Pick):
            return None
        sym = env.at(None, -1) if env.point is not None else env
        try:
            x = evaluate(d.var, sym)
        except EvalError:
            return None
        if not all(isinstance(e, sp.Symbol) for e in x) or 1 in x.shape:
            return None
        f = evaluate(d.body, sym)
        if 1 not in f.shape or len(f) == 1:
            return None
        jac = Matrix(len(f), len(x), lambda i, k: sp.diff(f[i], x[k]))
        return (jac if env.point is None else jac.xreplace(env.point), x.shape), len(f)

    def contract(g: Matrix, a: tuple[Matrix, tuple[int, int]]) -> Matrix:
        jac, shape = a
        out = Matrix(shape[0], shape[1], list(Matrix([list(g)]) * jac))
        return out.T if env.layout == "numerator" else out

    def unchecked(d: N.Deriv) -> Exception:
        return NotChecked(f"the derivative of {env.world.shape_text(evaluate(d.body, env))} "
                          f"with respect to {env.world.shape_text(evaluate(d.var, env))} is "
                          "not worked out here")

    return contraction.Judge(lambda n: evaluate(n, env), lambda a, b, op: multiply(a, b, op, env),
                             array, contract,
                             lambda m: len(m) if 1 in m.shape and len(m) > 1 else None,
                             unchecked)


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


def summation(index: str, size: str, body: N.Node, exclude: str | None, env: Env,
              window: bool = False) -> Matrix:
    # exclude "o": every term but w = o; "=o": the one term w = o (Σ_{w=o})
    values = range(env.world.sizes[size])
    if exclude and exclude.startswith("="):
        values = range(env.value(exclude[1:]), env.value(exclude[1:]) + 1)
        exclude = None
    skip = env.value(exclude) if exclude else None
    terms = [evaluate(body, env.bind(index, n, size)) for n in values if n != skip]
    if window:  # each word as often as it is in the window
        times = window_counts(env.world.sizes["V"])
        terms = [t * k for k, t in zip(times, terms, strict=True) if k]
    if not terms:
        return scalar(sp.Integer(0))
    return add(terms, env)


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


def holds(cond: N.Node, env: Env) -> bool | sp.Basic:
    match cond:
        case N.IndexRel(a=a, op=op, b=b):
            same = env.value(a) == env.value(b)
            return same if op == "=" else not same
        case N.ValueRel(a=a, op=op, b=b):
            left, right = evaluate(a, env), evaluate(b, env)
            if not (is_scalar(left) and is_scalar(right)):
                raise EvalError("a condition compares scalars")
            rel = {"<": sp.Lt, ">": sp.Gt, "≤": sp.Le, "≥": sp.Ge}[op]
            return rel(left[0], right[0])
    raise EvalError("not a condition")


def cases(pieces: tuple[tuple[N.Node, N.Node | None], ...], env: Env) -> Matrix:
    branches: list[tuple[Matrix, bool | sp.Basic]] = []
    for value, cond in pieces:
        truth = True if cond is None else holds(cond, env)
        if truth is True or truth is sp.true:
            if not branches:
                return evaluate(value, env)
            branches.append((evaluate(value, env), True))
            break
        if truth is not False and truth is not sp.false:
            branches.append((evaluate(value, env), truth))
    if not branches:
        raise EvalError("no case applies")
    if not all(is_scalar(b) for b, _ in branches):
        raise EvalError("cases with vector values under a condition on a variable")
    return scalar(sp.Piecewise(*((b[0], c) for b, c in branches)))


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
    return values
