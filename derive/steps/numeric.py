"""What a side is worth at one random point, in floating point: U, v_c, U_neg, x and α are
NumPy arrays, and a derivative is taken by forward mode (dual.py) at the point. This is the
checker's fast path. It reads a formula exactly as the exact evaluator (evaluate.py) does —
same shapes, same errors in the same order — and wherever floating point could differ from
exact arithmetic it raises Inexact, so that the exact evaluator decides.

Shapes follow the handout (U is d×V with columns u_w; vectors are columns); a scalar is 1×1.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from . import contraction, dual, through
from . import nodes as N  # the node classes, read as N.Sum, N.Deriv
from . import vocabulary as vocab
from .dual import Inexact, Val
from .indices import definitions_key, free_of, ranges
from .numvalues import (
    At,
    EvalError,
    NotChecked,
    _arranged,
    _result,
    add,
    function,
    is_scalar,
    multiply,
    pick,
)
from .points import counts, window_counts


def evaluate(node: N.Node, env: At) -> Val:
    """The value of `node` at the point, remembered for every environment of the text that
    shares the point, the layout, the definitions, the seeds and the indices it leaves free."""
    if isinstance(node, N.Num | N.Size):
        return _evaluate(node, env)
    defs = definitions_key(env.definitions)
    free = free_of(node, defs, env.definitions)
    key = ("numeric", node, tuple(sorted(env.point.sizes.items())), env.layout, defs,
           env.point.number, env.seeds,
           tuple(sorted((i, env.indices[i]) for i in free if i in env.indices)))
    found = env.memo.get(key)
    if found is None:
        found = env.memo[key] = _evaluate(node, env)
    return found


def _evaluate(node: N.Node, env: At) -> Val:
    match node:
        case N.Num(value=v):
            return dual.const(float(Fraction(v)))
        case N.Obj(name=name, word=word):
            return obj(name, env, word)
        case N.Const(name=name) if name in vocab.FILE_CONSTANTS:  # a loss file's λ
            return dual.const(float(env.point.values["constants"][
                vocab.FILE_CONSTANTS.index(name), 0]))
        case N.Const():
            return _variable("alpha", env)
        case N.Size(name=name):
            return dual.const(float(env.point.sizes[name]))
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
            return dual.const(float(env.value(a) == env.value(b)))
        case N.Neg(a=a):
            return dual.neg(evaluate(a, env))
        case N.Add(terms=terms):
            # a written 0 (0 + u_o) adds nothing, to any shape; a computed zero is a scalar
            kept = [t for t in terms if not N.is_zero_literal(t)] or [terms[0]]
            return add([evaluate(t, env) for t in kept], env)
        case N.Mul(factors=fs, ops=ops):
            return contraction.product(fs, ops, _judge(env))
        case N.Div(num=a, den=b):
            den = evaluate(b, env)
            if not is_scalar(den):
                raise EvalError(f"cannot divide by {env.shape_text(den)}")
            return dual.divide(evaluate(a, env), den)
        case N.Pow(base=a, exp=b):
            base, ex = evaluate(a, env), evaluate(b, env)
            if not (is_scalar(base) and is_scalar(ex)):
                raise EvalError(f"a power of {env.shape_text(base)}")
            return dual.power(base, ex)
        case N.Transpose(a=a):
            return evaluate(a, env).T
        case N.Func(name=name, arg=a):
            return function(name, evaluate(a, env))
        case N.Max(args=args):
            vals = [evaluate(a, env) for a in args]
            if not all(is_scalar(v) for v in vals):
                raise EvalError("max of vectors")
            return dual.largest(vals)
        case N.Sum(index=i, size=size, body=body, exclude=exclude, window=window):
            return summation(i, size or ranges(body).get(i, vocab.default_range(i)), body,
                             exclude, env, window)
        case N.Deriv(body=body, var=var):
            return derivative(body, var, env)
        case N.Stacked(index=i, size=size, body=body):
            cols = [evaluate(body, env.bind(i, n, size)) for n in range(env.point.sizes[size])]
            if any(c.shape != cols[0].shape or c.shape[1] != 1 for c in cols):
                raise EvalError(f"the columns of [⋯] are {env.shape_text(cols[0])}: not one "
                                "column each")
            return dual.columns(cols)
        case N.Cases(pieces=pieces):
            return cases(pieces, env)
    raise EvalError(f"cannot evaluate {type(node).__name__}")



def _variable(name: str, env: At) -> Val:
    key = ("variable", name, env.point.number, tuple(sorted(env.point.sizes.items())),
           env.seeds)
    found = env.memo.get(key)
    if found is None:
        seeds = None if env.seeds is None else np.array(env.seeds)
        found = env.memo[key] = dual.variable(env.point.values[name], env.point.ids[name],
                                              seeds)
    return found


def obj(name: str, env: At, word: str | None = None) -> Val:
    if env.through is not None and name == through.leaf(env.through[0]).name:
        return env.through[1]
    if name in ("U", "v_c", "U_neg", "x", "v_w", "x_vec"):
        return _variable(name, env)
    if name == "n":
        return dual.const(counts(env.point.sizes["V"]))
    if name == r"\hat{y}":  # ŷ = softmax(Uᵀv_c)
        return evaluate(N.Func("softmax", N.Mul((N.Transpose(N.Obj("U")), N.Obj("v_c")),
                                                ("",))), env)
    o = env.value(word or "o")  # y: the one-hot vector of the outside word
    return dual.const(np.array([[float(r == o)] for r in range(env.point.sizes["V"])]))


def column(index: str, env: At) -> Val:
    value, size = env.indices.get(index, (None, None))
    if value is None:
        raise EvalError(f"the index {index} is not bound here")
    return obj("U_neg" if size == "K" else "U", env).column(value)


def _judge(env: At) -> contraction.Judge[Val, tuple[np.ndarray, tuple[int, int], float]]:
    """How a product is worked out here, for contraction.product."""
    def array(d: N.Deriv) -> tuple[tuple[np.ndarray, tuple[int, int], float], int] | None:
        if isinstance(d.var, N.Ref | N.Pick):
            return None
        try:
            x = evaluate(d.var, env)
        except EvalError:
            return None
        if x.ids is None or 1 in x.shape:
            return None
        if env.seeds is not None:
            raise Inexact("a derivative inside a derivative")
        f = evaluate(d.body, replace(env, seeds=tuple(int(i) for i in x.ids.reshape(-1))))
        if 1 not in f.shape or f.v.size == 1:
            return None
        t = np.zeros((*f.shape, x.v.size)) if f.t is None else f.t
        return (t.reshape(f.v.size, x.v.size), x.shape, f.mag), f.v.size

    def contract(g: Val, a: tuple[np.ndarray, tuple[int, int], float]) -> Val:
        jac, shape, mag = a
        out = (g.v.reshape(-1) @ jac).reshape(shape)
        return _result(out.T if env.layout == "numerator" else out,
                       Val(g.v, None, None, max(mag, g.mag)))

    def unchecked(d: N.Deriv) -> Exception:
        return NotChecked(f"the derivative of {env.shape_text(evaluate(d.body, env))} with "
                          f"respect to {env.shape_text(evaluate(d.var, env))} is not worked "
                          "out here")

    return contraction.Judge(lambda n: evaluate(n, env), lambda a, b, op: multiply(a, b, op, env),
                             array, contract,
                             lambda m: m.v.size if 1 in m.shape and m.v.size > 1 else None,
                             unchecked)


def summation(index: str, size: str, body: N.Node, exclude: str | None, env: At,
              window: bool = False) -> Val:
    # exclude "o": every term but w = o; "=o": the one term w = o (Σ_{w=o})
    values = range(env.point.sizes[size])
    if exclude and exclude.startswith("="):
        values = range(env.value(exclude[1:]), env.value(exclude[1:]) + 1)
        exclude = None
    skip = env.value(exclude) if exclude else None
    terms = [evaluate(body, env.bind(index, n, size)) for n in values if n != skip]
    if window:  # each word as often as it is in the window
        times = window_counts(env.point.sizes["V"])
        terms = [dual.scale(dual.const(float(k)), t) for k, t in zip(times, terms, strict=True)
                 if k]
    if not terms:
        return dual.const(0.0)
    return add(terms, env)


def derivative(body: N.Node, var: N.Node, env: At) -> Val:
    """∂body/∂var by forward mode: the body is evaluated once more, with a derivative by each
    entry of var carried along."""
    if env.seeds is not None:
        raise Inexact("a derivative inside a derivative")
    if isinstance(var, N.Ref):
        return _by_intermediate(body, var.name, env)
    if isinstance(var, N.Pick) and isinstance(var.of, N.Ref):  # ∂J/∂θ_o: entry o of ∂J/∂θ
        grad = _by_intermediate(body, var.of.name, env)
        if 1 not in grad.shape or evaluate(body, env).shape != (1, 1):
            raise NotChecked(f"a derivative of a vector by an entry of {var.of.name} is not "
                             "worked out here")
        at = env.value(var.indices[0])
        return grad.entry(at, 0) if grad.shape[1] == 1 else grad.entry(0, at)
    try:
        x = evaluate(var, env)
    except EvalError:
        evaluate(body, env)  # the body's own error comes first, as the exact evaluator finds it
        raise
    if x.ids is None:  # not a variable as written: the exact evaluator says what it is
        raise Inexact("a derivative by something that is not plainly a variable")
    f = evaluate(body, replace(env, seeds=tuple(int(i) for i in x.ids.reshape(-1))))
    return _arranged(f, x, env)


# Ids for the entries of an intermediate, past those of every variable.
_THROUGH_IDS = 1 << 30


def _by_intermediate(body: N.Node, name: str, env: At) -> Val:
    """∂body/∂θ for an intermediate θ the text defined: body written as a formula of θ alone
    (through.py), then forward mode by θ's entries. A body that depends on U, v_c, … in some
    other way is not checked: its derivative by θ would depend on how one chose to write it."""
    if name not in env.definitions:
        raise EvalError(f"{name} is used before it is defined")
    written = through.written_through(body, name, env.definitions)
    if written is None:
        raise NotChecked(f"this depends on more than {name}, so its derivative by {name} is "
                         "not one thing")
    value = evaluate(env.definitions[name], env)
    ids = np.arange(_THROUGH_IDS, _THROUGH_IDS + value.v.size).reshape(value.shape)
    seeds = tuple(int(i) for i in ids.reshape(-1))
    x = dual.variable(value.v, ids, np.array(seeds))
    # a fresh memo: θ's object hides the indices its formula uses from the memo's key
    f = evaluate(written, replace(env, seeds=seeds, through=(name, x), memo={}))
    return _arranged(f, Val(value.v, None, ids, value.mag), env)


def truth(cond: N.Node, env: At) -> bool:
    """Whether a condition holds here; a comparison too close to call is Inexact."""
    match cond:
        case N.IndexRel(a=a, op=op, b=b):
            same = env.value(a) == env.value(b)
            return same if op == "=" else not same
        case N.ValueRel(a=a, op=op, b=b):
            left, right = evaluate(a, env), evaluate(b, env)
            if not (is_scalar(left) and is_scalar(right)):
                raise EvalError("a condition compares scalars")
            x, y = float(left.v[0, 0]), float(right.v[0, 0])
            if abs(x - y) <= 1e-9 * max(1.0, left.mag, right.mag):
                raise Inexact("a condition too close to call in floating point")
            return {"<": x < y, ">": x > y, "≤": x <= y, "≥": x >= y}[op]
    raise EvalError("not a condition")


def cases(pieces: tuple[tuple[N.Node, N.Node | None], ...], env: At) -> Val:
    if env.seeds is not None and any(isinstance(c, N.ValueRel) for _, c in pieces):
        # inside a derivative the exact evaluator keeps such a condition symbolic (a
        # Piecewise), with rules of its own on which values may follow: it decides
        raise Inexact("cases on a variable inside a derivative")
    for value, cond in pieces:
        if cond is None or truth(cond, env):
            return evaluate(value, env)
    raise EvalError("no case applies")
