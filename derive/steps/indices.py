"""Which word and entry indices a formula leaves free, the size each runs over, and every value
they take at one size. Shared by the numeric and the exact evaluator; no SymPy here."""
from __future__ import annotations

from collections.abc import Mapping
from itertools import product

from . import nodes as N  # the node classes, read as N.Sum, N.Deriv
from . import vocabulary as vocab


def free_indices(node: N.Node, bound: frozenset[str] = frozenset(),
                 definitions: Mapping[str, N.Node] | None = None) -> set[str]:
    """The word and entry indices `node` leaves free (not bound by a Σ), o included."""
    match node:
        case N.Column(index=i):
            return {i} - bound
        case N.Pick(of=of, indices=idx):
            return (set(idx) - bound) | free_indices(of, bound, definitions)
        case N.Delta(a=a, b=b) | N.IndexRel(a=a, b=b):
            return {a, b} - bound
        case N.Obj(name="y", word=word):
            return {word or "o"} - bound
        case N.Sum(index=i, body=body, exclude=ex):
            inner = free_indices(body, bound | {i}, definitions)
            return inner | ({ex.lstrip("=")} - bound if ex else set())
        case N.Stacked(index=i, body=body):
            return free_indices(body, bound | {i}, definitions)
        case N.Ref(name=name) if definitions and name in definitions:
            inner = free_indices(definitions[name], bound, definitions)
            if node.outside is None:
                return inner
            return (inner - {"o"}) | ({node.outside} - bound)  # J(v_c, w_{t+j}, U)
        case N.Cases(pieces=pieces):
            out: set[str] = set()
            for value, cond in pieces:
                out |= free_indices(value, bound, definitions)
                if cond is not None:
                    out |= free_indices(cond, bound, definitions)
            return out
    out = set()
    for child in N.children(node):
        out |= free_indices(child, bound, definitions)
    return out


def ranges(node: N.Node) -> dict[str, str]:
    """The size each index runs over, from how it is used: U_{j,k} has k ∈ V, (U_neg)_{j,k} has
    k ∈ K, (v_c)_j has j ∈ d; u_k alone does not say."""
    out: dict[str, str] = {}

    def visit(n: N.Node) -> None:
        match n:
            case N.Pick(of=N.Obj(name=name), indices=idx):
                shape = {"U": ("d", "V"), "U_neg": ("d", "K"), "v_c": ("d",), "y": ("V",),
                         r"\hat{y}": ("V",), "n": ("V",), "x_vec": ("d",)}.get(name, ())
                for i, size in zip(idx, shape, strict=False):
                    out.setdefault(i, size)
            case N.Pick(of=N.Column(), indices=idx):
                out.setdefault(idx[0], "d")
            case N.Delta(a=a, b=b) if "o" in (a, b):
                out.setdefault(b if a == "o" else a, "V")
            case N.Sum(index=i, size=size) | N.Stacked(index=i, size=size) if size:
                out.setdefault(i, size)
        for child in N.children(n):
            visit(child)

    visit(node)
    out["o"] = "V"
    return out


def assignments(indices: set[str], sizes: Mapping[str, str], world: Mapping[str, int]
                ) -> list[dict[str, tuple[int, str]]]:
    """Every value of every free index at this size (o always among them); `world` gives the
    sizes V, d, K."""
    names = sorted(indices | {"o"})
    spans = [range(world[sizes.get(i, vocab.default_range(i))]) for i in names]
    return [{i: (v, sizes.get(i, vocab.default_range(i))) for i, v in zip(names, vals,
                                                                             strict=True)}
            for vals in product(*spans)]


# The definitions, as a key compared exactly (never a bare hash: a collision must not make two
# different formulas share a value). The dict is kept, so its id cannot be reused meanwhile.
_DEFS: dict[int, tuple[Mapping[str, N.Node], tuple[tuple[str, N.Node], ...]]] = {}
_FREE: dict[tuple[N.Node, tuple[tuple[str, N.Node], ...]], frozenset[str]] = {}


def definitions_key(definitions: Mapping[str, N.Node]) -> tuple[tuple[str, N.Node], ...]:
    got = _DEFS.get(id(definitions))
    if got is None or got[0] is not definitions:
        if len(_DEFS) > 1000:
            _DEFS.clear()
        got = _DEFS[id(definitions)] = (definitions, tuple(sorted(definitions.items(),
                                                                  key=lambda kv: kv[0])))
    return got[1]


def free_of(node: N.Node, defs: tuple[tuple[str, N.Node], ...],
            definitions: Mapping[str, N.Node]) -> frozenset[str]:
    """free_indices, remembered: asked once per node and definitions, not once per value."""
    key = (node, defs)
    if key not in _FREE:
        if len(_FREE) > 50_000:
            _FREE.clear()
        _FREE[key] = frozenset(free_indices(node, definitions=definitions))
    return _FREE[key]


def shape_text(sizes: Mapping[str, int], shape: tuple[int, int]) -> str:
    """(d,) for a column, (1, d) for a row, `a scalar` for 1×1, sizes by name."""
    names = {n: k for k, n in sizes.items()}
    r, c = (names.get(n, str(n)) for n in shape)
    if shape == (1, 1):
        return "a scalar"
    return f"({r},)" if c == "1" else f"({r}, {c})"
