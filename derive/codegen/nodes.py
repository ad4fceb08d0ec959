"""The array nodes a kernel is printed from: what an index-form expression becomes once each of
its indices is an axis of an array (arrays.py makes them, printer.py prints them).

Every node is an ordinary SymPy function of its arguments, so lambdify's common-subexpression
pass sees through it and shares, say, the logits between the loss and every gradient. Elementwise
arithmetic (+, ·, exp, log, …) stays SymPy's own: once the operands are aligned (Expand, Perm)
it is NumPy's broadcasting arithmetic too.
"""
from __future__ import annotations

import sympy as sp
from sympy.core.symbol import Str


class Take(sp.Function):
    """Take(A, i, axis): A[..., i, ...], the entry i along one axis (i an index, or an array of
    indices for a batch)."""

    nargs = 3


class Gather(sp.Function):
    """Gather(A, i, axis, batch_axis, ndim): for each sample b, A[b, …, i[b], …] — a
    per-sample index into a per-sample array (numpy.take_along_axis)."""

    nargs = 5


class Perm(sp.Function):
    """Perm(A, (p0, p1, …)): A's axes reordered (numpy.transpose)."""

    nargs = 2


class Expand(sp.Function):
    """Expand(A, key): A with new axes of length 1 where key says None, for broadcasting."""

    nargs = 2


class ReduceSum(sp.Function):
    """ReduceSum(A, axis): Σ over one axis."""

    nargs = 2


class Contract(sp.Function):
    """Contract(spec, A, B, …): numpy.einsum(spec, A, B, …), a sum of a product (matrix
    products included) without a Python loop."""


class OneHot(sp.Function):
    """OneHot(o, V): the one-hot vector of o among V (a (B, V) stack when o is an array)."""

    nargs = 2


class Eye(sp.Function):
    """Eye(n): the n×n identity, δ(j, k) over two axes."""

    nargs = 1


class Softmax(sp.Function):
    """Softmax(z, axis), printed max-shifted: exp(z − max z) / Σ exp(z − max z)."""

    nargs = 2


class LogSoftmax(sp.Function):
    """LogSoftmax(z, axis) = z − logsumexp(z): log ŷ without taking the log of an underflow."""

    nargs = 2


class LogSumExp(sp.Function):
    """LogSumExp(z, axis) = log Σ exp(z), printed max-shifted."""

    nargs = 2


class LogSigmoid(sp.Function):
    """log σ(x) = −logaddexp(0, −x): finite for every finite x."""

    nargs = 1


class Maximum(sp.Function):
    """The entrywise maximum of its arguments (SymPy's Max would compare them symbolically)."""


class Minimum(sp.Function):
    """The entrywise minimum of its arguments."""


class Full(sp.Function):
    """Full(x, shape): x broadcast to the whole shape of a gradient that is constant along some
    of its axes."""

    nargs = 2


def spec(text: str) -> Str:
    return Str(text)
