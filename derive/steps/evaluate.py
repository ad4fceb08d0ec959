"""What a side denotes at one concrete size: a SymPy matrix over symbols for the entries of U, v_c,
U_neg and x, with the word indices bound to numbers. Derivatives are SymPy's, exact; numbers only
come in when the checker substitutes a random point.

Shapes follow the handout (U is d×V with columns u_w; vectors are columns); a scalar is 1×1.
Derivatives follow the course's denominator layout (∂J/∂v_c has the shape of v_c) unless the
numerator layout is asked for, where they are transposed.
"""
from __future__ import annotations

import sympy as sp
from sympy import ImmutableMatrix as Matrix

from .. import notation
from . import contraction
from . import nodes as N  # the node classes, read as N.Sum, N.Deriv
from . import vocabulary as vocab
from .exactvalues import (
    Env,
    _at_point,
    add,
    constant_symbol,
    derivative,
    function,
    is_scalar,
    multiply,
    pick,
    scalar,
)
from .indices import definitions_key, free_of, ranges
from .numeric import EvalError, NotChecked
from .points import window_counts


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
        case N.Const(name=name) if name in vocab.FILE_CONSTANTS:  # a loss file's λ
            return _at_point(scalar(constant_symbol(name)), env)
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


