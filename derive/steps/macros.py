"""Macros, read as data: the course template's own (\\bu, \\bv, \\bU, …) and the ones a file
defines with \\newcommand, \\renewcommand, \\def or \\DeclareMathOperator. No TeX runs: a definition
is taken out of the text (its characters become spaces, so every line and column stays where it
was) and a use is replaced by the definition's tokens, with #1…#9 filled in — at most
MAX_DEPTH levels deep and MAX_TOKENS tokens in all, so `\\def\\x{\\x}\\x` is an error, not a hang.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexer import ReadError, Token, tokenize

MAX_DEPTH = 32
MAX_TOKENS = 20_000
MAX_DEFINITIONS = 500

# The CS224N LaTeX template's shorthands (bold vectors and matrices), read as what they typeset.
# \bm and \bf are LaTeX's own (bold math, bold font): never shadowed.
_LETTERS = "abcdeghijklnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
TEMPLATE = {f"b{c}": f"\\mathbf{{{c}}}" for c in _LETTERS}
TEMPLATE |= {"R": "\\mathbb{R}", "softmax": "\\operatorname{softmax}", "argmax":
             "\\operatorname{argmax}", "yhat": "\\hat{\\mathbf{y}}", "bhy": "\\hat{\\mathbf{y}}",
             "hy": "\\hat{y}"}
# Markdown editors' spelling of ∂ (Typora and MathJax notes write \part J / \part v_c); LaTeX's
# \part is a sectioning command, which never stands inside a formula.
TEMPLATE |= {"part": "\\partial"}

_HEAD = re.compile(r"\\(newcommand|renewcommand|providecommand|def|DeclareMathOperator)"
                   r"(\*?)(?![A-Za-z])")


@dataclass(frozen=True)
class Macro:
    params: int
    body: str
    line: int = 0


@dataclass
class Macros:
    table: dict[str, Macro] = field(default_factory=dict)

    def expand(self, tokens: list[Token]) -> list[Token]:
        """`tokens` with every known macro replaced by its body."""
        budget = [MAX_TOKENS]
        return self._expand(tokens, 0, budget)

    def _expand(self, tokens: list[Token], depth: int, budget: list[int]) -> list[Token]:
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            macro = self.table.get(t.text) if t.kind == "cmd" else None
            if macro is None:
                out.append(t)
                i += 1
                continue
            if depth >= MAX_DEPTH:
                raise ReadError(f"\\{t.text} expands more than {MAX_DEPTH} levels deep: a macro "
                                "that uses itself is not read", t.line, t.col)
            args, i = _arguments(tokens, i + 1, macro.params, t)
            body = [Token(b.kind, b.text, t.line, t.col) for b in tokenize(macro.body)]
            body = _substitute(body, args, t)
            budget[0] -= len(body)
            if budget[0] < 0:
                raise ReadError(f"macros expand to more than {MAX_TOKENS:,} tokens here",
                                t.line, t.col)
            out.extend(self._expand(body, depth + 1, budget))
        return out


def template() -> Macros:
    return Macros({name: Macro(0, body) for name, body in TEMPLATE.items()})


def take_definitions(text: str, macros: Macros) -> str:
    """Read every macro definition in `text` into `macros`; the text without them, same length."""
    chars = list(text)
    count = 0
    for m in _HEAD.finditer(text):
        kind, pos = m.group(1), m.end()
        name, pos = _name(text, pos, braced=kind != "def")
        if name is None:
            continue
        params = 0
        if kind == "def":
            sig = re.match(r"(?:#\d)*", text[pos:])
            params, pos = len(sig.group(0)) // 2 if sig else 0, pos + (sig.end() if sig else 0)
        else:
            opt = re.match(r"\s*\[(\d)\]", text[pos:])
            if opt:
                params, pos = int(opt.group(1)), pos + opt.end()
            if re.match(r"\s*\[", text[pos:]):  # a default for an optional argument: not read
                continue
        body, end = _braced(text, pos)
        if body is None:
            continue
        count += 1
        if count > MAX_DEFINITIONS:
            raise ReadError(f"more than {MAX_DEFINITIONS} macro definitions")
        if kind == "DeclareMathOperator":
            body, params = f"\\operatorname{{{body}}}", 0
        line = text.count("\n", 0, m.start()) + 1
        macros.table[name] = Macro(params, _unwrapped(body) if not params else body, line)
        for j in range(m.start(), end):
            if chars[j] != "\n":
                chars[j] = " "
    return "".join(chars)


def _unwrapped(body: str) -> str:
    """{\\mathbf{u}} or \\ensuremath{\\mathbf{u}} as \\mathbf{u}: the braces around one symbol
    change nothing TeX shows (\\bu_o is u_o either way), but a group is no name to subscript."""
    while True:
        body = body.strip()
        m = re.fullmatch(r"\\ensuremath\s*(\{.*\})", body, re.S)
        group = m.group(1) if m else body
        if not (group.startswith("{") and _braced(group, 0)[1] == len(group)):
            return body
        inner = group[1:-1].strip()
        if m is None and not _one_symbol(inner):
            return body  # {a + b}^2 is not a + b^2
        body = inner


def _one_symbol(text: str) -> bool:
    """A letter, or one command with at most one {…} argument: \\mathbf{u}, \\hat{\\mathbf{y}}."""
    if re.fullmatch(r"[A-Za-z]|\\[A-Za-z]+", text):
        return True
    m = re.match(r"\\[A-Za-z]+\s*", text)
    return m is not None and text[m.end():].startswith("{") and \
        _braced(text, m.end())[1] == len(text)


def _name(text: str, pos: int, *, braced: bool) -> tuple[str | None, int]:
    m = re.compile(r"\s*(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))").match(text, pos)
    if m is None:
        return None, pos
    return m.group(1) or m.group(2), m.end()


def _braced(text: str, pos: int) -> tuple[str | None, int]:
    m = re.compile(r"\s*\{").match(text, pos)
    if m is None:
        return None, pos
    depth, j = 0, m.end() - 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        depth += (text[j] == "{") - (text[j] == "}")
        if depth == 0:
            return text[m.end():j], j + 1
        j += 1
    return None, pos


def _arguments(tokens: list[Token], i: int, n: int, at: Token) -> tuple[list[list[Token]], int]:
    args = []
    for _ in range(n):
        if i >= len(tokens):
            raise ReadError(f"\\{at.text} needs {n} argument(s)", at.line, at.col)
        if not tokens[i].is_char("{"):
            args.append([tokens[i]])
            i += 1
            continue
        depth, start = 0, i
        while i < len(tokens):
            depth += tokens[i].is_char("{") - tokens[i].is_char("}")
            i += 1
            if depth == 0:
                break
        args.append(tokens[start + 1:i - 1])
    return args, i


def _substitute(body: list[Token], args: list[list[Token]], at: Token) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(body):
        t = body[i]
        if t.kind == "other" and t.text == "#" and i + 1 < len(body) \
                and body[i + 1].kind == "number":
            digits = body[i + 1].text
            k = int(digits[0])
            if not 1 <= k <= len(args):
                raise ReadError(f"\\{at.text} uses #{k} but takes {len(args)} argument(s)",
                                at.line, at.col)
            out.extend(Token(a.kind, a.text, at.line, at.col) for a in args[k - 1])
            if len(digits) > 1:
                out.append(Token("number", digits[1:], at.line, at.col))
            i += 2
            continue
        out.append(t)
        i += 1
    return out
