"""The problems derive knows, as data: a loss and its title. Adding one does not touch the engine.

Kept free of SymPy at import time, so `derive --help` and `derive list` stay fast.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Loss


@dataclass(frozen=True)
class Problem:
    name: str
    title: str
    summary: str
    make_loss: Callable[[], Loss]


def _naive_softmax() -> Loss:
    from . import engine

    return engine.Loss("naive-softmax", engine.neg_log_softmax(), engine.Softmax(engine.logit))


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem("naive-softmax", "Naive-softmax loss",
                "J = -log ŷ_o with ŷ = softmax(Uᵀv_c); gradients in v_c, U and u_w",
                _naive_softmax),
    )
}


class UnknownProblem(ValueError):
    """A problem name that is not in PROBLEMS."""


def get(name: str) -> Problem:
    """The problem called `name`; the error lists the known ones."""
    try:
        return PROBLEMS[name]
    except KeyError:
        known = ", ".join(sorted(PROBLEMS))
        raise UnknownProblem(f"unknown problem {name!r}; known problems: {known}") from None
