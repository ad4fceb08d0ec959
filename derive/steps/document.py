"""From a file to the steps it claims. Formulas are read from display math ($$…$$, \\[…\\],
align/equation environments, aligned inside them); prose is skipped, except that a case stated
as the last formula before a display ("For the case $w = o$:") holds for that display.

A line's `=` signs chain its sides; a line (or display) that starts with `=` continues the chain
before it. Labels — (1), \\textcircled{2}, \\underbrace{…}_{(1)}, 1.a — and annotations —
\\text{(chain rule)}, \\why{…}, everything after a second & — are set aside; a line that starts
with a label alone ("Solving ③ =") starts from what that label named. A first side that names a
loss not yet defined (J_{\\text{naive-softmax}}(v_c, o, U) = …) is its definition.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from . import vocabulary as vocab
from .enumeration import over_a_range
from .lexer import FORBIDDEN, ReadError, Token, group_end
from .marks import (
    _CHAIN,
    _TEXT,
    _is_formula_text,
    _numbered_label,
    _parenthesised_case,
    _skip_parenthesised,
    _text,
)
from .nodes import Node

ENVIRONMENTS = ("align", "align*", "equation", "equation*", "gather", "gather*", "multline",
                "multline*", "eqnarray", "eqnarray*")
# Environments whose rows are read as the display's own (an align inside $$…$$ too).
INNER_ENVIRONMENTS = frozenset({"aligned", "split", "gathered", "alignedat", *ENVIRONMENTS})
_OPENER = re.compile(r"\$\$|\\\[|\\\(|(?<!\\)\$|\\begin\{(" +
                     "|".join(re.escape(e) for e in ENVIRONMENTS) + r")\}")
_SKIP = frozenset({"quad", "qquad", ",", ";", ":", "!", " ", "therefore", "because", "notag",
                   "nonumber", "displaystyle", "textstyle", "hfill", "enspace", "quad\n"})
_SKIP_WITH_GROUP = frozenset({"tag", "label", "why", "hspace", "vspace", "tag*"})
# The names of the two sides of what is to be shown: a label, never a formula.
SIDE_NAMES = {"lhs": "LHS", "rhs": "RHS", "l.h.s.": "LHS", "r.h.s.": "RHS"}
_UNCHECKED = frozenset({"approx", "neq", "ne", "leq", "le", "geq", "ge", "equiv", "propto",
                        "sim", "simeq", "lt", "gt"})


@dataclass(frozen=True)
class Side:
    node: Node
    line: int
    conditions: tuple[Node, ...] = ()  # stated in a subscript: ∂J/∂u_{w ≠ o}
    readings: tuple[str, ...] = ()  # how a slip was read: "\frac{J}{\partial U} read as ∂J/∂U"


@dataclass(frozen=True)
class Step:
    """One claimed equality (kind "step"), a definition, or an `=` with nothing on one side."""

    line: int
    left: Side | None
    right: Side | None
    kind: str = "step"  # "step" | "definition" | "unchecked"
    relation: str = "="
    conditions: tuple[Node, ...] = ()
    definitions: Mapping[str, Node] = field(default_factory=dict, compare=False)
    note: str = ""
    col: int = 0
    # The gradient this chain starts from (∂J/∂v_c of a known J), when a later side may be
    # compared with it too; `via_head` when the side before could not be read.
    truth: Side | None = field(default=None, compare=False)
    via_head: bool = False


@dataclass(frozen=True)
class Region:
    content: str
    line: int
    col: int
    display: bool
    error: str = ""  # why it cannot be read at all (a display never closed)
    lead: str = ""  # the prose just before it ("The gradient is zero exactly when", "When is
    # the gradient zero?")
    alone: bool = False  # an inline formula with an = that is its line's whole text: $a = b$
    # on a line of its own, or after a list's bullet, is an answer set as a display
    start: int = 0  # where its opener and closer stand in the text
    end: int = 0
    code: bool = False  # a Markdown code span that is a case of word indices: `w ≠ o`


_MULTILINE = re.compile(r"\\begin\{(?:aligned|align\*?|split|gathered|array|cases)\}|\\\\")
# An inline formula is read as a claim when it states a derivative; other prose is passed over.
_CLAIM = re.compile(r"\\part(?:ial)?(?![A-Za-z])|\\nabla|\\frac\s*\{\s*d|\\sigma\s*'|\\mathrm\{d\}")


def regions(text: str) -> list[Region]:
    """The formulas of `text`, in order, each with where its content starts."""
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(offset: int) -> tuple[int, int]:
        n = bisect.bisect_right(starts, offset) - 1
        return n + 1, offset - starts[n] + 1

    begin = text.find(r"\begin{document}")
    pos = begin + len(r"\begin{document}") if begin >= 0 else 0
    end = text.find(r"\end{document}")
    end = len(text) if end < 0 else end
    _refuse_forbidden(text, pos, end, where)
    out: list[Region] = []
    while (m := _OPENER.search(text, pos, end)) is not None:
        opener = m.group(0)
        closer = {"$$": "$$", r"\[": r"\]", r"\(": r"\)", "$": "$"}.get(
            opener, rf"\end{{{m.group(1)}}}")
        close = _find_closer(text, closer, m.end(), end)
        if close < 0:
            line, col = where(m.start())
            out.append(Region("", line, col, True,
                              f"{opener} is never closed (expected {closer})"))
            break
        line, col = where(m.end())
        content = text[m.end():close]
        # $\begin{aligned} … \end{aligned}$ is a display in all but its delimiters
        display = opener not in ("$", r"\(") or bool(_MULTILINE.search(content))
        lead = text[max(pos, m.start() - 300):m.start()]
        alone = not display and "=" in content and _whole_line(text, m.start(),
                                                                  close + len(closer))
        out.append(Region(content, line, col, display, lead=lead, alone=alone, start=m.start(),
                          end=close + len(closer)))
        pos = close + len(closer)
    if begin < 0:  # Markdown: a case may be set as code, "**Case 2: `w ≠ o`**"
        out = sorted(out + _code_cases(text, where), key=lambda r: r.start)
    return out


# A code span holding only a case of two word indices: `w = o`, `w ≠ o`, `w != o`.
_CODE_CASE = re.compile(r"(?<![`\\])`([ \t]*[a-z]'*[ \t]*(?:=|≠|!=|\\neq?)[ \t]*[a-z0-9]'*[ \t]*)`"
                        r"(?!`)")


def _code_cases(text: str, where: Callable[[int], tuple[int, int]]) -> list[Region]:
    out = []
    for m in _CODE_CASE.finditer(text):
        line, col = where(m.start(1))
        out.append(Region(m.group(1), line, col, False, start=m.start(), end=m.end(), code=True))
    return out


# What may stand beside a formula on its line and leave it the line's whole text: a list's
# bullet or number before it, a full stop or comma after it.
_BULLET = re.compile(r"[ \t]*(?:[*+-]|\d+[.)])?[ \t]*")
_AFTER = re.compile(r"[ \t]*[.,;:]?[ \t]*")


def _whole_line(text: str, start: int, end: int) -> bool:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return bool(_BULLET.fullmatch(text, line_start, start) and
                _AFTER.fullmatch(text, end, line_end))


def _find_closer(text: str, closer: str, start: int, end: int) -> int:
    if closer != "$":
        return text.find(closer, start, end)
    dollars = [m.start() for m in _DOLLAR.finditer(text, start, end)]
    if not dollars:
        return -1
    # the $ that closes is outside every {…} the formula opened: \text{if $w = o$} is text
    # with a formula in it, inside this one; unbalanced braces fall back to the first $
    depth, at = 0, start
    for n in dollars:
        for m in _BRACE.finditer(text, at, n):
            depth += 1 if m.group(0) == "{" else -1
        at = n
        if depth == 0:
            return n
    return dollars[0]


_DOLLAR = re.compile(r"(?<!\\)\$")
_BRACE = re.compile(r"(?<!\\)[{}]")


def _refuse_forbidden(text: str, start: int, end: int,
                      where: Callable[[int], tuple[int, int]]) -> None:
    pattern = re.compile(r"\\(" + "|".join(sorted(FORBIDDEN, key=len, reverse=True)) +
                         r")(?![A-Za-z])")
    m = pattern.search(text, start, end)
    if m is not None:
        line, col = where(m.start())
        raise ReadError(f"\\{m.group(1)} is not read: check-steps reads formulas; it does not "
                        "open other files, run commands or change how TeX reads", line, col)


# -- rows ---------------------------------------------------------------------------------

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
