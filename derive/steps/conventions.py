"""Readings of a whole text that change what its names mean, each said in the verdicts of the
steps it touches: a 0 typed for the index o, and a U declared with the u_w as its rows."""
from __future__ import annotations

import re
from dataclasses import replace

from . import vocabulary as vocab
from .document import Step
from .nodes import Node, Obj, children

# A word numbered 0 in a text that numbers no word 0 — u_0, \hat{y}_0, the case "w \neq 0" —
# is an o typed as a zero. It is read as o only when nothing in the text counts words from 0
# (\sum_{w=0}, "0, 1, …"), and each step that writes it says so.
_ZERO_INDEX = re.compile(r"(?:\b[uy]|\\hat\s*\{\s*y\s*\}|\})\s*_\s*(?:0(?![0-9.])|\{\s*0\s*\})"
                         r"|(?<![\w\\])w\s*(?:=|\\neq?(?![a-z])|!=|≠)\s*0(?![0-9.])")
_FROM_ZERO = re.compile(r"\\(?:sum|prod)\s*(?:\\limits\s*)?_\s*\{?\s*[a-z]'?\s*=\s*0(?![0-9.])"
                        r"|\b0\s*,\s*1\s*,|\b(?:zero|0)[- ]index"
                        r"|index(?:ed)? (?:from|at) (?:0|zero)",
                        re.IGNORECASE)
ZERO_NOTE = ("0 read as the index o: the text numbers no word 0 (--alias 0=0 reads it as "
             "written)")


def zero_is_o(text: str, aliases: vocab.Aliases) -> bool:
    """Whether the 0s `text` writes as a word's index are typed o's (see _ZERO_INDEX)."""
    return "0" not in aliases.table and bool(_ZERO_INDEX.search(text)) and \
        not _FROM_ZERO.search(text)


def writes_zero_index(text: str) -> bool:
    return bool(_ZERO_INDEX.search(text))



# U declared |V|×d, its rows the u_w — U ∈ ℝ^{|V|×d}, "U: matrix of shape (vocab_size,
# embedding_dim)", as the assignment's code stores it — where the handout's U is d×|V|.
_U = r"(?:\\(?:mathbf|bm|boldsymbol|mathit)\s*\{\s*U\s*\}|\\pmb\s*\{?\s*U\b\s*\}?|(?<![\\\w])U\b)"
_SHAPE = re.compile(_U + r"[^\n]{0,60}?(?:(?:\\mathbb\s*\{\s*R\s*\}|\\R\b|ℝ|\bR)\s*\^\s*"
                    r"\{(?P<a>[^{}]+?)(?:\\times|×|\*|,)(?P<b>[^{}]+?)\}"
                    r"|\((?P<c>[^(),]+),(?P<d>[^(),]+)\))")
_VOCAB = re.compile(r"^\s*(?:\|\s*V\s*\||V|\\lvert\s*V\s*\\rvert"
                    r"|\|?\s*(?:\\text\s*\{)?\s*vocab\w*\}?\s*\|?|vocab_size|n_words)\s*$",
                    re.IGNORECASE)
_DIM = re.compile(r"^\s*(?:d|D|n|N|k|embed\w*|dim\w*|emb\w*)\s*$")
U_ROWS_NOTE = ("U read as |V|×d, its rows the u_w, as the text declares it (shown as the "
               "handout's d×|V| U)")


def u_rows(text: str) -> bool:
    """Whether the text declares U |V|×d (and never d×|V|)."""
    found = set()
    for m in _SHAPE.finditer(text):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
        if _VOCAB.match(a) and _DIM.match(b):
            found.add("rows")
        elif _DIM.match(a) and _VOCAB.match(b):
            found.add("columns")
    return found == {"rows"}


def noted(steps: list[Step], lines: list[str], zero: bool, rows: bool) -> list[Step]:
    """Each judged step a reading touched, with the reading said."""
    out = []
    for s in steps:
        notes = [s.note] if s.note else []
        if s.kind == "step" and zero and writes_zero_index("\n".join(
                lines[(s.left.line if s.left else s.line) - 1:s.line])):
            notes.append(ZERO_NOTE)
        if s.kind == "step" and rows and any(_has_u(side.node) for side in (s.left, s.right)
                                             if side is not None):
            notes.append(U_ROWS_NOTE)
        out.append(replace(s, note="; ".join(notes)) if notes != ([s.note] if s.note else [])
                   else s)
    return out


def _has_u(node: Node) -> bool:
    return node == Obj("U") or any(_has_u(c) for c in children(node))
