"""The chain rule through a vector, as students write it for a matrix: (ŷ − y)ᵀ ∂(Uᵀv_c)/∂U,
∂J/∂θ ∂θ/∂U. The derivative of a vector θ by a matrix U is a three-way array, which no layout
makes a matrix; beside a vector g of θ's length the product has one reading only, Σ_i g_i ∂θ_i/∂U
— the derivative of gᵀθ by U with g held fixed — and it has U's shape (transposed in the
numerator layout, as a scalar's derivative is). Any other product with such a derivative, or
such a derivative alone, stays unchecked.

One product loop serves both judges (numeric.py in floating point, evaluate.py exactly); each
gives it how to evaluate a factor, multiply two values, and take and contract the array."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from . import nodes as N

M = TypeVar("M")  # a value: numeric.Val or a SymPy matrix
A = TypeVar("A")  # ∂θ/∂U: one row for each entry of θ, one column for each entry of U

# The products a contraction is read in: side by side or with a dot, never ∘ or ×.
_PLAIN = ("", "·")


@dataclass(frozen=True)
class Judge(Generic[M, A]):
    value: Callable[[N.Node], M]
    multiply: Callable[[M, M, str], M]
    # ∂θ/∂U for a derivative of a vector by a matrix, with θ's length; None for any other
    array: Callable[[N.Deriv], tuple[A, int] | None]
    contract: Callable[[M, A], M]  # Σ_i g_i ∂θ_i/∂U, in the layout asked for
    length: Callable[[M], int | None]  # the entries of a row or column, None for anything else
    unchecked: Callable[[N.Deriv], Exception]  # the error for an array left uncontracted


def product(factors: Sequence[N.Node], ops: Sequence[str], judge: Judge[M, A]) -> M:
    """The value of factors[0] ops[0] factors[1] …, reading g ∂θ/∂U and ∂θ/∂U g as above."""
    out: M | None = None
    k = 0
    while k < len(factors):
        factor, op = factors[k], ops[k - 1] if k else ""
        found = judge.array(factor) if isinstance(factor, N.Deriv) else None
        if found is not None and isinstance(factor, N.Deriv):
            array, rows = found
            if out is not None:
                if op not in _PLAIN or judge.length(out) != rows:
                    raise judge.unchecked(factor)
                out, k = judge.contract(out, array), k + 1
                continue
            if k + 1 >= len(factors) or ops[0] not in _PLAIN:
                raise judge.unchecked(factor)
            g = judge.value(factors[k + 1])
            if judge.length(g) != rows:
                raise judge.unchecked(factor)
            out, k = judge.contract(g, array), k + 2
            continue
        value = judge.value(factor)
        out = value if out is None else judge.multiply(out, value, op)
        k += 1
    assert out is not None  # a product has factors
    return out
