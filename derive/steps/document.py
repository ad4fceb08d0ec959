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
from .lexer import FORBIDDEN, MAX_CHARS, ReadError, Token, tokenize
from .nodes import IndexRel, Node, Ref, last_operator
from .syntax import Parser, condition, parse_side

ENVIRONMENTS = ("align", "align*", "equation", "equation*", "gather", "gather*", "multline",
                "multline*", "eqnarray", "eqnarray*")
INNER_ENVIRONMENTS = frozenset({"aligned", "split", "gathered", "alignedat"})
_OPENER = re.compile(r"\$\$|\\\[|\\\(|(?<!\\)\$|\\begin\{(" +
                     "|".join(re.escape(e) for e in ENVIRONMENTS) + r")\}")
_SKIP = frozenset({"quad", "qquad", ",", ";", ":", "!", " ", "therefore", "because", "notag",
                   "nonumber", "displaystyle", "textstyle", "hfill", "enspace", "quad\n"})
_SKIP_WITH_GROUP = frozenset({"tag", "label", "why", "hspace", "vspace", "tag*"})
_TEXT = frozenset({"text", "textrm", "mbox", "textit", "textbf", "mathrm"})
_CHAIN = {"=": "=", "Rightarrow": "⇒", "implies": "⇒", "Longrightarrow": "⇒"}
_UNCHECKED = frozenset({"approx", "neq", "ne", "leq", "le", "geq", "ge", "equiv", "propto",
                        "sim", "simeq", "lt", "gt"})


@dataclass(frozen=True)
class Side:
    node: Node
    line: int


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


@dataclass(frozen=True)
class Region:
    content: str
    line: int
    col: int
    display: bool


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
            raise ReadError(f"{opener} is never closed (expected {closer})", line, col)
        line, col = where(m.end())
        out.append(Region(text[m.end():close], line, col, opener not in ("$", r"\(")))
        pos = close + len(closer)
    return out


def _find_closer(text: str, closer: str, start: int, end: int) -> int:
    if closer != "$":
        return text.find(closer, start, end)
    m = re.compile(r"(?<!\\)\$").search(text, start, end)
    return m.start() if m else -1


def _refuse_forbidden(text: str, start: int, end: int,
                      where: Callable[[int], tuple[int, int]]) -> None:
    pattern = re.compile(r"\\(" + "|".join(sorted(FORBIDDEN, key=len, reverse=True)) +
                         r")(?![A-Za-z])")
    m = pattern.search(text, start, end)
    if m is not None:
        line, col = where(m.start())
        raise ReadError(f"\\{m.group(1)} is not read: check-steps reads formulas, it does not "
                        "define macros or open other files", line, col)


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
    depth = envs = 0
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.is_cmd("begin", "end") and depth == 0:
            name, after = _env_name(tokens, i + 1)
            if name in INNER_ENVIRONMENTS:
                i = after
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


def _env_name(tokens: list[Token], i: int) -> tuple[str, int]:
    if i >= len(tokens) or not tokens[i].is_char("{"):
        return "", i
    j = i + 1
    while j < len(tokens) and not tokens[j].is_char("}"):
        j += 1
    return "".join(t.text for t in tokens[i + 1:j]), j + 1


def _group_end(tokens: list[Token], i: int) -> int:
    """The index just past the {…} group (or single token) at i."""
    if i >= len(tokens):
        return i
    if not tokens[i].is_char("{"):
        return i + 1
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].is_char("{") - tokens[j].is_char("}")
        if depth == 0:
            return j + 1
    return len(tokens)


def _text(tokens: list[Token]) -> str:
    return "".join(t.shown() if t.kind == "cmd" else t.text for t in tokens)


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
                i = _group_end(tokens, i + 1)
                continue
            if t.is_cmd("textcircled", "circled", "circledtext"):
                end = _group_end(tokens, i + 1)
                _label(row, _text(tokens[i + 1:end]), started)
                i = end
                continue
            if t.kind == "cmd" and t.text in _TEXT:
                end = _group_end(tokens, i + 1)
                words = _text(tokens[i + 1:end]).strip("{} ").lower()
                if words in vocab.CONDITION_WORDS and started:
                    row.condition = tokens[end:]
                    break
                i = _skip_parenthesised(tokens, end, words.count("(") - words.count(")"))
                continue
            if t.is_cmd("boxed", "fbox"):
                end = _group_end(tokens, i + 1)
                tokens[i:end] = tokens[i + 2:end - 1]
                continue
            if t.is_cmd("underbrace", "overbrace"):
                end = _group_end(tokens, i + 1)
                inner = tokens[i + 2:end - 1]
                label_end = end
                if end < len(tokens) and tokens[end].is_char("_", "^"):
                    label_end = _group_end(tokens, end + 1)
                    label = re.sub(r"[^0-9A-Za-z]", "", _text(tokens[end + 1:label_end]))
                    if label:
                        row.braced.append((label, inner))
                tokens[i:label_end] = inner
                continue
            if t.is_char("&"):
                amps += 1
                if amps >= 2:
                    break
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
        depth += t.is_char("{", "(", "[") - t.is_char("}", ")", "]")
        after_quad = False
        row.sides[-1].append(t)
        i += 1
    while row.sides[-1] and row.sides[-1][-1].is_char(".", ","):
        row.sides[-1].pop()
    return row


def _label(row: Row, text: str, started: bool) -> None:
    key = re.sub(r"[^0-9A-Za-z.]", "", text)
    (row.labels_end if started else row.labels_start).append(key)


