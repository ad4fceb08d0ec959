"""Which problem's loss a bare J is, from what one part of an answer writes.

A part that never defines J, never names its loss (J_{neg-sample}) and never states it
(∂J/∂v_c = ∂/∂v_c (…)) may still say which problem it answers by what it is written in: ŷ and
U are the naive-softmax loss's (its loss file defines ŷ = softmax(Uᵀv_c)), σ and a Σ to K the
negative-sampling loss's. Each problem's *signature* is read from its shipped loss file — the
names it declares and defines and the functions and sizes its formulas use — so no problem
is special here. Problems whose losses are the same function (naive softmax and cross-entropy)
are one hypothesis. A part's evidence is what it uses of the features that tell the problems
apart; J is bound only when that evidence is not empty and fits exactly one hypothesis. Mixed
or no evidence binds nothing, and the step stays "not read", as before.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence

from .nodes import Column, Func, Node, Obj, Sum, children

# Whether two losses are the same function (check.decide says, at the checker's points).
SameLoss = Callable[[Node, Node], bool]


def features(node: Node) -> set[str]:
    """What a formula is written in: its objects (ŷ, U, y), the columns of U_neg it uses, its
    functions (f:sigma) and the sizes its sums run to (size:K). A column u_o or u_w says nothing:
    every problem has one."""
    out: set[str] = set()
    if isinstance(node, Obj):
        out.add(node.name)
    elif isinstance(node, Column) and ":" in node.index:
        out.add(node.index.partition(":")[0])  # U_neg:k, a negative sample
    elif isinstance(node, Func):
        out.add(f"f:{node.name}")
    elif isinstance(node, Sum) and node.size is not None:
        out.add(f"size:{node.size}")
    for child in children(node):
        out |= features(child)
    return out


@functools.cache
def signature(problem: str) -> frozenset[str]:
    """The features of a problem's shipped loss file: declared and defined names, and what
    the formulas of its definitions are written in."""
    from .loss import SHIPPED, read_scope

    scope = read_scope((SHIPPED / f"{problem}.tex").read_text(encoding="utf-8"))
    out = {name for name, d in scope.declared.items() if d.kind != "index"}
    for definition in scope.definitions:
        if definition.name != "J":
            out.add(definition.name)
        out |= features(definition.formula)
    return frozenset(out)


def hypotheses(problems: Sequence[str], same: SameLoss,
               loss: Callable[[str], Node]) -> list[tuple[str, frozenset[str]]]:
    """The problems grouped by loss: each group's first problem and its members' features."""
    groups: list[tuple[str, frozenset[str]]] = []
    for problem in problems:
        for n, (first, feats) in enumerate(groups):
            if same(loss(first), loss(problem)):
                groups[n] = (first, feats | signature(problem))
                break
        else:
            groups.append((problem, signature(problem)))
    return groups


def infer(nodes: Iterable[Node], groups: list[tuple[str, frozenset[str]]]
          ) -> tuple[str, str] | None:
    """The problem the formulas `nodes` of one part are written in, and the features that
    say so (for the report) — or None when they say nothing or fit more than one."""
    if len(groups) < 2:
        return None
    shared = frozenset.intersection(*(feats for _, feats in groups))
    telling = frozenset.union(*(feats for _, feats in groups)) - shared
    used: set[str] = set()
    for node in nodes:
        used |= features(node) & telling
    if not used:
        return None
    fits = [first for first, feats in groups if used <= feats]
    if len(fits) != 1:
        return None
    return fits[0], ", ".join(sorted(_shown(f) for f in used))


def _shown(feature: str) -> str:
    kind, _, name = feature.partition(":")
    if kind == "f":
        return {"sigma": "σ"}.get(name, name)
    if kind == "size":
        return f"a sum to {name}"
    return {r"\hat{y}": "ŷ"}.get(feature, feature)
