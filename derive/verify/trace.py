"""verify's checks of the derivations themselves: every step of each trace at the run's points
(not the derivation's own, so a step wrong only away from those fails), and the scalar problems'
derivatives against differences of J. NumPy only: the steps come printed (compiled.Compiled)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import problems
from . import gradcheck, values
from .compiled import Compiled
from .report import Check
from .values import At

RTOL_STEP = 1e-9


def trace_checks(problem: str, record: Compiled, at: At) -> list[Check]:
    """A check for every step of each chain of the trace, at `at` (the run's points)."""
    return [Check(f"{problem}: trace", f"{chain.label}: {rule}", chain.wrt, "exact", err,
                  RTOL_STEP, bool(err <= RTOL_STEP), None)
            for chain, rule, err in record.step_errors(at)]


def scalar_checks(problem: problems.Problem, record: Compiled, seed: int,
                  progress: Callable[[str], None]) -> list[Check]:
    """dJ/dx, as derived, against central differences of J at random x (away from Leaky ReLU's
    kink at 0) and α; then every step of the trace."""
    rng = np.random.default_rng(seed)
    xs = rng.uniform(0.1, 4, 16) * rng.choice([-1.0, 1.0], 16)
    alpha = rng.uniform(0.05, 0.95, 16)
    J, dJ = record.forms["J"], record.forms["dJ"]
    if not isinstance(J, values.Fn) or not isinstance(dJ, values.Fn):
        raise TypeError(f"{problem.name} was printed without its scalar functions")
    h = gradcheck.H
    numeric = (J(xs + h, alpha) - J(xs - h, alpha)) / (2 * h)
    errors = gradcheck.relative_error(np.broadcast_to(dJ(xs, alpha), xs.shape), numeric)
    err = float(errors.max())
    progress(f"{problem.name}: derived expression and trace")
    (text,) = record.texts.values()
    checks = [Check(f"{problem.name}: derived expression", "dJ/dx = " + text,
                    "x", "coordinate", err, gradcheck.TOL64, bool(err <= gradcheck.TOL64),
                    (int(errors.argmax()),))]
    if record.points is None:
        raise TypeError(f"{problem.name} was printed without its points")
    return checks + trace_checks(problem.name, record, values.At(record.points, seed))
