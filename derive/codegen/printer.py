"""The kernel printers: SymPy's NumPyPrinter and JaxPrinter, with one `_print_X` for each array
node (nodes.py) and for the functions whose plain printing is unstable.

The stable forms are facts of the printer, so every loss gets them: ŷ is the max-shifted
softmax, log ŷ the log-softmax, log Σ exp the max-shifted log-sum-exp, σ(x) = (1 + tanh(x/2))/2
and log σ(x) = −logaddexp(0, −x), none of which overflows for a finite argument. The same text
prints for both backends; only the module prefix (numpy or jax.numpy) differs.
"""
from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.numpy import JaxPrinter, NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from .nodes import Contract

# Helpers every kernel module defines, in terms of its array module `xp` (numpy or jax.numpy).
HELPERS = '''
def _softmax(z, axis):
    """exp(z − max z) / Σ exp(z − max z): no exponential overflows."""
    e = {xp}.exp(z - {xp}.max(z, axis=axis, keepdims=True))
    return e / {xp}.sum(e, axis=axis, keepdims=True)


def _logsumexp(z, axis):
    """log Σ exp(z) = m + log Σ exp(z − m), m = max z."""
    m = {xp}.max(z, axis=axis, keepdims=True)
    return {xp}.squeeze(m, axis) + {xp}.log({xp}.sum({xp}.exp(z - m), axis=axis))


def _log_softmax(z, axis):
    """log ŷ = z − logsumexp(z), finite where ŷ itself underflows to 0."""
    return z - {xp}.expand_dims(_logsumexp(z, axis), axis)
'''


def matmul(ins: list[str], out: str) -> tuple[tuple[int, bool], tuple[int, bool]] | None:
    """The einsum `ins -> out` as one matrix product X @ Y, if it is one: ((operand, transposed),
    (operand, transposed)) with the fewest transposes, else None. It is one when two operands of
    one or two axes share exactly the one summed axis and each other axis is in one operand and
    the result: a matrix-vector, vector-matrix, matrix-matrix or inner product."""
    if len(ins) != 2 or any(len(x) not in (1, 2) or len(set(x)) != len(x) for x in ins):
        return None
    shared = set(ins[0]) & set(ins[1])
    if len(shared) != 1 or shared & set(out):
        return None
    (k,) = shared
    free = [x.replace(k, "") for x in ins]
    if sorted(out) != sorted(free[0] + free[1]) or len(out) != len(free[0]) + len(free[1]):
        return None
    best = None
    for first, second in ((0, 1), (1, 0)):
        if free[first] + free[second] != out:
            continue
        # X @ Y sums X's last axis with Y's first (a vector's only one): transpose where needed.
        t = (len(ins[first]) == 2 and ins[first][1] != k,
             len(ins[second]) == 2 and ins[second][0] != k)
        if best is None or sum(t) < best[0][1] + best[1][1]:
            best = ((first, t[0]), (second, t[1]))
    return best


