"""A loss file's exported kernel checked against finite differences, as the built-in kernels
are: the NumPy module `derive export LOSS.tex` writes, run in float64 at the derivation's own
check sizes (every size ≥ 3, no two equal), each gradient entry against a central difference
of the kernel's own loss."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import notation as n
from ..calculus import numpyspace
from ..calculus.records import Derivation
from ..calculus.sample import SEED, Points
from ..codegen import module

H = 1e-6
RTOL, ATOL = 1e-5, 1e-7


@dataclass(frozen=True)
class KernelCheck:
    wrt: str
    max_error: float  # the largest |kernel − finite difference| over entries and points
    scale: float  # the largest |finite difference|
    passed: bool
    of: str = "exported kernel"  # what was checked against the differences


def values_at(points: Points, at: int, names: set[str]) -> dict[str, Any]:
    p = points.points[at]
    out: dict[str, Any] = {b.name: a.copy() for b, a in p.arrays.items()}
    out.update({str(x): v for x, v in p.indices.items()})
    out.update({w.name: a.copy() for w, a in p.families.items()})  # the samples w_1, …, w_K
    out.update({str(c): v for c, v in zip(points.constants, p.constants, strict=True)})
    return {k: v for k, v in out.items() if k in names}


def check(derivation: Derivation, *, seed: int = SEED) -> list[KernelCheck]:
    """One result per gradient of the derivation."""
    if not derivation.loss.objects:
        return [_function_of_x(derivation, seed)]
    fn = module.compile(derivation)
    names = {row[0] for row in fn.__globals__["INPUTS"]}
    points = Points(derivation.loss, seed=seed)
    worst: dict[str, tuple[float, float]] = {}
    for at in range(len(points.points)):
        values = values_at(points, at, names)
        _, grads = fn(values)
        for name, grad in grads.items():
            fd = np.zeros_like(values[name])
            for idx in np.ndindex(fd.shape):
                up, down = dict(values), dict(values)
                up[name], down[name] = values[name].copy(), values[name].copy()
                up[name][idx] += H
                down[name][idx] -= H
                fd[idx] = (float(fn(up)[0]) - float(fn(down)[0])) / (2 * H)
            err = float(np.max(np.abs(np.asarray(grad) - fd)))
            scale = float(np.max(np.abs(fd)))
            e0, s0 = worst.get(name, (0.0, 0.0))
            worst[name] = (max(e0, err if np.isfinite(err) else np.inf), max(s0, scale))
    return [KernelCheck(name, err, scale, err <= ATOL + RTOL * scale)
            for name, (err, scale) in worst.items()]


def _function_of_x(derivation: Derivation, seed: int) -> KernelCheck:
    """A function of the scalar x has no kernel: its derivative is checked against central
    differences of the function itself, at random x away from 0 (a kink) and α in (0, 1)."""

    from ..calculus import scalar

    xs, alphas = scalar.random_points(seed)
    f, df = (numpyspace.lambdify([n.x_scalar, n.alpha], e)
             for e in (derivation.loss.expr, derivation.gradients[0].result))
    fd = (f(xs + H, alphas) - f(xs - H, alphas)) / (2 * H)
    err = float(np.max(np.abs(np.broadcast_to(df(xs, alphas), xs.shape) - fd)))
    err = err if np.isfinite(err) else np.inf
    scale = float(np.max(np.abs(fd)))
    return KernelCheck("x", err, scale, err <= ATOL + RTOL * scale, of="derivative")
