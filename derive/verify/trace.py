"""verify's checks of the derivations themselves: every step of each trace at the run's points
(not the derivation's own, so a step wrong only away from those fails), and the scalar problems'
derivatives against differences of J."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import notation as n
from .. import problems
from ..calculus import numpyspace, scalar
from ..calculus.check import RTOL, step_error
from ..calculus.records import Derivation
from . import derived, gradcheck
from .report import Check

RTOL_STEP = 1e-9
StepError = Callable[[Any, Any], float]  # of a step from the one before it


def window_trace_checks(problem: str, derivation: Any, seed: int) -> list[Check]:
    """Every step of a window derivation, at the run's points (not the derivation's own)."""
    error = derived.WindowPoint(derivation.loss.pair, seed=seed).error
    chains = [("J", "J", derivation.loss_steps, error)]
    chains += [(f"dJ/d{g.name}", g.name, g.steps, error) for g in derivation.gradients]
    return step_checks(problem, chains, RTOL_STEP)


def scalar_checks(problem: problems.Problem, derivation: Derivation, seed: int,
                   progress: Callable[[str], None]) -> list[Check]:
    """dJ/dx, as derived, against central differences of J at random x (away from Leaky ReLU's
    kink at 0) and α; then every step of the trace."""

    (grad,) = derivation.gradients
    rng = np.random.default_rng(seed)
    xs = rng.uniform(0.1, 4, 16) * rng.choice([-1.0, 1.0], 16)
    alpha = rng.uniform(0.05, 0.95, 16)
    J = numpyspace.lambdify([n.x_scalar, n.alpha], derivation.loss.expr)
    dJ = numpyspace.lambdify([n.x_scalar, n.alpha], grad.result)
    h = gradcheck.H
    numeric = (J(xs + h, alpha) - J(xs - h, alpha)) / (2 * h)
    errors = gradcheck.relative_error(np.broadcast_to(dJ(xs, alpha), xs.shape), numeric)
    err = float(errors.max())
    progress(f"{problem.name}: derived expression and trace")
    checks = [Check(f"{problem.name}: derived expression", "dJ/dx = " + derived.text(grad.result),
                    "x", "coordinate", err, gradcheck.TOL64, bool(err <= gradcheck.TOL64),
                    (int(errors.argmax()),))]
    for label, steps in (("J", derivation.loss_steps), ("dJ/dx", grad.steps)):
        for before, after in zip(steps, steps[1:], strict=False):
            step_err = scalar.step_error(before, after, seed=seed)
            checks.append(Check(f"{problem.name}: trace", f"{label}: {after.rule}", "x", "exact",
                                step_err, RTOL_STEP, bool(step_err <= RTOL_STEP), None))
    return checks


def trace_checks(problem: str, derivation: Any, point: derived.Point) -> list[Check]:
    """Every step of each (vector) derivation at `point`, the run's."""

    def error(index: tuple) -> StepError:
        return lambda before, after: step_error(point, before, after, index)

    chains = [("J", "J", derivation.loss_steps, error(()))]
    chains += [(f"dJ/d{g.wrt.name}", g.wrt.name, g.steps, error(g.index))
               for g in derivation.gradients if not g.case]
    return step_checks(problem, chains, RTOL)


def step_checks(problem: str, chains: Sequence[tuple[str, str, Any, StepError]], tol: float
                 ) -> list[Check]:
    """A check for every step of each chain (label, wrt, steps, error of a step from the one
    before it)."""
    checks = []
    for label, wrt, steps, error in chains:
        for before, after in zip(steps, steps[1:], strict=False):
            err = error(before, after)
            checks.append(Check(f"{problem}: trace", f"{label}: {after.rule}", wrt, "exact", err,
                                tol, bool(err <= tol), None))
    return checks
