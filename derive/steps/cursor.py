"""The token cursor the step reader is built on: look ahead, take, {…} groups, errors that name
the token. The grammar itself is in syntax.py (expressions), sums.py (Σ and cases), names.py
(names, subscripts, indices) and commands.py (\\frac, functions, derivatives); each layer may call
the ones above it through the few methods declared here."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from . import vocabulary as vocab
from .lexer import ReadError, Token
from .nodes import Node
from .tidy import tidy

OPEN = {"(": ")", "[": "]"}
RELATIONS = {"=": "=", "neq": "≠", "ne": "≠", "<": "<", ">": ">", "lt": "<", "gt": ">",
             "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥"}
# Commands that, as a one-token subscript, take their {…} group along: J_\mathrm{neg-sample}.
_WITH_ARGUMENT = frozenset({"text", "mathrm", "textrm", "mathbf", "boldsymbol", "bm", "mathit",
                            "operatorname", "textit", "pmb", "hat", "widehat", "tilde", "bar",
                            "dot", "check"})


class Cursor:
    # The sizes a sum may run to (a loss file declares its own).
    sizes: tuple[str, ...] = vocab.SIZES

    def __init__(self, tokens: list[Token], aliases: vocab.Aliases, *, end: Token | None = None,
                 names: frozenset[str] = frozenset()):
        tokens = tidy(tokens)
        self.names = names  # intermediates the text defined: "let θ = Uᵀv_c"
        self.tokens, self.aliases, self.pos, self.nesting = tokens, aliases, 0, 0
        self.end = end or (tokens[-1] if tokens else Token("char", "", 0, 0))
        # cases stated in a subscript (∂J/∂u_{w ≠ o}), for the step; letters a Σ binds here
        self.conditions: list[Node] = []
        self.bound: set[str] = set()
        self.bars = 0  # open |…| groups: a bar inside one closes it
        self.took_rest = False  # a Σ or ∂/∂x just took the rest of the term as its operand
        # how a slip of the pen was read (\frac{J}{\partial U} as ∂J/∂U), said in the verdict
        self.readings: list[str] = []

    @contextlib.contextmanager
    def binding(self, letter: str) -> Iterator[None]:
        """`letter` bound (an index of a Σ or of a written-out sum) while the block reads its
        body; unbound after, unless it was bound already outside."""
        fresh = letter not in self.bound
        self.bound.add(letter)
        try:
            yield
        finally:
            if fresh:
                self.bound.discard(letter)

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def at(self, *chars: str) -> bool:
        """Whether the next token is one of these characters."""
        tok = self.peek()
        return tok is not None and tok.is_char(*chars)

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ReadError("the formula ends too early", self.end.line, self.end.col)
        self.pos += 1
        return tok

    def expect_char(self, char: str) -> Token:
        tok = self.peek()
        if tok is None or not tok.is_char(char):
            raise self.error(f"expected {char!r}", tok)
        return self.take()

    def error(self, message: str, tok: Token | None = None) -> ReadError:
        tok = tok or self.peek() or self.end
        found = f", found {tok.shown()!r}" if tok is not None and tok.text else ""
        return ReadError(message + found, tok.line, tok.col)

    def group_tokens(self) -> list[Token]:
        """The tokens of a {…} group (or one token), consumed."""
        if not self.at("{"):
            tok = self.take()
            nxt = self.peek()
            if tok.kind == "cmd" and tok.text in _WITH_ARGUMENT and nxt is not None \
                    and nxt.is_char("{"):  # _\mathrm{neg-sample}: the command and its group
                return [tok, *self._braced_with_braces()]
            return [tok]
        start, depth = self.pos + 1, 0
        while True:
            tok = self.take()
            depth += tok.is_char("{") - tok.is_char("}")
            if depth == 0:
                return self.tokens[start:self.pos - 1]

    def _braced_with_braces(self) -> list[Token]:
        start, depth = self.pos, 0
        while True:
            tok = self.take()
            depth += tok.is_char("{") - tok.is_char("}")
            if depth == 0:
                return self.tokens[start:self.pos]

    def group_text(self) -> str:
        return "".join(t.shown() if t.kind == "cmd" else t.text for t in self.group_tokens())

    def until(self, stop: Callable[[Token], bool], start: Token) -> list[Token]:
        begin, depth = self.pos, 0
        while True:
            tok = self.peek()
            if tok is None:
                raise ReadError(f"{start.shown()} is never closed", start.line, start.col)
            if depth == 0 and stop(tok):
                return self.tokens[begin:self.pos]
            depth += tok.is_char("{") - tok.is_char("}")
            self.pos += 1

    def _at_letter(self, letter: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "letter" and tok.text == letter

    # -- the grammar, defined by the layers above (syntax.Parser is all of them) ----------
    def sub(self, tokens: list[Token]) -> Cursor:
        """A reader of `tokens` that shares this one's names, cases and bound letters."""
        raise NotImplementedError

    def side(self) -> Node:
        raise NotImplementedError

    def expr(self) -> Node:
        raise NotImplementedError

    def signed_term(self) -> Node:
        raise NotImplementedError

    def factor(self) -> Node:
        raise NotImplementedError

    def primary(self) -> Node:
        raise NotImplementedError

    def bars_group(self, tok: Token) -> Node:
        raise NotImplementedError

    def condition(self, tokens: list[Token]) -> Node | None:
        raise NotImplementedError

    def word_function(self) -> Node | None:
        raise NotImplementedError

    def atom(self) -> str:
        raise NotImplementedError

    def atom_or_none(self) -> str | None:
        raise NotImplementedError