class _ArrayNodes:
    """The `_print_X` methods shared by the NumPy and the JAX printer."""

    _module: str
    _print: Any
    _module_format: Any
    parenthesize: Any

    def _fn(self, name: str) -> str:
        return self._module_format(f"{self._module}.{name}")

    def _print_Take(self, e: sp.Expr) -> str:
        a, i, axis = e.args
        key = [":"] * int(axis) + [self._print(i)]
        return f"({self._print(a)})[{', '.join(key)}]"

    def _print_Gather(self, e: sp.Expr) -> str:
        a, i, axis, batch, ndim = (e.args[0], e.args[1], *(int(x) for x in e.args[2:]))
        shape = tuple(-1 if k == batch else 1 for k in range(ndim))
        index = f"{self._fn('reshape')}({self._print(i)}, {shape})"
        taken = f"{self._fn('take_along_axis')}({self._print(a)}, {index}, axis={axis})"
        return f"{self._fn('squeeze')}({taken}, axis={axis})"

    def _print_Perm(self, e: sp.Expr) -> str:
        a, perm = e.args
        if isinstance(a, Contract):  # the product's own axes in the new order: no transpose after
            spec, *ops = a.args
            ins, out = str(spec.name).split("->")
            return self._contract(ins.split(","), "".join(out[int(p)] for p in perm), ops)
        return f"{self._fn('transpose')}({self._print(a)}, {tuple(int(p) for p in perm)})"

    def _print_Expand(self, e: sp.Expr) -> str:
        a, key = e.args
        return f"({self._print(a)})[{', '.join(':' if k else 'None' for k in key)}]"

    def _print_ReduceSum(self, e: sp.Expr) -> str:
        a, axis = e.args
        return f"{self._fn('sum')}({self._print(a)}, axis={int(axis)})"

    def _print_Contract(self, e: sp.Expr) -> str:
        spec, *ops = e.args
        ins, out = str(spec.name).split("->")
        return self._contract(ins.split(","), out, ops)

    def _contract(self, ins: list[str], out: str, ops: list[sp.Expr]) -> str:
        """The cheapest form of a sum of products: a matrix product (`@`, BLAS, no index
        bookkeeping) when it is one, a full sum of an entrywise product as vdot; else einsum,
        which for two operands needs no path search (optimize=True costs more than the product
        itself on small arrays); three or more keep numpy's path search, as the best order
        depends on sizes known only at the call."""
        product = matmul(ins, out)
        if product is not None:
            (i, ti), (j, tj) = product
            return f"({self._operand(ops[i], ti)} @ {self._operand(ops[j], tj)})"
        args = ", ".join(self._print(x) for x in ops)
        if len(ins) == 2 and ins[0] == ins[1] and not out:  # Σ of an entrywise product: a dot
            return f"{self._fn('vdot')}({args})"
        spec = ",".join(ins) + "->" + out
        return f"{self._fn('einsum')}({spec!r}, {args}, optimize={len(ops) > 2})"

    def _operand(self, x: sp.Expr, transpose: bool) -> str:
        text = self.parenthesize(x, PRECEDENCE["Func"], strict=True)
        return f"{text}.T" if transpose else text

    def _print_OneHot(self, e: sp.Expr) -> str:
        o, size = e.args
        return (f"({self._fn('arange')}({self._print(size)}) == "
                f"{self._fn('expand_dims')}({self._print(o)}, -1)).astype(dtype)")

    def _print_Eye(self, e: sp.Expr) -> str:
        return f"{self._fn('eye')}({self._print(e.args[0])}, dtype=dtype)"

    def _print_Softmax(self, e: sp.Expr) -> str:
        return f"_softmax({self._print(e.args[0])}, {int(e.args[1])})"

    def _print_LogSoftmax(self, e: sp.Expr) -> str:
        return f"_log_softmax({self._print(e.args[0])}, {int(e.args[1])})"

    def _print_LogSumExp(self, e: sp.Expr) -> str:
        return f"_logsumexp({self._print(e.args[0])}, {int(e.args[1])})"

    def _print_LogSigmoid(self, e: sp.Expr) -> str:
        return f"(-{self._fn('logaddexp')}(0, -({self._print(e.args[0])})))"

    def _print_sigmoid(self, e: sp.Expr) -> str:
        return f"(0.5 * (1 + {self._fn('tanh')}(0.5 * ({self._print(e.args[0])}))))"

    def _print_Full(self, e: sp.Expr) -> str:
        x, shape = e.args
        dims = ", ".join(self._print(s) for s in shape)
        return f"({self._fn('zeros')}(({dims},), dtype=dtype) + {self._print(x)})"

    def _pairwise(self, name: str, args: tuple) -> str:
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{self._fn(name)}({out}, {self._print(a)})"
        return out

    def _print_Maximum(self, e: sp.Expr) -> str:
        return self._pairwise("maximum", e.args)

    def _print_Minimum(self, e: sp.Expr) -> str:
        return self._pairwise("minimum", e.args)


class KernelNumPyPrinter(_ArrayNodes, NumPyPrinter):
    """NumPy for everyone."""

    printmethod = "_derive_kernel"  # never an object's own _numpycode: these rules decide

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.printmethod = "_derive_kernel"


class KernelJaxPrinter(_ArrayNodes, JaxPrinter):
    """jax.numpy, for jax.jit on a CPU, GPU or TPU."""

    def __init__(self, settings: dict | None = None) -> None:
        super().__init__(settings)
        self.printmethod = "_derive_kernel"


PRINTERS = {"numpy": KernelNumPyPrinter, "jax": KernelJaxPrinter}
MODULES = {"numpy": "numpy", "jax": "jax.numpy"}
