"""What a derivation is made of: the loss it starts from, its steps, gradients and the whole trace.

A leaf: every stage after the engine (printing, codegen, verify, render) reads these records, and
this module imports nothing of derive's but the notation.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

from .. import notation as n

# Where every step of a derivation is checked, as a report states it.
CHECKED_AT = "(V, d) = " + ", ".join(f"({V}, {d})" for V, d in n.CHECK_SIZES)


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the expression (an entry, or the matrix form) and its rule."""

    expr: sp.Expr
    rule: str
    matrix: bool = False


@dataclass(frozen=True)
class Gradient:
    """∂J/∂(wrt): the steps that reach it, and its matrix form."""

    wrt: n.Obj
    index: tuple[sp.Symbol, ...]
    steps: tuple[Step, ...]
    case: str = ""

    @property
    def result(self) -> sp.MatrixExpr:
        return self.steps[-1].expr

    @property
    def name(self) -> str:
        """What the chain differentiates by: u_w for a column case of U, else the object."""
        return "u_w" if self.case and self.wrt is n.U else self.wrt.name

    @property
    def key(self) -> str:
        """The chain's name in rubrics and reports: "v_c", "U", "u_w (w = o)", …"""
        return f"{self.name} ({self.case})" if self.case else self.name


@dataclass(frozen=True)
class Softmax:
    """ŷ_x = exp(a(x)) / Σ_w′ exp(a(w′)) for logits a."""

    logit: Callable[[sp.Symbol], sp.Expr]
    base: sp.IndexedBase = n.y_hat.indexed

    def entry(self, x: sp.Expr) -> sp.Expr:
        return sp.exp(self.logit(x)) / sp.Sum(sp.exp(self.logit(n.w2)), (n.w2, 0, n.V - 1))


@dataclass(frozen=True)
class Loss:
    """A loss written with the notation's objects; `softmax` says what ŷ stands for."""

    name: str
    expr: sp.Expr
    softmax: Softmax | None
    wrt: tuple[n.Obj, ...] = (n.v_c, n.U)
    params: dict[sp.Symbol, float] = field(default_factory=dict)
    # ∂J/∂u_w in its two cases (w = o, w ≠ o), from ∂J/∂U: for losses where u_w meets only v_c.
    column_cases: bool = True
    # The loss of one (centre, outside) pair, when this loss sums it over a context window.
    pair: Loss | None = None
    # The objects a general loss declares (b ∈ ℝ^V, W ∈ ℝ^{V×d}, …): when given, the general
    # engine derives it, by any of them; and each index it names (o) with the size it runs over.
    objects: tuple[n.Obj, ...] = ()
    ranges: tuple[tuple[sp.Symbol, sp.Expr], ...] = ((n.o, n.V),)
    # Each family of indices it names (the K samples w_1, …, w_K: an IndexedBase of shape (K,))
    # with the size its entries run over (V).
    families: tuple[tuple[sp.IndexedBase, sp.Expr], ...] = ()


@dataclass(frozen=True)
class Derivation:
    loss: Loss
    loss_steps: tuple[Step, ...]
    gradients: tuple[Gradient, ...]
    checked_at: str = CHECKED_AT

    def _repr_latex_(self) -> str:
        """Jupyter shows the derivation typeset: every chain, one under the other.

        The one import against the pipeline's direction, and inside this hook only: the records
        are a leaf that render reads, and Jupyter asks the record itself how it looks."""
        from ..render.report import chains, rule_text

        blocks = [" \\\\\n".join(rf"{r.lhs} &= {r.rhs} && \text{{({rule_text(r.rule)})}}"
                                for r in rows)
                  for rows in chains(self).values()]
        return "$$\\begin{aligned}\n" + " \\\\[1em]\n".join(blocks) + "\n\\end{aligned}$$"
