"""Index form to array form: every expression of a derivation (the loss J, each gradient's
entry) as one array expression whose axes are its free indices, ready for lambdify.

    x[i] is the array x with axis i;  A[i, o] is A taken at o along its second axis;
    f(a) ⊙ g(b) is f and g aligned on the union of their axes, then multiplied elementwise;
    Σ_s Π f_k is one contraction of the factors that depend on s (a matrix product where it is
    one, printed as @; else einsum), never a loop;
    δ(j, k) is the identity; δ(j, o) = y_j is the one-hot vector of o;
    ŷ is the softmax of the logits, once; log ŷ_x its log-softmax, never the log of ŷ.

A fact here is about the notation (axes, sums, products), never about one loss: the same
translation makes the kernel of every loss the engine derives. The stable forms (log-sum-exp,
the max-shifted softmax, log σ(x) = −logaddexp(0, −x)) are nodes the printer prints.
"""
from __future__ import annotations

import keyword
import string
from dataclasses import dataclass

import sympy as sp

from .. import notation as n
from ..calculus.functions import sigmoid
from ..calculus.records import Loss
from ..calculus.sample import sizes_of
from ..errors import CodegenError
from . import nodes as N

# The axis of the samples of a batch (derive export --batch).
BATCH = sp.Symbol("batch_axis")


@dataclass(frozen=True)
class Arr:
    expr: sp.Expr
    axes: tuple[sp.Symbol, ...]


def safe(name: str) -> str:
    """A Python identifier for an input's name: lambda → lambda_."""
    name = name.lstrip("\\").replace("'", "_prime")
    return name + "_" if keyword.iskeyword(name) or not name.isidentifier() else name


