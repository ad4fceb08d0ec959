"""The chain rule through a vector for a matrix (contraction.py): g ∂θ/∂U and ∂θ/∂U g are
Σ_i g_i ∂θ_i/∂U; such an array anywhere else is unchecked, never multiplied as a matrix."""
from __future__ import annotations

import pytest

from derive.steps.contraction import Judge, product
from derive.steps.nodes import Deriv, Obj

THETA = Deriv(Obj("y"), Obj("U"))  # stands for ∂θ/∂U: a three-way array of 3 rows


class Unchecked(Exception):
    pass


def judge() -> Judge[object, str]:
    values = {Obj("g"): ("vec", 3), Obj("h"): ("vec", 2), Obj("s"): ("num", 1)}
    return Judge(value=lambda n: values[n],  # type: ignore[index]
                 multiply=lambda a, b, op: ("prod", a, b, op),
                 array=lambda d: ("A", 3) if d == THETA else None,
                 contract=lambda g, a: ("contracted", g, a),
                 length=lambda m: m[1] if m[0] == "vec" else None,  # type: ignore[index]
                 unchecked=lambda d: Unchecked())


def test_a_vector_on_either_side_contracts_the_array() -> None:
    g = ("vec", 3)
    assert product([Obj("g"), THETA], [""], judge()) == ("contracted", g, "A")
    assert product([THETA, Obj("g")], ["·"], judge()) == ("contracted", g, "A")
    # what comes after the contraction multiplies its value as usual
    assert product([Obj("g"), THETA, Obj("s")], ["", ""], judge()) == (
        "prod", ("contracted", g, "A"), ("num", 1), "")


@pytest.mark.parametrize(("factors", "ops"), [
    ([THETA], []),                      # alone
    ([Obj("h"), THETA], [""]),          # a vector of another length
    ([Obj("g"), THETA], ["∘"]),         # an entrywise product
    ([Obj("s"), THETA], [""]),          # a number is no vector
])
def test_the_array_anywhere_else_is_unchecked(factors, ops) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Unchecked):
        product(factors, ops, judge())
