"""The rows of a display and what each says: a display split at \\\\ (aligned dropped, the
rows of cases kept whole), and a row cleaned of its labels, notes and layout and split at its
relations (Row). A line's `=` signs chain its sides; labels — (1), \\textcircled{2},
\\underbrace{…}_{(1)}, 1.a — and annotations — \\text{(chain rule)}, \\why{…}, everything after
a second & once the = is written — are set aside."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import vocabulary as vocab
from .document import INNER_ENVIRONMENTS
from .enumeration import over_a_range
from .lexer import ReadError, Token, group_end
from .marks import (
    _CHAIN,
    _TEXT,
    _is_formula_text,
    _numbered_label,
    _parenthesised_case,
    _skip_parenthesised,
    _text,
)

_SKIP = frozenset({"quad", "qquad", ",", ";", ":", "!", " ", "therefore", "because", "notag",
                   "nonumber", "displaystyle", "textstyle", "hfill", "enspace", "quad\n"})
_SKIP_WITH_GROUP = frozenset({"tag", "label", "why", "hspace", "vspace", "tag*"})
# The names of the two sides of what is to be shown: a label, never a formula.
SIDE_NAMES = {"lhs": "LHS", "rhs": "RHS", "l.h.s.": "LHS", "r.h.s.": "RHS"}
_UNCHECKED = frozenset({"approx", "neq", "ne", "leq", "le", "geq", "ge", "equiv", "propto",
                        "sim", "simeq", "lt", "gt"})


@dataclass
class Row:
    sides: list[list[Token]]
    relations: list[Token]
    labels_start: list[str] = field(default_factory=list)
    labels_end: list[str] = field(default_factory=list)
    condition: list[Token] | None = None
    braced: list[tuple[str, list[Token]]] = field(default_factory=list)


def rows(tokens: list[Token]) -> list[list[Token]]:
    """Split a display at \\\\ (outside braces and inner environments), dropping aligned."""
    out: list[list[Token]] = [[]]
    depth = envs = cases = 0
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.is_cmd("begin", "end") and depth == 0:
            name, after = _env_name(tokens, i + 1)
            if name in INNER_ENVIRONMENTS and t.text == "begin" and _after_open_brace(tokens, i):
                cases += 1  # kept whole, as a cases environment is
            elif name in INNER_ENVIRONMENTS and t.text == "end" and cases:
                cases -= 1
            elif name in INNER_ENVIRONMENTS:
                i = after
                if t.text == "begin" and [x.text for x in tokens[i:i + 3]] in (
                        ["[", "t", "]"], ["[", "b", "]"], ["[", "c", "]"]):
                    i += 3  # \begin{aligned}[t]: where it sits on the line, not a formula
                continue
            envs += 1 if t.text == "begin" else -1
        depth += t.is_char("{") - t.is_char("}")
        if t.is_cmd("\\") and depth == 0 and envs == 0:
            out.append([])
            i += 1
            if i < len(tokens) and tokens[i].is_char("["):  # \\[4pt]
                while i < len(tokens) and not tokens[i].is_char("]"):
                    i += 1
                i += 1
            continue
        out[-1].append(t)
        i += 1
    return [r for r in out if r]


def _after_open_brace(tokens: list[Token], i: int) -> bool:
    """Whether the \\begin at i opens just after \\left\\{: an aligned there is the rows of
    cases (y_w = \\left\\{\\begin{aligned} &1 && w = o \\\\ … \\end{aligned}\\right.), not
    rows of the display."""
    return i >= 2 and tokens[i - 2].is_cmd("left") and (tokens[i - 1].is_cmd("{", "lbrace"))


def _env_name(tokens: list[Token], i: int) -> tuple[str, int]:
    if i >= len(tokens) or not tokens[i].is_char("{"):
        return "", i
    j = i + 1
    while j < len(tokens) and not tokens[j].is_char("}"):
        j += 1
    return "".join(t.text for t in tokens[i + 1:j]), j + 1



def clean(tokens: list[Token]) -> Row:
    """Set labels and annotations aside and split the row at its relations."""
    row = Row([[]], [])
    tokens = list(tokens)
    depth = envs = amps = 0
    i = 0
    after_quad = False
    while i < len(tokens):
        t = tokens[i]
        started = any(row.sides) or bool(row.relations)
        if depth == 0 and envs == 0:
            if t.kind == "cmd" and (t.text in _SKIP or t.text in ("left.", "right.")):
                after_quad = t.text in ("quad", "qquad")
                i += 1
                continue
            if t.kind == "cmd" and t.text in _SKIP_WITH_GROUP:
                i = group_end(tokens, i + 1)
                continue
            if t.is_cmd("textcircled", "circled", "circledtext"):
                end = group_end(tokens, i + 1)
                _label(row, _text(tokens[i + 1:end]), started)
                i = end
                continue
            if started and (t.is_char(",") or t.is_cmd("text", "quad", "qquad") or
                            t.text == "f") and over_a_range(tokens, i):
                break  # "= σ(u_kᵀv_c) v_c, for k = 1, …, K": every k, as a free index already is
            if started and t.is_char("(") and _parenthesised_case(tokens, i):
                row.condition = tokens[i + 1:-1]  # = 0 (\text{when } w \neq c)
                break
            if t.kind == "cmd" and t.text in _TEXT and not _is_formula_text(tokens, i):
                end = group_end(tokens, i + 1)
                words = _text(tokens[i + 1:end]).strip("{} ").lower()
                if started and words.startswith(vocab.QUANTIFIER_WORDS):
                    break  # "= v_c(ŷ_w - y_w) for all w": every w, as a free index already is
                if words in vocab.CONDITION_WORDS and started:
                    row.condition = tokens[end:]
                    break
                if words in SIDE_NAMES:  # \text{LHS} = … = \text{RHS}: the sides to show equal
                    _label(row, SIDE_NAMES[words], started)
                    i = end
                    continue
                i = _skip_parenthesised(tokens, end, words.count("(") - words.count(")"))
                continue
            if t.is_cmd("forall") and not started and (comma := _quantifier_end(tokens, i)):
                i = comma  # "\forall w \in V, y_w = …": every w, as a free index already is
                continue
            if t.is_char("_") and i + 2 < len(tokens) and tokens[i + 1].is_char("{") and \
                    tokens[i + 2].kind == "cmd" and tokens[i + 2].text in _TEXT:
                end = group_end(tokens, i + 1)
                words = _text(tokens[i + 3:group_end(tokens, i + 3)]).strip("{} ").lower()
                if words in vocab.CONDITION_WORDS:  # ∂J/∂v_w _{\text{where } w \neq c} = 0
                    row.condition = tokens[i + 2:end - 1]
                    i = end
                    continue
            if t.is_cmd("boxed", "fbox"):
                end = group_end(tokens, i + 1)
                tokens[i:end] = tokens[i + 2:end - 1]
                continue
            if t.is_cmd("underbrace", "overbrace"):
                end = group_end(tokens, i + 1)
                inner = tokens[i + 2:end - 1]
                label_end = end
                if end < len(tokens) and tokens[end].is_char("_", "^"):
                    label_end = group_end(tokens, end + 1)
                    label = re.sub(r"[^0-9A-Za-z]", "", _text(tokens[end + 1:label_end]))
                    if label:
                        row.braced.append((label, inner))
                tokens[i:label_end] = inner
                continue
            if t.is_char("&") and i and row.relations and tokens[i - 1] is row.relations[-1] \
                    and not row.sides[-1]:
                i += 1  # eqnarray's a &=& b: the second & only aligns
                continue
            if t.is_char("&"):
                amps += 1
                if amps >= 2 and row.relations:
                    break  # a note after the formula; before its = (&A &&= B) it only aligns
                i += 1
                continue
            numbered = _numbered_label(tokens, i, started, after_quad)
            if numbered is not None:
                _label(row, numbered[0], started)
                i = numbered[1]
                continue
            if t.is_char("=") or (t.kind == "cmd" and t.text in _CHAIN):
                row.relations.append(t)
                row.sides.append([])
                i += 1
                continue
            if (t.kind == "cmd" and t.text in _UNCHECKED) or t.is_char("<", ">"):
                raise ReadError(f"only '=' is checked, and {t.shown()} joins two sides here",
                                t.line, t.col)
        if t.is_cmd("begin"):
            envs += 1
        elif t.is_cmd("end"):
            envs -= 1
        # \{ … \} groups too (𝟙\{w = o\}), but not \left\{ of cases, closed by \right.
        brace = t.kind == "cmd" and t.text in "{}" and not (i and tokens[i - 1].is_cmd(
            "left", "right"))
        depth += (t.is_char("{", "(", "[") or (brace and t.text == "{")) - (
            t.is_char("}", ")", "]") or (brace and t.text == "}"))
        after_quad = False
        row.sides[-1].append(t)
        i += 1
    while row.sides[-1] and row.sides[-1][-1].is_char(".", ",") and not (
            len(row.sides[-1]) > 1 and row.sides[-1][-2].is_cmd("right", "left")):
        row.sides[-1].pop()
    return row


def _quantifier_end(tokens: list[Token], i: int) -> int:
    """Past the comma of `\\forall w \\in V,` opening a row (0 when it is not one): a word index
    ranging over a set, said before the formula that holds for each."""
    if i + 3 >= len(tokens) or tokens[i + 1].kind != "letter" or \
            not vocab.is_index(tokens[i + 1].text) or not tokens[i + 2].is_cmd("in"):
        return 0
    depth = 0
    for n in range(i + 3, len(tokens)):
        depth += tokens[n].is_char("{", "(", "[") - tokens[n].is_char("}", ")", "]")
        if depth == 0 and tokens[n].is_char(","):
            return n + 1
        if depth == 0 and (tokens[n].is_char("=") or tokens[n].is_cmd("begin")):
            return 0
    return 0


def _label(row: Row, text: str, started: bool) -> None:
    key = re.sub(r"[^0-9A-Za-z.]", "", text)
    (row.labels_end if started else row.labels_start).append(key)
