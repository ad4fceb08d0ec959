"""The tree a side of a step is read into: what the student wrote, with names already resolved to
the handout's objects. Frozen, so a label or a definition can share a subtree safely."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from fractions import Fraction
from typing import TypeVar, dataclass_transform


class Node:
    """A formula."""


_N = TypeVar("_N", bound=type[Node])


@dataclass_transform(frozen_default=True)
def node_class(cls: _N) -> _N:
    """A frozen dataclass whose hash is worked out once: checking a step looks values up by
    node thousands of times, and a dataclass hashes its whole subtree on every lookup."""
    dataclass(frozen=True)(cls)  # made a dataclass in place
    computed = cls.__hash__

    def __hash__(self: Node) -> int:  # noqa: N807 — the dataclass's own hash, remembered
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            h = computed(self)
            object.__setattr__(self, "_hash", h)  # frozen: set once, never changed
            return h

    cls.__hash__ = __hash__  # type: ignore[assignment]
    return cls


@node_class
class Num(Node):
    value: str


@node_class
class Obj(Node):
    """A whole object of the handout (notation.py): U, v_c, y, \\hat{y}, U_neg, x, n (counts).
    A `word` is the window index whose word y is the one-hot vector of (y_{w_{t+j}})."""
    name: str
    word: str | None = None


@node_class
class Const(Node):
    name: str


@node_class
class Size(Node):
    name: str


@node_class
class Column(Node):
    """u_<index>: column `index` of U, or of U_neg when the index counts negative samples."""
    index: str


@node_class
class Pick(Node):
    """An entry: ŷ_w, U_{j,o}, (v_c)_j."""
    of: Node
    indices: tuple[str, ...]


@node_class
class Ref(Node):
    """A name bound by a definition earlier in the file (J, J_{naive-softmax}). An argument
    "o=t+j" (J(v_c, w_{t+j}, U) in a window sum) is the definition with o = the word w_{t+j}."""
    name: str
    args: tuple[str, ...] = ()

    @property
    def outside(self) -> str | None:
        """The window index whose word is this loss's outside word, if one is."""
        return next((a[2:] for a in self.args if a.startswith("o=")), None)


@node_class
class Delta(Node):
    a: str
    b: str


@node_class
class Neg(Node):
    a: Node


@node_class
class Add(Node):
    terms: tuple[Node, ...]


@node_class
class Mul(Node):
    factors: tuple[Node, ...]
    ops: tuple[str, ...]  # between factors: "" (juxtaposition), "·" or "×"


@node_class
class Div(Node):
    num: Node
    den: Node


@node_class
class Pow(Node):
    base: Node
    exp: Node


@node_class
class Transpose(Node):
    a: Node


@node_class
class Func(Node):
    name: str  # exp, log, sigma, abs, norm, softmax
    arg: Node


@node_class
class Max(Node):
    args: tuple[Node, ...]


@node_class
class Sum(Node):
    """Σ over `index`, which runs over the size `size` (None: inferred from its use) except
    the value of `exclude` (Σ_{w ≠ o}); an `exclude` of "=o" keeps that one term (Σ_{w = o}).

    A `window` sum is skip-gram's Σ_{-m ≤ j ≤ m, j ≠ 0} over the outside words w_{t+j} of a
    context window: `index` (t+j) runs over the vocabulary, each word's term counted as often as
    the word is in the window (points.counts: words absent, once and repeated), and a loss
    J(v_c, w_{t+j}, U) in the body is the pair loss with o = that word (Ref.args "o=t+j")."""
    index: str
    size: str | None
    body: Node
    exclude: str | None = None
    window: bool = False


@node_class
class Stacked(Node):
    """[body at index = 1, …, body at index = size]: a matrix whose columns are the body at each
    value of `index` — ∂J/∂U written [∂J/∂u_1 ⋯ ∂J/∂u_{|V|}]."""
    index: str
    size: str
    body: Node


@node_class
class Deriv(Node):
    """∂body/∂var; `operator` when written ∂/∂var (…), which is how a label names it."""
    body: Node
    var: Node
    operator: bool = True


@node_class
class IndexRel(Node):
    a: str
    op: str  # "=" or "≠"
    b: str


@node_class
class ValueRel(Node):
    a: Node
    op: str  # <, >, ≤, ≥
    b: Node


@node_class
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
        case Sum(body=body) | Stacked(body=body):
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
    changed: dict[str, object] = {}
    for name, value in ((f.name, getattr(node, f.name)) for f in fields(node)):  # type: ignore[arg-type]
        if isinstance(value, Node):
            changed[name] = change(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            changed[name] = tuple(change(v) for v in value)
        elif isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
            changed[name] = tuple(tuple(change(x) if isinstance(x, Node) else x for x in v)
                                  for v in value)
        else:
            changed[name] = value
    return type(node)(**changed)


def is_zero_literal(node: Node) -> bool:
    """A 0 written as a number (0, 0.0, −0): a term a sum may drop."""
    if isinstance(node, Neg):
        return is_zero_literal(node.a)
    return isinstance(node, Num) and Fraction(node.value) == 0


def is_written_zero(node: Node) -> bool:
    """A side that is the bare number 0 (or 0.0), taking the other side's shape: U(ŷ − y) = 0."""
    return isinstance(node, Num) and node.value in ("0", "0.0")
