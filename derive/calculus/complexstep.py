"""Numeric values of the derivatives a step leaves unevaluated, by the complex step:

    ∂f/∂x ≈ Im f(x + i h) / h,  h = 1e-30,

exact to rounding for the analytic functions losses are made of (exp, log, σ, tanh, powers, sums
and products; no difference of nearly equal values is taken), and independent of the facts the
engine differentiates with. A derivative of a function that is not analytic (max, |x|, the step
function) is left for SymPy's own diff.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy as sp
from sympy.utilities.lambdify import implemented_function

from . import numpyspace
from .values import NON_ANALYTIC, H  # the step and what it cannot take: values.py's, one place

# Points and Point (sample.py, which imports this module) are passed in, not imported: no cycle.
Points = Any
Point = Any

_COUNT = itertools.count()


class At:
    """The point the derivatives are being evaluated at (set before each evaluation)."""

    point: Point | None = None


def numeric(expr: sp.Expr, points: Points, at: At) -> sp.Expr:
    """expr with each analytic unevaluated derivative replaced by a function that evaluates it
    by the complex step at `at.point`."""
    fixed = points.symbols
    known = {b.label for b in (*points.bases, *points.families)} | set(
        fixed[len(points.bases) + len(points.families):])

    def replace(der: sp.Derivative) -> sp.Expr:
        f = points._spelled(der.expr)
        if f.has(*NON_ANALYTIC) or len(der.variables) != 1:
            return der
        x = der.variables[0]
        free = der.expr.free_symbols | set(x.indices)
        scope = sorted((s for s in free - known if isinstance(s, sp.Symbol)), key=str)
        key = ("complex step", f, tuple(scope))
        if key not in points.cache:
            points.cache[key] = numpyspace.lambdify([*fixed, *scope], f,
                                                    docstring_limit=0)
        body: Callable[..., Any] = points.cache[key]  # type: ignore[assignment]
        names = [*points.indices, *scope]
        if all(a in names for a in x.indices):  # the entry's indices, by position
            spots = [names.index(a) for a in x.indices]

            def where(*values: Any, spots: list[int] = spots) -> list[Any]:
                return [values[k] for k in spots]
        else:
            where = numpyspace.lambdify(names, list(x.indices), docstring_limit=0)
        slot = points.bases.index(x.base)
        return implemented_function(f"D{next(_COUNT)}", _evaluate(body, where, slot, at,
                                                                   points))(*scope)
    return expr.replace(lambda e: isinstance(e, sp.Derivative), replace)


def _evaluate(body: Callable[..., Any], where: Callable[..., Any], slot: int, at: At,
              points: Points) -> Callable[..., float]:
    def value(*scope: Any) -> float:
        p = at.point
        assert p is not None
        args = points.arguments(p)  # the arrays first, X at `slot` among them
        indices = [p.indices[x] for x in points.indices]
        entry = tuple(int(v) for v in where(*indices, *scope))
        moved = args[slot].astype(complex)
        moved[entry] += 1j * H
        args[slot] = moved
        out = body(*args, *scope)
        return float(np.imag(out) / H)
    return value
