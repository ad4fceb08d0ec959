"""Tokens of the LaTeX we read, each with its line and column, and the limits that keep hostile
input cheap: the reader never expands a macro, so a token is all a command can ever be."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Larger inputs are refused up front: a derivation is a few kilobytes; a megabyte is an attack
# or a mistake, and reading it would only delay the error.
MAX_CHARS = 200_000
MAX_DEPTH = 200

# Commands that would define macros or read other files in TeX: we never act on them, and a
# derivation that needs them cannot mean what it says without them (refused by document.py,
# anywhere in the text it reads).
# \newcommand, \def and \DeclareMathOperator are not here: macros.py reads them as data and
# expands them itself, with limits; \edef, \gdef, \let and the rest stay refused.
FORBIDDEN = frozenset({
    "input", "include", "edef", "gdef", "xdef", "let", "catcode", "csname", "write",
    "immediate", "openin", "openout", "read", "write18", "usepackage", "makeatletter",
    "expandafter", "directlua", "special",
})

# Unicode a student types for a command (−, σ, ·, ᵀ …): read as that command would be.
UNICODE = {"−": "-", "–": "-", "σ": "\\sigma", "θ": "\\theta", "·": "\\cdot", "⋅": "\\cdot",
           "×": "\\times", "⊤": "\\top", "ᵀ": "^\\top", "∑": "\\sum", "Σ": "\\sum",
           "∂": "\\partial", "∈": "\\in", "≠": "\\neq", "ŷ": "\\hat{y}", "α": "\\alpha",
           "∘": "\\circ", "⊙": "\\odot", "∇": "\\nabla", "≤": "\\le", "≥": "\\ge",
           "′": "'", "\u00a0": " "}


class ReadError(ValueError):
    """The input cannot be read: where, and what was expected."""

    def __init__(self, message: str, line: int = 0, col: int = 0) -> None:
        self.message, self.line, self.col = message, line, col
        where = f"line {line}, column {col}: " if line else ""
        super().__init__(where + message)


@dataclass(frozen=True)
class Token:
    kind: str   # "cmd" (\name, text without the backslash), "letter", "number", "char"
    text: str
    line: int
    col: int

    def is_cmd(self, *names: str) -> bool:
        return self.kind == "cmd" and self.text in names

    def is_char(self, *chars: str) -> bool:
        return self.kind == "char" and self.text in chars

    def shown(self) -> str:
        return "\\" + self.text if self.kind == "cmd" else self.text


_TOKEN = re.compile(r"""
    (?P<space>\s+|%[^\n]*)
  | \\(?P<cmd>[A-Za-z]+\*?|.)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<letter>[A-Za-z])
  | (?P<char>[-+=()\[\]{}^_&,.;:!|<>'/*~])
""", re.VERBOSE | re.DOTALL)


def tokenize(text: str, line: int = 1, col: int = 1) -> list[Token]:
    """The tokens of `text`, which starts at (line, col) of the file."""
    if len(text) > MAX_CHARS:
        raise ReadError(f"the input is {len(text):,} characters; derivations longer than "
                        f"{MAX_CHARS:,} are not read", line, col)
    tokens: list[Token] = []
    pos, depth = 0, 0
    here_line, here_col, last = line, col, 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        here_line, here_col = _advance(text, last, pos, here_line, here_col)
        last = pos
        if m is None and text[pos] in UNICODE:  # its tokens, all at this position
            for t in tokenize(UNICODE[text[pos]]):
                if t.is_char("{") or t.is_char("}"):
                    depth += 1 if t.text == "{" else -1
                tokens.append(Token(t.kind, t.text, here_line, here_col))
            pos += 1
            continue
        if m is None:  # kept as a token: inside an annotation it is harmless, in a formula an error
            tokens.append(Token("other", text[pos], here_line, here_col))
            pos += 1
            continue
        pos = m.end()
        kind = m.lastgroup
        if kind == "space":
            continue
        value = m.group(kind) if kind else ""
        if kind == "char" and value == "!" and text.startswith("=", pos):  # w != o, as in code
            tokens.append(Token("cmd", "neq", here_line, here_col))
            pos += 1
            continue
        if kind == "char" and value == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise ReadError(f"braces nested deeper than {MAX_DEPTH}", here_line, here_col)
        elif kind == "char" and value == "}":
            depth -= 1
            if depth < 0:
                raise ReadError("a } closes nothing", here_line, here_col)
        tokens.append(Token(kind or "char", value, here_line, here_col))
    if depth > 0:
        raise ReadError(f"{depth} {{ never closed in the formula starting here", line, col)
    return tokens


def group_end(tokens: list[Token], i: int) -> int:
    """The index just past the {…} group (or the single token) at i."""
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


def _advance(text: str, start: int, end: int, line: int, col: int) -> tuple[int, int]:
    newlines = text.count("\n", start, end)
    if newlines:
        return line + newlines, end - text.rindex("\n", start, end)
    return line, col + end - start
