"""The handout object a name denotes once it is read and normalised (u_w, ŷ_o, U_{i,j}, x_i, …),
the transposes students write, and the macros our handouts define."""
from __future__ import annotations

import functools

from . import vocabulary as vocab
from .lexer import ReadError, Token
from .nodes import Column, Const, Delta, Node, Obj, Pick, Ref, Size


def _is_transpose(tokens: list[Token]) -> bool:
    """^\\top, ^T, ^{\\intercal}, ^{\\mathsf{T}}, ^{\\mathrm{T}}."""
    text = "".join(t.shown() for t in tokens if not t.is_char("{", "}"))
    return text in ("\\top", "T", "\\intercal", "\\mathsf T", "\\mathsfT", "\\mathrmT",
                    "\\mathbfT", "\\textT", "\\textsfT", "\\textsf T", "\\text T")


# The names of the macros our handouts define (notation.MACROS, which loads SymPy, holds their
# bodies): a command not among them is unknown without loading it. tests/steps/test_names.py
# keeps the two equal.
HANDOUT_MACRO_NAMES = frozenset({"vc", "U", "uw", "uo", "yhat", "y", "uk", "Uneg", "vw"})


@functools.cache
def handout_macros() -> dict[str, str]:
    """\\vc, \\uw, \\yhat, …: the macros our handouts define, as notation states them."""
    from ..notation import MACROS  # loads SymPy: only when a macro is met

    return dict(MACROS)


def resolve(name: str, written: str, tok: Token, bound: frozenset[str] = frozenset()) -> Node:
    """The handout object a (normalised, aliased) name denotes."""
    base, _, sub = name.partition("_")
    atoms = sub.split(",") if sub else []
    indices = all(vocab.is_index(a, bound) for a in atoms)
    if name == "v_c":
        return Obj("v_c")
    if base == "v" and len(atoms) == 1 and atoms[0] not in ("c", "o") \
            and vocab.is_index(atoms[0]) and atoms[0] not in bound:
        return Obj("v_w")  # v_w: the centre vector of another word (w ≠ c), as in skip-gram
    if name == "U_neg":
        return Obj("U_neg")
    if base in ("U", "y", r"\hat{y}", "n") and not atoms:
        return Obj(base)
    if base == "U" and len(atoms) == 2 and indices:
        return Pick(Obj("U"), tuple(atoms))
    if base in ("y", r"\hat{y}", "n") and len(atoms) == 1 and indices:
        return Pick(Obj(base), tuple(atoms))
    if base == vocab.COLUMN_BASE and len(atoms) == 1 and indices:
        return Column(atoms[0])
    if name == "x":
        return Obj("x")
    if base == "x" and len(atoms) == 1 and indices:
        return Pick(Obj("x_vec"), (atoms[0],))  # x_i: an entry of a vector x (σ(x_i))
    if name in vocab.CONSTANTS:
        return Const(name)
    if name in vocab.SIZES:
        return Size(name)
    if base == "J" or name in ("e", "P"):
        return Ref(name)
    if base == r"\delta" and len(atoms) == 2 and indices:
        return Delta(atoms[0], atoms[1])
    if vocab.is_index(name):
        raise ReadError(f"{name} is an index, not a value", tok.line, tok.col)
    raise vocab.unknown(written, tok.line, tok.col)
