"""`--problem LOSS.tex`: a bare J is the loss a loss file defines — read by the loss-file reader
(loss.read_scope: our grammar, nothing run) — when that loss is written in the objects the step
checker has values for: the handout's U, v_c, u_w, y and ŷ, and x, α, and constants the file
declares (λ > 0, 0 < ε < 1: vocabulary.FILE_CONSTANTS, each with a value of its own at every
point, which the answer's λ is too). Its names must be declared as a shipped loss file declares
them (U ∈ ℝ^{d×V}, …), a ŷ it defines must be the handout's, and its other definitions are
written out into J. A loss that needs an input of its own (b, W) is refused, naming it: the
checker has no values for it, and a J it cannot evaluate would leave every step unread."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from . import nodes as N  # the node classes, read as N.Obj, N.Ref
from .lexer import ReadError
from .loss import SHIPPED, read_scope
from .scope import Declared, Scope
from .vocabulary import FILE_CONSTANTS

# The objects the checker draws values for (numeric.obj, evaluate.obj), by their names.
CHECKABLE = frozenset({"U", "v_c", "U_neg", "x", "v_w", "x_vec", "n", r"\hat{y}", "y"})
HAT_Y = r"\hat{y}"
MAX_DEPTH = 32


@dataclass(frozen=True)
class FileLoss:
    name: str  # what the verdicts call the problem: the file's name
    node: N.Node  # J, in the checker's objects
    constants: frozenset[str] = frozenset()  # λ, …: the answer's λ is this constant too


def file_loss(text: str, name: str) -> FileLoss:
    """The loss of the loss file `text`, or ReadError saying why the checker cannot use it."""
    scope = read_scope(text)
    loss = scope.loss()
    if loss is None or loss.name != "J" or loss.function:
        raise ReadError("--problem reads a loss file that defines J (a function f(x) is a "
                        "built-in problem's: --problem sigmoid, leaky-relu)", 0, 0)
    for declared in scope.declared.values():
        _check_declared(declared)
    definitions = {d.name: d.formula for d in scope.definitions if d.name != "J"}
    if HAT_Y in definitions:
        if definitions.pop(HAT_Y) != _handout_y_hat():
            raise ReadError("this file defines ŷ otherwise than the handout (softmax(Uᵀv_c)); "
                            "check-steps reads ŷ as the handout's only", loss.token.line,
                            loss.token.col)
    node = _written_out(loss.formula, definitions, 0)
    _check_objects(node, loss.token.line, loss.token.col)
    constants = frozenset(d.name for d in scope.declared.values() if d.kind == "constant"
                          and d.name in FILE_CONSTANTS)
    return FileLoss(name, node, constants)


def _check_declared(declared: Declared) -> None:
    if declared.kind == "constant" and declared.name in FILE_CONSTANTS and \
            declared.bounds in (("0", ""), ("0", "1")):
        return  # λ > 0 or 0 < ε < 1: drawn in (0, 1), each its own
    shipped = _shipped_declarations().get(declared.name)
    if shipped is None or (shipped.kind, shipped.shape) != (declared.kind, declared.shape):
        shape = "×".join(declared.shape) or "a scalar"
        raise ReadError(f"this loss declares {declared.latex} ({declared.kind}, {shape}); "
                        "check-steps judges steps in the handout's objects (U ∈ ℝ^{d×V}, "
                        "v_c ∈ ℝ^d, o, y, ŷ, x, α, a constant such as λ > 0) and has no values "
                        "for it yet", 0, 0)


def _written_out(node: N.Node, definitions: dict[str, N.Node], depth: int) -> N.Node:
    """`node` with every definition of the file (other than ŷ and J) written in."""
    if depth > MAX_DEPTH:
        raise ReadError("the loss file's definitions are nested too deeply", 0, 0)
    if isinstance(node, N.Ref | N.Obj) and node.name in definitions:  # the file's name: z
        return _written_out(definitions[node.name], definitions, depth + 1)
    return N.rebuild(node, lambda child: _written_out(child, definitions, depth + 1))


def _check_objects(node: N.Node, line: int, col: int) -> None:
    """Every object of the loss is one the checker has values for."""
    if isinstance(node, N.Obj) and node.name not in CHECKABLE:
        raise ReadError(f"the loss uses {node.name}, which check-steps has no values for",
                        line, col)
    if isinstance(node, N.Const) and node.name != r"\alpha" and node.name not in FILE_CONSTANTS:
        raise ReadError(f"the loss uses the constant {node.name}, which check-steps has no "
                        "values for", line, col)
    if isinstance(node, N.Ref):
        raise ReadError(f"the loss uses {node.name}, which the file does not define", line, col)
    if type(node).__module__ != N.__name__:  # the loss files' own nodes (𝟏, a window's sum)
        raise ReadError(f"the loss uses {type(node).__name__.lower()}, which check-steps does "
                        "not evaluate", line, col)
    for child in N.children(node):
        _check_objects(child, line, col)


@functools.cache
def _shipped_scopes() -> tuple[Scope, ...]:
    return tuple(read_scope(path.read_text(encoding="utf-8"))
                 for path in sorted(SHIPPED.glob("*.tex")))


@functools.cache
def _shipped_declarations() -> dict[str, Declared]:
    """Each name a shipped loss file declares, as it declares it."""
    out: dict[str, Declared] = {}
    for scope in _shipped_scopes():
        for name, declared in scope.declared.items():
            out.setdefault(name, declared)
    return out


@functools.cache
def _handout_y_hat() -> N.Node | None:
    for scope in _shipped_scopes():
        found = scope.defined(HAT_Y)
        if found is not None:
            return found.formula
    return None
