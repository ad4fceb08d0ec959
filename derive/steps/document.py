"""From a file to the formulas it holds (regions) and the records of the steps they claim
(Side, Step). Formulas are read from display math ($$…$$, \\[…\\], align/equation
environments, aligned inside them), an inline $…$ that states a derivative or is its line's
whole text, and a Markdown code span that is a case (`w ≠ o`); other prose is skipped, except
that a case stated as the last formula before a display ("For the case $w = o$:") holds for
that display. A display's rows, and what each row says, are rows.py's.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .lexer import FORBIDDEN, ReadError
from .nodes import Node

ENVIRONMENTS = ("align", "align*", "equation", "equation*", "gather", "gather*", "multline",
                "multline*", "eqnarray", "eqnarray*")
# Environments whose rows are read as the display's own (an align inside $$…$$ too).
INNER_ENVIRONMENTS = frozenset({"aligned", "split", "gathered", "alignedat", *ENVIRONMENTS})
_OPENER = re.compile(r"\$\$|\\\[|\\\(|(?<!\\)\$|\\begin\{(" +
                     "|".join(re.escape(e) for e in ENVIRONMENTS) + r")\}")


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


# A code span holding only the handout's case of a word: `w = o`, `w ≠ o`, `w != o` (not
# code such as `i = 0`, which would restrict what a step is checked at)
_CODE_CASE = re.compile(r"(?<![`\\])`([ \t]*w'*[ \t]*(?:=|≠|!=|\\neq?)[ \t]*[oc][ \t]*)`(?!`)")


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
