"""A formula written through an intermediate the text defined (θ = Uᵀv_c, z = u_oᵀv_c): its
definitions expanded, ŷ as softmax(Uᵀv_c), and each occurrence of the intermediate's formula
replaced by the intermediate itself — which is what ∂J/∂θ differentiates. No SymPy here."""
from __future__ import annotations

from collections.abc import Mapping

from . import nodes as N  # the node classes, read as N.Sum, N.Deriv
from .indices import free_indices

# ŷ, as the handout defines it: softmax(Uᵀv_c)
Y_HAT = N.Func("softmax", N.Mul((N.Transpose(N.Obj("U")), N.Obj("v_c")), ("",)))
# What a formula must not mention once written through θ, for ∂/∂θ to mean one thing
VARIABLE_OBJECTS = frozenset({"U", "v_c", "U_neg", "x", r"\hat{y}"})
MAX_DEPTH = 40


def leaf(name: str) -> N.Obj:
    """The intermediate itself, as an object of its own."""
    return N.Obj(f"@{name}")


def written_through(body: N.Node, name: str, definitions: Mapping[str, N.Node]
                    ) -> N.Node | None:
    """`body` as a formula of `name` alone — or None when it still depends on U, v_c, … in
    some other way (then ∂body/∂name would depend on how one chose to write it), or when a Σ
    inside it binds an index the intermediate's own formula uses."""
    target = expand(definitions[name], definitions, keep=None)
    if target is None:
        return None
    out = expand(body, definitions, keep=name)
    if out is None:
        return None
    out = _replace(out, target, leaf(name))
    inner = free_indices(target)
    if _mentions_variable(out) or _sum_binds(out, inner):
        return None
    return out


def expand(node: N.Node, definitions: Mapping[str, N.Node], *, keep: str | None,
           depth: int = 0) -> N.Node | None:
    """`node` with every definition written out and ŷ as softmax(Uᵀv_c); `keep` becomes the
    intermediate's own object. None for a definition used before it is made, or too deep."""
    if depth > MAX_DEPTH:
        return None
    match node:
        case N.Ref(name=name) if name == keep:
            return leaf(name)
        case N.Ref(name=name):
            if name not in definitions or node.outside is not None:
                return None  # a window's J(v_c, w_{t+j}, U) is not written through θ
            return expand(definitions[name], definitions, keep=keep, depth=depth + 1)
        case N.Obj(name=r"\hat{y}"):
            return Y_HAT
    failed = False

    def each(child: N.Node) -> N.Node:
        nonlocal failed
        got = expand(child, definitions, keep=keep, depth=depth + 1)
        if got is None:
            failed = True
            return child
        return got

    out = N.rebuild(node, each)
    return None if failed else out


def _replace(node: N.Node, target: N.Node, by: N.Node) -> N.Node:
    if node == target:
        return by
    return N.rebuild(node, lambda child: _replace(child, target, by))


def _mentions_variable(node: N.Node) -> bool:
    match node:
        case N.Obj(name=name) if name in VARIABLE_OBJECTS:
            return True
        case N.Column() | N.Const() | N.Deriv():
            return True
    return any(_mentions_variable(c) for c in N.children(node))


def _sum_binds(node: N.Node, indices: set[str]) -> bool:
    if isinstance(node, N.Sum) and node.index in indices:
        return True
    return any(_sum_binds(c, indices) for c in N.children(node))