class Translator:
    """The array form of any expression of one loss."""

    def __init__(self, loss: Loss, batch: frozenset[str] = frozenset()) -> None:
        """`batch` names the per-sample inputs: each a stack of rows (B, …), an index a (B,)
        array; they share the axis BATCH, which the loss is summed over."""
        self.loss = loss
        self.batch = batch
        self.arrays = {obj.indexed: sp.Symbol(safe(obj.indexed.name)) for obj in loss.objects}
        # a family of indices (the samples w_1, …, w_K) is an int array, read like a vector
        self.arrays.update({w: sp.Symbol(safe(w.name)) for w, _ in loss.families})
        self.indices = {x: sp.Symbol(safe(str(x))) for x, _ in loss.ranges}
        self.sizes: dict[str, sp.Symbol] = {}
        self.size_letters = {str(s) for s in sizes_of(loss)}  # type: ignore[arg-type]
        self.constants: dict[sp.Symbol, sp.Symbol] = {}
        self.used: set[sp.Symbol] = set()  # the indices the loss reads (o, …)
        self._softmax: tuple[Arr, Arr] | None = None
        self._axis = sp.Dummy("w_softmax", integer=True, nonnegative=True)

    # -- leaves ---------------------------------------------------------------------------
    def size(self, expr: sp.Expr) -> sp.Expr:
        """A size (V, d, V − 1, …) with each size letter as the kernel's own symbol."""
        return sp.sympify(expr).xreplace({s: self._size_symbol(s)
                                          for s in sp.sympify(expr).free_symbols})

    def _size_symbol(self, s: sp.Symbol) -> sp.Symbol:
        # Keyed by name: a size letter may reach here with assumptions of its own (V, V > 0).
        if str(s) not in self.sizes:
            self.sizes[str(s)] = sp.Symbol(safe(str(s)))
        return self.sizes[str(s)]

    def _symbol(self, s: sp.Symbol, env: dict) -> Arr:
        if s in env:
            raise CodegenError(f"index {s} stands alone where an entry is expected")
        if s in self.arrays:  # a scalar variable
            return Arr(self.arrays[s], ())
        if s in self.indices:
            self.used.add(s)
            return Arr(self.indices[s], ())
        if str(s) in self.size_letters:
            return Arr(self._size_symbol(s), ())
        if s not in self.constants:
            self.constants[s] = sp.Symbol(safe(str(s)))
        return Arr(self.constants[s], ())

    # -- the softmax ----------------------------------------------------------------------
    def softmax(self) -> tuple[Arr, Arr]:
        """ŷ and log ŷ over a placeholder axis, made once: the logits are shared by both."""
        if self._softmax is None:
            softmax = self.loss.softmax
            assert softmax is not None  # ŷ is read only in a loss that defines it
            z = self.tr(softmax.logit(self._axis), {self._axis: self.size(n.V)})
            if self._axis not in z.axes:
                raise CodegenError("the softmax's logits do not depend on the word")
            at = sp.Integer(z.axes.index(self._axis))
            self._softmax = (Arr(N.Softmax(z.expr, at), z.axes), Arr(N.LogSoftmax(z.expr, at),
                                                                      z.axes))
        return self._softmax

    def _yhat(self, e: sp.Indexed, env: dict, log: bool = False) -> Arr:
        a = self.softmax()[1 if log else 0]
        return self._at(a, self._axis, e.indices[0], env)

    def batched(self, index: sp.Expr) -> bool:
        return isinstance(index, sp.Symbol) and index in self.indices and str(index) in self.batch

    def _at(self, a: Arr, axis: sp.Symbol, index: sp.Expr, env: dict) -> Arr:
        """Arr a, whose axis `axis` is read at `index`: renamed if index runs, else taken (a
        per-sample index: the column of each sample, or its own entry of a per-sample row)."""
        if index in env:
            if index in a.axes:
                raise CodegenError(f"index {index} runs twice along one array")
            return Arr(a.expr, tuple(index if x == axis else x for x in a.axes))
        pos = a.axes.index(axis)
        taken = self.tr(index, env)
        at = taken.expr
        if taken.axes and not self.batched(index):  # U[:, w_s]: the columns at the samples
            if set(taken.axes) & set(a.axes) or BATCH in taken.axes:
                raise CodegenError(f"index {index} runs along an axis the array already has")
            return Arr(N.Take(a.expr, at, sp.Integer(pos)),
                       a.axes[:pos] + taken.axes + a.axes[pos + 1:])
        if not self.batched(index):
            return Arr(N.Take(a.expr, at, sp.Integer(pos)), a.axes[:pos] + a.axes[pos + 1:])
        if BATCH not in a.axes:
            return Arr(N.Take(a.expr, at, sp.Integer(pos)),
                       tuple(BATCH if x == axis else x for x in a.axes))
        return Arr(N.Gather(a.expr, at, sp.Integer(pos), sp.Integer(a.axes.index(BATCH)),
                            sp.Integer(len(a.axes))), a.axes[:pos] + a.axes[pos + 1:])

    # -- the translation ------------------------------------------------------------------
    def tr(self, e: sp.Expr, env: dict[sp.Symbol, sp.Expr]) -> Arr:
        """e as an array: `env` maps each running index to its size."""
        if e.is_Number:
            return Arr(e, ())
        if isinstance(e, sp.Symbol):
            return self._symbol(e, env)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, env)
        if isinstance(e, sp.KroneckerDelta):
            return self._delta(e, env)
        if isinstance(e, sp.Sum):
            return self._sum(e, env)
        if isinstance(e, sp.log):
            return self._log(e, env)
        if isinstance(e, (sp.Max, sp.Min)):  # SymPy's Max compares its arguments: ours not
            func = N.Maximum if isinstance(e, sp.Max) else N.Minimum
            return self.elementwise(func, [self.tr(a, env) for a in e.args])
        if isinstance(e, (sp.Add, sp.Mul, sp.Pow, sp.Function)):
            return self.elementwise(e.func, [self.tr(a, env) for a in e.args])
        raise CodegenError(f"no array form for {type(e).__name__}: {e}")

    def elementwise(self, func: object, args: list[Arr]) -> Arr:
        axes: tuple[sp.Symbol, ...] = ()
        for a in args:
            axes += tuple(x for x in a.axes if x not in axes)
        return Arr(func(*(align(a, axes) for a in args)), axes)  # type: ignore[operator]

    def _indexed(self, e: sp.Indexed, env: dict) -> Arr:
        base = e.base
        if self.loss.softmax is not None and base == self.loss.softmax.base:
            return self._yhat(e, env)
        if base == n.y.indexed:
            return self._delta(sp.KroneckerDelta(e.indices[0], n.o), env)
        if base not in self.arrays:
            raise CodegenError(f"{base} is neither declared nor defined")
        slots = tuple(sp.Dummy(f"axis{k}") for k in range(len(e.indices)))
        a = Arr(self.arrays[base], ((BATCH,) if base.name in self.batch else ()) + slots)
        for slot, index in zip(slots, e.indices, strict=True):
            a = self._at(a, slot, index, env)
        return a

    def _delta(self, e: sp.KroneckerDelta, env: dict) -> Arr:
        a, b = e.args
        if a in env and b in env:
            return Arr(N.Eye(self.size(env[a])), (a, b))
        if b in env:
            a, b = b, a
        if a in env:
            at = self.tr(b, env)
            if at.axes and not self.batched(b):  # δ(k, w_s): a one-hot row for each sample
                return Arr(N.OneHot(at.expr, self.size(env[a])), (*at.axes, a))
            axes = (BATCH, a) if self.batched(b) else (a,)
            return Arr(N.OneHot(at.expr, self.size(env[a])), axes)
        raise CodegenError(f"{e}: a Kronecker delta of two fixed indices")

    def _log(self, e: sp.log, env: dict) -> Arr:
        arg = e.args[0]
        softmax = self.loss.softmax
        if softmax is not None and isinstance(arg, sp.Indexed) and arg.base == softmax.base:
            return self._yhat(arg, env, log=True)
        if isinstance(arg, sigmoid):
            return self.elementwise(N.LogSigmoid, [self.tr(arg.args[0], env)])
        rest = arg - 1
        if isinstance(-rest, sigmoid):  # log(1 − σ(x)) = log σ(−x)
            return self.elementwise(N.LogSigmoid, [self.tr(-(-rest).args[0], env)])
        if isinstance(arg, sp.Sum) and len(arg.limits) == 1 and isinstance(arg.function, sp.exp):
            var, lo, hi = arg.limits[0]
            inner = self.tr(arg.function.args[0], {**env, var: hi - lo + 1})
            if var in inner.axes:
                pos = inner.axes.index(var)
                return Arr(N.LogSumExp(inner.expr, sp.Integer(pos)),
                           inner.axes[:pos] + inner.axes[pos + 1:])
        return self.elementwise(sp.log, [self.tr(arg, env)])

    def _sum(self, e: sp.Sum, env: dict) -> Arr:
        body, limits = e.function, list(e.limits)
        if len(limits) > 1:
            body = sp.Sum(body, *limits[:-1])
            limits = limits[-1:]
        var, lo, hi = limits[0]
        size = hi - lo + 1
        picked = self._picked(body, var, lo, hi, env)
        if picked is not None:
            try:
                return self.tr(picked, env)
            except CodegenError:  # x twice along one array (U_jj): the contraction below
                pass
        inner_env = {**env, var: size}
        # By the axes of each factor, not its symbols: the batch axis is no symbol of the loss.
        factors = [self.tr(f, inner_env) for f in _factors(body)]
        inside = [f for f in factors if var in f.axes]
        outside = [f for f in factors if var not in f.axes]
        if not inside:
            return self.elementwise(sp.Mul, [*outside, Arr(self.size(size), ())])
        summed = _contract(inside, var)
        return self.elementwise(sp.Mul, [*outside, summed]) if outside else summed


    def _picked(self, body: sp.Expr, var: sp.Symbol, lo: sp.Expr, hi: sp.Expr,
                env: dict) -> sp.Expr | None:
        """Σ_s δ(s, x) f(s) = f(x), for an index x over the same range as s (y_s is δ(s, o)), a
        fixed index or a running one: one entry taken, not a pass over the whole axis with a
        one-hot or an identity."""
        factors = sp.Mul.make_args(body)
        for k, f in enumerate(factors):
            if isinstance(f, sp.Indexed) and f.base == n.y.indexed and f.indices == (var,):
                x = n.o
            elif isinstance(f, sp.KroneckerDelta) and var in f.args:
                x = f.args[1] if f.args[0] == var else f.args[0]
            else:
                continue
            size = env[x] if x in env else dict(self.loss.ranges).get(x)
            if size is not None and lo == 0 and sp.expand(hi - size + 1) == 0:
                rest = sp.Mul(*factors[:k], *factors[k + 1:])
                return rest.xreplace({var: x})
        return None


