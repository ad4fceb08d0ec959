"""The fast evaluator: the value of a formula at a point, against the exact evaluator's."""
from __future__ import annotations

import numpy as np
import pytest

from derive.steps import evaluate as exact
from derive.steps import exactvalues, numeric
from derive.steps.lexer import tokenize
from derive.steps.numeric import At, EvalError, NotChecked
from derive.steps.points import Point, draw
from derive.steps.syntax import parse_side
from derive.steps.verdict import sizes_of
from derive.steps.vocabulary import Aliases

FORMULAS = [
    r"U(\hat{y} - y)",
    r"\frac{\partial}{\partial U} \log \sum_w \exp(u_w^\top v_c)",
    r"\frac{\partial}{\partial v_c} \sigma(-u_o^\top v_c)",
    r"\frac{\partial}{\partial u_w} \left(-\log \hat{y}_o\right)",
    r"\frac{\partial}{\partial U_{j,w}} \|U^\top v_c\|^2",
    r"\frac{\partial}{\partial x} \max(x, \alpha x)",
    r"\sum_{k=1}^{K} \sigma'(u_k^\top v_c) u_k",
    r"\frac{\partial}{\partial v_c} \hat{y}",
]


def side(latex: str):  # type: ignore[no-untyped-def]
    return parse_side(tokenize(latex), Aliases())


def both(latex: str, indices: dict[str, tuple[int, str]], layout: str = "denominator"
         ) -> tuple[np.ndarray, np.ndarray]:
    sizes = sizes_of(4, 3, 2)
    world = exactvalues.World.of(4, 3, 2)
    here = exactvalues.point(world, np.random.default_rng(3), 1)
    env = exactvalues.Env(world, indices, {}, layout, {}).at(here, 1)
    want = np.array(exact.evaluate(side(latex), env).evalf(30).tolist(), dtype=float)
    at = At(Point(sizes, draw(sizes, np.random.default_rng(3), 1), 1), indices, {},
            layout, {})
    return numeric.evaluate(side(latex), at).v, want


@pytest.mark.parametrize("layout", ["denominator", "numerator"])
@pytest.mark.parametrize("latex", FORMULAS)
def test_values_and_derivatives_are_the_exact_ones(latex: str, layout: str) -> None:
    got, want = both(latex, {"o": (1, "V"), "w": (2, "V"), "j": (0, "d")}, layout)
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("latex", "error", "message"), [
    (r"u_o + v_c^\top", EvalError, r"^cannot add \(d,\) and \(1, d\)$"),
    (r"U v_c", EvalError, r"^cannot multiply \(d, V\) by \(d,\)$"),
    (r"\frac{\partial U}{\partial U}", NotChecked,
     r"^the derivative of \(d, V\) with respect to \(d, V\) is not worked out here$"),
    (r"\max(u_o, v_c)", EvalError, "^max of vectors$"),
])
def test_errors_are_the_exact_evaluators(latex: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        both(latex, {"o": (1, "V")})
