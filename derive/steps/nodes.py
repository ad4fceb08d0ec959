"""The tree a side of a step is read into: what the student wrote, with names already resolved to
the handout's objects. Frozen, so a label or a definition can share a subtree safely."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class Node:
    """A formula."""


@dataclass(frozen=True)
class Num(Node):
    value: str


@dataclass(frozen=True)
class Obj(Node):
    """A whole object of the handout (notation.py): U, v_c, y, \\hat{y}, U_neg, x, n (counts)."""
    name: str


@dataclass(frozen=True)
class Const(Node):
    name: str


@dataclass(frozen=True)
class Size(Node):
    name: str


@dataclass(frozen=True)
class Column(Node):
    """u_<index>: column `index` of U, or of U_neg when the index counts negative samples."""
    index: str


@dataclass(frozen=True)
class Pick(Node):
    """An entry: ŷ_w, U_{j,o}, (v_c)_j."""
    of: Node
    indices: tuple[str, ...]


@dataclass(frozen=True)
class Ref(Node):
    """A name bound by a definition earlier in the file (J, J_{naive-softmax})."""
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Delta(Node):
    a: str
    b: str


@dataclass(frozen=True)
class Neg(Node):
    a: Node


@dataclass(frozen=True)
class Add(Node):
    terms: tuple[Node, ...]


@dataclass(frozen=True)
class Mul(Node):
    factors: tuple[Node, ...]
    ops: tuple[str, ...]  # between factors: "" (juxtaposition), "·" or "×"


@dataclass(frozen=True)
class Div(Node):
    num: Node
    den: Node


@dataclass(frozen=True)
class Pow(Node):
    base: Node
    exp: Node


@dataclass(frozen=True)
class Transpose(Node):
    a: Node


@dataclass(frozen=True)
class Func(Node):
    name: str  # exp, log, sigma, abs, norm, softmax
    arg: Node


@dataclass(frozen=True)
class Max(Node):
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Sum(Node):
    """Σ over `index`, which runs over the size `size` (None: inferred from its use) except
    the value of `exclude` (Σ_{w ≠ o}); an `exclude` of "=o" keeps that one term (Σ_{w = o})."""
    index: str
    size: str | None
    body: Node
    exclude: str | None = None


@dataclass(frozen=True)
class Deriv(Node):
    """∂body/∂var; `operator` when written ∂/∂var (…), which is how a label names it."""
    body: Node
    var: Node
    operator: bool = True


@dataclass(frozen=True)
class IndexRel(Node):
    a: str
    op: str  # "=" or "≠"
    b: str


@dataclass(frozen=True)
class ValueRel(Node):
    a: Node
    op: str  # <, >, ≤, ≥
    b: Node


@dataclass(frozen=True)
class Cases(Node):
    """{value if condition; …; value otherwise} (condition None)."""
    pieces: tuple[tuple[Node, Node | None], ...]


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Pick(of=of):
            return (of,)
        case Neg(a=a) | Transpose(a=a) | Func(arg=a):
            return (a,)
        case Add(terms=ts):
            return ts
        case Mul(factors=fs):
            return fs
        case Div(num=a, den=b) | Pow(base=a, exp=b) | ValueRel(a=a, b=b):
            return (a, b)
        case Max(args=args):
            return args
        case Sum(body=body):
            return (body,)
        case Deriv(body=body, var=var):
            return (body, var)
        case Cases(pieces=pieces):
            return tuple(n for piece in pieces for n in piece if n is not None)
    return ()


def last_operator(node: Node) -> Deriv | None:
    """The last ∂/∂x (…) written in `node`: what a label such as ③ at the end of a line names
    when the line still has a derivative left to work out."""
    if isinstance(node, Deriv) and node.operator:
        return node
    found: Deriv | None = None
    for child in children(node):
        inner = last_operator(child)
        if inner is not None:
            found = inner
    return found


def rebuild(node: Node, change: Callable[[Node], Node]) -> Node:
    """`node` with `change` applied to each child (a node without children is returned)."""
    fields: dict[str, object] = {}
    for name, value in vars(node).items():
        if isinstance(value, Node):
            fields[name] = change(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            fields[name] = tuple(change(v) for v in value)
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
            fields[name] = tuple(tuple(change(x) if isinstance(x, Node) else x for x in v)
                                 for v in value)
        else:
            fields[name] = value
    return type(node)(**fields)
