"""What a loss file is made of before its formulas are read: its math segments (each $…$,
$$…$$, \\[…\\] or display environment, a display's rows split and its layout blanked), the
parts a comma splits them into, and the scope they fill — the declared inputs (Declared) and
the definitions (Definition) in order. loss.py reads the declarations and definitions into it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import vocabulary as vocab
from .lexer import ReadError, Token, tokenize
from .nodes import Node

_MATH = re.compile(r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]"
                   r"|\\begin\{(?P<env>equation|align|gather|multline|eqnarray|displaymath)"
                   r"(?P<star>\*?)\}(?P<d3>.+?)\\end\{(?P=env)(?P=star)\}"
                   r"|\$(?P<i>.+?)\$", re.DOTALL)
# In a display environment: what only lays it out (an alignment &, a label, a number's
# suppression), blanked to spaces of its own length so that lines and columns stay true.
_LAYOUT = re.compile(r"&|\\(?:label|tag)\{[^{}]*\}|\\(?:nonumber|notag)\b")


@dataclass(frozen=True)
class Declared:
    """One input of a loss: name (v_c, lambda, U_neg), kind, shape (size letters) and LaTeX."""

    name: str
    kind: str  # matrix, vector, scalar, index, indices (w_1, …, w_K), constant
    shape: tuple[str, ...]  # an index: its range (V); indices: how many and their range (K, V)
    latex: str
    bounds: tuple[str, str] = ("0", "")  # a constant's open interval: λ > 0, 0 < α < 1


@dataclass(frozen=True)
class Definition:
    name: str
    formula: Node
    token: Token
    function: bool = False  # written f(x) = …: a function of its arguments


@dataclass
class Scope:
    """What a loss file declares and defines, in order."""

    declared: dict[str, Declared] = field(default_factory=dict)
    definitions: list[Definition] = field(default_factory=list)

    def sizes(self) -> tuple[str, ...]:
        out = {s for d in self.declared.values() if d.kind != "constant" for s in d.shape}
        return tuple(sorted(out | set(vocab.SIZES)))

    def family(self, letter: str) -> Declared | None:
        """The indices w_1, …, w_K the letter names, when the file declares them so."""
        declared = self.declared.get(letter)
        return declared if declared is not None and declared.kind == "indices" else None

    def family_entry(self, atom: str) -> bool:
        """w_s, w_1: one of a declared family of indices (s bound by a sum, or a number)."""
        m = re.fullmatch(r"([a-z])_([a-z]'*|[1-9][0-9]*)", atom)
        return m is not None and self.family(m.group(1)) is not None

    def defined(self, name: str) -> Definition | None:
        return next((d for d in reversed(self.definitions) if d.name == name), None)

    def loss(self) -> Definition | None:
        """The last definition of J; in a file that defines no J, the last function f(x) = …
        (the derivative of a function of one scalar, such as σ)."""
        return self.defined("J") or next(
            (d for d in reversed(self.definitions) if d.function), None)


def segments(text: str) -> list[tuple[list[Token], bool]]:
    """Every math segment's tokens, and whether it is a display."""
    out = []
    for m in _MATH.finditer(text):
        group = next(g for g in ("d1", "d2", "d3", "i") if m.group(g) is not None)
        rows = [(m.start(group), m.group(group))]
        if group == "d3":  # \begin{align} … \end{align}: each row (split at \\) a display
            body = _LAYOUT.sub(lambda x: " " * len(x.group()), m.group(group))
            rows, at = [], m.start(group)
            for row in re.split(r"(\\\\)", body):
                if row != "\\\\":
                    rows.append((at, row))
                at += len(row)
        for start, row in rows:
            line = text.count("\n", 0, start) + 1
            col = start - (text.rfind("\n", 0, start) + 1) + 1
            tokens = tokenize(row, line, col)
            while tokens and tokens[-1].is_char(".", ",", ";"):
                tokens.pop()
            if group == "d3" and (not tokens or tokens[0].is_char("=")):
                continue  # an empty row, or one that goes on with the row before (&= …)
            out.append((tokens, group != "i"))
    return out


def split_top(tokens: list[Token], *, at: tuple[str, ...] = (",", ";")) -> list[list[Token]]:
    """tokens split at top-level commas (not inside {…}, (…), \\{…\\})."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.is_char("{", "(", "[") or tok.is_cmd("{", "left"):
            depth += 1
        elif tok.is_char("}", ")", "]") or tok.is_cmd("}", "right"):
            depth -= 1
        if depth == 0 and (tok.is_char(*at) or tok.is_cmd("quad", "qquad")):
            parts.append([])
        else:
            parts[-1].append(tok)
    return [p for p in parts if p]


def _top(part: list[Token], match: Callable[[Token], bool]) -> int | None:
    """The position of the first token outside every group that `match`es."""
    depth = 0
    for k, tok in enumerate(part):
        if tok.is_char("{", "(", "[") or tok.is_cmd("{", "left"):
            depth += 1
        elif tok.is_char("}", ")", "]") or tok.is_cmd("}", "right"):
            depth -= 1
        elif depth == 0 and match(tok):
            return k
    return None


def _real_shape(right: list[Token]) -> tuple[str, ...]:
    """ℝ, ℝ^{m}, ℝ^{m × n}: the size letters."""
    if len(right) < 4 or [t.text for t in right[1:4]] != ["{", "R", "}"]:
        raise ReadError("expected \\mathbb{R}, \\mathbb{R}^{m} or \\mathbb{R}^{m \\times n}",
                        right[0].line, right[0].col)
    rest = right[4:]
    if not rest:
        return ()
    if not rest[0].is_char("^"):
        raise ReadError("expected ^ after \\mathbb{R}", rest[0].line, rest[0].col)
    body = [t for t in rest[1:] if not t.is_char("{", "}")]
    sizes = [t.text for t in body if not t.is_cmd("times")]
    if not 1 <= len(sizes) <= 2 or not all(re.fullmatch(r"[A-Za-z]", s) for s in sizes):
        tok = rest[0]
        raise ReadError("a shape is m or m \\times n, each a size letter", tok.line, tok.col)
    return tuple(sizes)