def _factors(body: sp.Expr) -> list[sp.Expr]:
    """The factors of a summand, a square x² as x · x: Σ_s x_s² is then a contraction of x with
    itself (an inner product), with no temporary x² the size of x."""
    out: list[sp.Expr] = []
    for f in sp.Mul.make_args(body):
        out += [f.base, f.base] if isinstance(f, sp.Pow) and f.exp == 2 else [f]
    return out


def _contract(factors: list[Arr], var: sp.Symbol) -> Arr:
    """Σ_var of the product of factors: a reduction, or einsum when several factors run."""
    running = _fold_subsets([f for f in factors if f.axes])
    scalars = [f.expr for f in factors if not f.axes]
    if len(running) == 1 and isinstance(running[0].expr, N.Contract):
        # Σ_s of a contraction is the contraction summing s too: one pass, no temporary.
        (f,) = running
        spec, *ops = f.expr.args
        ins, kept = str(spec.name).split("->")
        pos = f.axes.index(var)
        out = Arr(N.Contract(N.spec(ins + "->" + kept[:pos] + kept[pos + 1:]), *ops),
                  f.axes[:pos] + f.axes[pos + 1:])
    elif len(running) == 1:
        (f,) = running
        pos = f.axes.index(var)
        out = Arr(N.ReduceSum(f.expr, sp.Integer(pos)), f.axes[:pos] + f.axes[pos + 1:])
    else:
        axes: tuple[sp.Symbol, ...] = ()
        for f in running:
            axes += tuple(x for x in f.axes if x not in axes)
        if len(axes) > len(string.ascii_lowercase):
            raise CodegenError("too many indices for one product")
        letter = dict(zip(axes, string.ascii_lowercase, strict=False))
        result = tuple(x for x in axes if x != var)
        spec = ",".join("".join(letter[x] for x in f.axes) for f in running)
        spec += "->" + "".join(letter[x] for x in result)
        out = Arr(N.Contract(N.spec(spec), *(f.expr for f in running)), result)
    return Arr(sp.Mul(*scalars, out.expr), out.axes) if scalars else out