def _numbered_label(tokens: list[Token], i: int, started: bool, after_quad: bool
                    ) -> tuple[str, int] | None:
    """(2) after \\quad, at the start or at the end of a line; 1.a at the start."""
    t = tokens[i]
    if (t.is_char("(") and i + 2 < len(tokens) and tokens[i + 1].kind == "number"
            and tokens[i + 2].is_char(")")):
        at_end = i + 3 == len(tokens) or tokens[i + 3].is_cmd("quad", "qquad", "\\")
        if not started or after_quad or at_end:
            return tokens[i + 1].text, i + 3
    if (not started and t.kind == "number" and i + 2 < len(tokens)
            and tokens[i + 1].is_char(".") and tokens[i + 2].kind == "letter"):
        return t.text + "." + tokens[i + 2].text, i + 3
    return None


def _skip_parenthesised(tokens: list[Token], i: int, open_parens: int) -> int:
    """An annotation such as \\text{ (by definition of } \\hat{y}_w) runs to its closing paren."""
    while open_parens > 0 and i < len(tokens):
        open_parens += tokens[i].is_char("(") - tokens[i].is_char(")")
        i += 1
    return i


# -- chains -------------------------------------------------------------------------------

class Reader:
    """Reads regions in order, keeping the chain in progress, the labels and the definitions."""

    def __init__(self, aliases: vocab.Aliases) -> None:
        self.aliases = aliases
        self.steps: list[Step] = []
        self.last: Side | None = None
        self.chain_conditions: tuple[Node, ...] = ()
        self.chain_started = False
        self.labels: dict[str, Node] = {}
        self.definitions: dict[str, Node] = {}
        self.pending_case: Node | None = None

    def region(self, region: Region) -> None:
        if not region.display:
            # prose is not checked: an inline formula we cannot read is passed over
            try:
                tokens = tokenize(region.content, region.line, region.col)
            except ReadError:
                tokens = []
            self.pending_case = self._case(tokens)
            self._inline_definition(tokens)
            return
        case, self.pending_case = self.pending_case, None
        tokens = tokenize(region.content, region.line, region.col)
        for n, row in enumerate(rows(tokens)):
            self.row(clean(row), case, first=n == 0)

    def _case(self, tokens: list[Token]) -> Node | None:
        """An inline formula that is a case of a word index, like $w = o$ or $w \\neq o$."""
        try:
            cond = condition(tokens, self.aliases) if tokens else None
        except ReadError:
            return None
        return cond if isinstance(cond, IndexRel) else None

    def _inline_definition(self, tokens: list[Token]) -> None:
        """A loss defined in the prose ($J_{\\text{neg-sample}}(…) = …$) binds its name too."""
        try:
            row = clean(tokens)
            if len(row.relations) != 1 or not all(row.sides):
                return
            head = Parser(row.sides[0], self.aliases).side()
            if isinstance(head, Ref) and head.name.startswith("J"):
                self._define(head.name, Parser(row.sides[1], self.aliases).side())
        except ReadError:
            return

    def _define(self, name: str, node: Node) -> None:
        self.definitions[name] = node
        if name.startswith("J_"):
            self.definitions["J"] = node

    def row(self, row: Row, case: Node | None, *, first: bool) -> None:
        sides = [self._parse(s) for s in row.sides]
        for label, tokens in row.braced:
            self.labels[label] = parse_side(tokens, self.aliases)
        found = condition(row.condition, self.aliases) if row.condition else None
        cond: tuple[Node, ...] = (found,) if found is not None else ()
        head = sides[0]
        if head is None and row.labels_start and not row.relations:
            return
        if head is None and row.labels_start and row.labels_start[-1] in self.labels:
            head = Side(self.labels[row.labels_start[-1]], row.relations[0].line
                        if row.relations else 0)
            self._start(case)
        elif head is None and row.relations:
            if not self.chain_started:
                self._start(case)
            elif first and case is not None:
                self.chain_conditions += (case,)
            head = self.last
        elif head is not None:
            self._start(case)
        self._bind_labels(row.labels_start, sides[0])
        previous, is_head = head, sides[0] is not None
        for rel, right in zip(row.relations, sides[1:], strict=True):
            self.steps.append(self._step(rel, previous, right, cond, is_head))
            previous, is_head = right or previous, False
        self.last = previous
        self._bind_labels(row.labels_end, sides[-1])

    def _start(self, case: Node | None) -> None:
        self.chain_started = True
        self.chain_conditions = (case,) if case is not None else ()

    def _step(self, rel: Token, left: Side | None, right: Side | None, cond: tuple[Node, ...],
              is_head: bool) -> Step:
        relation = _CHAIN.get(rel.text, "=")
        if right is None:
            return Step(rel.line, left, None, "unchecked", relation, note="nothing after it")
        if left is None:
            return Step(rel.line, None, right, "unchecked", relation,
                        note="nothing before it to compare with")
        if is_head and isinstance(left.node, Ref) and left.node.name not in self.definitions:
            self._define(left.node.name, right.node)
            return Step(rel.line, left, right, "definition", relation,
                        definitions=dict(self.definitions))
        return Step(rel.line, left, right, "step", relation, self.chain_conditions + cond,
                    dict(self.definitions))

    def _parse(self, tokens: list[Token]) -> Side | None:
        if not tokens:
            return None
        return Side(Parser(tokens, self.aliases).side(), tokens[0].line)

    def _bind_labels(self, labels: list[str], side: Side | None) -> None:
        if side is None:
            return
        for label in labels:
            self.labels[label] = last_operator(side.node) or side.node


def read(text: str, aliases: vocab.Aliases) -> list[Step]:
    """Every step `text` claims, in order."""
    if len(text) > MAX_CHARS:
        raise ReadError(f"the input is {len(text):,} characters; derivations longer than "
                        f"{MAX_CHARS:,} are not read")
    reader = Reader(aliases)
    for region in regions(text):
        reader.region(region)
    return reader.steps