def _fold_subsets(factors: list[Arr]) -> list[Arr]:
    """Three or more factors of one sum, each factor whose axes are all another's multiplied into
    that one first: Σ_s x_s y_s M_sb = Σ_s (x ∘ y)_s M_sb. The product grows no array (NumPy
    broadcasts it), and the contraction left has fewer operands: with two, often a matrix
    product. Into the factor of fewest axes, the earlier on a tie."""
    factors = list(factors)
    while len(factors) > 2:
        pairs = [(len(g.axes), j, i) for i, f in enumerate(factors)
                 for j, g in enumerate(factors) if i != j and set(f.axes) <= set(g.axes)]
        if not pairs:
            break
        _, j, i = min(pairs)
        f, g = factors[i], factors[j]
        factors[j] = Arr(sp.Mul(align(f, g.axes), g.expr), g.axes)
        del factors[i]
    return factors


def align(a: Arr, axes: tuple[sp.Symbol, ...]) -> sp.Expr:
    """a's expression with its axes in the order of `axes`, and a new axis of length 1 for each
    of `axes` it lacks after its first (NumPy broadcasts from the right)."""
    if not a.axes:
        return a.expr
    order = tuple(x for x in axes if x in a.axes)
    expr = a.expr
    if order != a.axes:
        expr = N.Perm(expr, sp.Tuple(*(a.axes.index(x) for x in order)))
    first = axes.index(order[0])
    key = tuple(x in a.axes for x in axes[first:])
    if not all(key):
        expr = N.Expand(expr, sp.Tuple(*(sp.true if k else sp.false for k in key)))
    return expr


def result(t: Translator, a: Arr, axes: tuple[sp.Symbol, ...],
           shape: tuple[sp.Expr, ...]) -> sp.Expr:
    """A gradient's array, with its axes in the order of its free indices and its full shape."""
    expr = align(Arr(a.expr, a.axes), axes) if a.axes else a.expr
    if tuple(x for x in axes if x in a.axes) != axes:
        expr = N.Full(expr, sp.Tuple(*(t.size(s) for s in shape)))
    return expr
