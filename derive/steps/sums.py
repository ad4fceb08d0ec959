"""Σ — its binder (\\sum_{w \\in V}, \\sum_{k=1}^K, \\sum_{w \\neq o}, a bare \\sum) and the
operand it takes, which a ∂/∂x shares — and cases."""
from __future__ import annotations

import re
from collections.abc import Callable

from . import vocabulary as vocab
from .cursor import OPEN
from .enumeration import enumerated
from .lexer import ReadError, Token, group_end
from .names import Names
from .nodes import (
    Add,
    Cases,
    Column,
    Deriv,
    Node,
    Obj,
    Pick,
    Ref,
    Stacked,
    Sum,
    Transpose,
    children,
)
from .window import other_pair, pair_loss, window_index

MATRICES = frozenset({"bmatrix", "pmatrix", "matrix", "Bmatrix"})



class Sums(Names):
    def summation(self, tok: Token) -> Node:
        index, size, exclude = None, None, None
        upper: list[Token] | None = None
        for _ in range(2):
            nxt = self.peek()
            if nxt is not None and nxt.is_char("_"):
                self.take()
                binder = self.group_tokens()
                if len(binder) == 1 and binder[0].text in vocab.SIZES:  # \sum_K: over K
                    size = binder[0].text
                    continue
                window = window_index(_stacked(binder), tok)
                if window is not None:
                    return self.window_sum(window, tok)
                index, size, exclude = self.sum_binder(binder, tok)
            elif nxt is not None and nxt.is_char("^"):
                self.take()
                upper = self.group_tokens()
            elif nxt is not None and nxt.is_cmd("limits"):
                self.take()
        if upper:
            text = "".join(t.text for t in upper if t.kind != "cmd" or t.text != "text")
            text = {"|V|": "V", "Vocab": "V", "|Vocab|": "V"}.get(text.replace("{", "").replace(
                "}", ""), text)
            if text not in self.sizes:
                raise ReadError(f"a sum runs to V, d or K, not {text}", tok.line, tok.col)
            size = text
        if index is None:  # \sum alone: the one index its body leaves free, if there is one
            start = self.pos
            body = self.signed_term()
            free = sorted(free_letters(body) - {"o"})
            if len(free) != 1:
                self.pos = start
                raise self.error("expected the index of the sum, as in \\sum_{w}", tok)
            self.took_rest = True
            return Sum(free[0], size, body, exclude)
        with self.binding(index):
            return self.rest_of_term(lambda body: Sum(index, size, body, exclude))

    def operand(self, make: Callable[[Node], Node]) -> Node:
        """What ∂/∂x applies to: the rest of its term — except that a bracketed group followed
        by an explicit product (∂/∂u [e^a] · b) is the operand alone, as it is typeset; and
        one that starts with a sign (∇_v −uᵀv + log Σ …) takes the whole rest of the formula,
        which its sign, written straight after the operator, opens — unless a later term has
        an operator of its own (∂/∂v −uᵀv + ∂/∂v log Σ …): then each takes its term."""
        tok = self.peek()
        if tok is not None and tok.is_char("-", "+"):
            start = self.pos
            rest = self.expr()
            terms = rest.terms if isinstance(rest, Add) else (rest,)
            if not any(_has_operator(t) for t in terms[1:]):
                self.took_rest = True
                return make(rest)
            self.pos = start
        if tok is not None and tok.is_char("(", "["):
            closer = OPEN[tok.text]
            depth = 0
            for j in range(self.pos, len(self.tokens)):
                t = self.tokens[j]
                depth += t.is_char("(", "[", "{") - t.is_char(")", "]", "}")
                if depth == 0:
                    after = self.tokens[j + 1] if j + 1 < len(self.tokens) else None
                    if t.is_char(closer) and after is not None and (
                            after.is_cmd("cdot", "times") or after.is_char("*")):
                        return make(self.primary())
                    break
        return self.rest_of_term(make)

    def _rows_ahead(self) -> bool:
        """Whether the environment starting here has more than one row (a \\\\ before \\end)."""
        depth = 0
        for t in self.tokens[self.pos:]:
            depth += t.is_char("{") - t.is_char("}")
            if t.is_cmd("end") and depth == 0:
                return False
            if t.is_cmd("\\") and depth == 0:
                return True
        return False

    def matrix_row(self, env: str, begin: Token) -> Node:
        """\\begin{bmatrix} a_1 & a_2 & \\cdots & a_{|V|} \\end{bmatrix}: one row of columns
        written out term by term, the matrix whose column w is a_w. Anything else is not read."""
        cells = self.until(lambda t: t.is_cmd("end"), begin)
        self.take()
        self.group_tokens()
        rows = _one_column(cells)
        found = enumerated(cells, "&") if rows is None else enumerated(rows, "&")
        if found is None:
            raise ReadError(f"\\begin{{{env}}} is read as one row [a_1 & a_2 & \\cdots & "
                            "a_{|V|}] or one column [a_1 \\\\ \\vdots \\\\ a_{|V|}] only",
                            begin.line, begin.col)
        term, letter = found
        with self.binding(letter):
            body = self.sub(term).side()
        if rows is not None:  # the rows a_w stacked: the vector (or matrix) whose row w is a_w
            return Transpose(Stacked(letter, "V", Transpose(body)))
        return Stacked(letter, "V", body)

    def window_sum(self, letter: str, tok: Token) -> Node:
        """Σ_{-m ≤ j ≤ m, j ≠ 0} of the pair loss of each outside word: its terms must name
        the word, J(v_c, w_{t+j}, U) — a term without it would be counted once per word."""
        index = f"t+{letter}"
        self.bound.add(index)
        try:
            node = self.rest_of_term(lambda body: Sum(index, "V", pair_loss(body, index), None,
                                                      window=True))
        finally:
            self.bound.discard(index)
        other = other_pair(node, index)
        if other is not None:
            raise ReadError(f"the window's pair loss is J(v_c, w_{{t+{letter}}}, U), not "
                            f"J({', '.join(_shown_argument(a) for a in other.args)})",
                            tok.line, tok.col)
        if not _names_word(node, index):
            raise ReadError("a sum over the context window adds the loss of each outside word: "
                            f"write its terms with J(v_c, w_{{t+{letter}}}, U)", tok.line,
                            tok.col)
        return node

    def rest_of_term(self, make: Callable[[Node], Node]) -> Node:
        """Σ and ∂/∂x apply to the rest of their term: Σ_w ŷ_w u_w + c is (Σ_w ŷ_w u_w) + c."""
        node = make(self.signed_term())
        self.took_rest = True
        return node

    def sum_binder(self, tokens: list[Token], tok: Token) -> tuple[str, str | None, str | None]:
        if any(t.is_cmd("le", "leq") for t in tokens):
            raise ReadError("sums over a context window (\\sum_{-m \\le j \\le m}, skip-gram) "
                            "are not read yet: check-steps reads the loss of one word pair",
                            tok.line, tok.col)
        p = self.sub(_stacked(tokens))
        index = self.aliases.index(p.atom())
        if not (vocab.is_index(index) or (re.fullmatch(r"[a-z]'*", index)
                                          and index[0] not in vocab.NEVER_INDEX)):
            raise vocab.unknown(index, tok.line, tok.col, what="index")
        size, exclude = None, None
        nxt = p.peek()
        if nxt is not None and nxt.is_cmd("in"):
            p.take()  # \in \text{Vocab}, \in V: the whole vocabulary
            while p.peek() is not None and not p.at(","):
                p.take()
            size = "V"
            exclude = self._excluded(p, index, tok)  # \sum_{w \in V, w \neq o}
        elif nxt is not None and nxt.is_char("="):
            p.take()
            rest = [t.text for t in p.tokens[p.pos:]]
            if len(rest) == 1 and vocab.is_index(self.aliases.index(rest[0])):
                only = self.aliases.index(rest[0])  # \sum_{w = o}: the one term w = o
                p.pos = len(p.tokens)
                return index, None, f"={only}"
            if rest[:1] != ["1"] or (len(rest) > 1 and rest[1] != ","):
                raise ReadError("a sum starts at 1, as in \\sum_{w=1}^{V}", tok.line, tok.col)
            p.take()
            exclude = self._excluded(p, index, tok)  # \sum_{w=1, w \neq o}^{V}
        elif nxt is not None and nxt.is_cmd("neq", "ne"):
            p.take()
            exclude = self.index(p.atom(), tok)
        if p.peek() is not None:
            raise p.error("expected \\sum_{w}, \\sum_{w \\in \\text{Vocab}}, \\sum_{w=1}^{V} "
                          "or \\sum_{w \\neq o}")
        return index, size, exclude

    def _excluded(self, p: Names, index: str, tok: Token) -> str | None:
        """`, w \\neq o` after a binder's range: the index left out, if one is."""
        if not p.at(","):
            return None
        p.take()
        if p.atom() != index or not (p.peek() is not None
                                     and p.peek().is_cmd("neq", "ne")):  # type: ignore[union-attr]
            raise p.error("expected \\sum_{w \\in V, w \\neq o}")
        p.take()
        return self.index(p.atom(), tok)

    def cases(self) -> Node:
        begin = self.take()
        env = self.group_text()
        if env == "array" and self.at("{"):  # \left\{ \begin{array}{ll} … : cases
            self.group_tokens()
        if env in MATRICES or (env == "array" and not self._rows_ahead()):
            return self.matrix_row(env, begin)  # one row: [a_1 & ⋯ & a_{|V|}]
        if env not in ("cases", "dcases", "array", "aligned"):
            raise ReadError(f"\\begin{{{env}}} is not read inside a formula (only cases)",
                            begin.line, begin.col)
        pieces: list[tuple[Node, Node | None]] = []
        while True:
            cells = _cells(self.until(lambda t: t.is_cmd("\\", "end"), begin))
            if cells:
                value, cond = cells[0], [t for cell in cells[1:] for t in cell]
                while cond and cond[-1].is_char(",", ".", ";"):  # & w = o, \\ … & w \neq o.
                    cond = cond[:-1]
                pieces.append((self.sub(_unbraced(value)).side(),
                               self.condition(_unbraced(cond))))
            if self.take().is_cmd("end"):
                self.group_tokens()
                if not pieces:
                    raise ReadError(f"\\begin{{{env}}} has no case", begin.line, begin.col)
                return Cases(tuple(pieces))


def _cells(row: list[Token]) -> list[list[Token]]:
    """A row of cases split at its &: the value, then the condition. Cells that hold nothing
    but alignment are left out — `&1 && \\text{if } w = o` in an aligned, `1 &,& w = o` — and
    a value's trailing comma (`1, & w = o`) goes."""
    cells: list[list[Token]] = [[]]
    depth = 0
    for t in row:
        if t.is_char("&") and depth == 0:
            cells.append([])
            continue
        depth += t.is_char("{") - t.is_char("}")
        cells[-1].append(t)
    for cell in cells:
        while cell and cell[-1].is_char(","):
            cell.pop()
    return [c for c in cells if c]


def _shown_argument(arg: str) -> str:
    """A loss's argument as written: the window's word o=t+j as w_{t+j}."""
    return f"w_{{{arg[2:]}}}" if arg.startswith("o=") else arg


def _one_column(cells: list[Token]) -> list[Token] | None:
    """a_1 \\\\ \\vdots \\\\ a_{|V|}, a matrix of one column written out row by row, as the
    row a_1 & \\cdots & a_{|V|} its rows make (\\vdots the dots); None for any other matrix."""
    depth = 0
    out: list[Token] = []
    for t in cells:
        depth += t.is_char("{") - t.is_char("}")
        if depth == 0 and t.is_char("&"):
            return None
        if depth == 0 and t.is_cmd("\\"):
            out.append(Token("char", "&", t.line, t.col))
        elif t.is_cmd("vdots", "ddots"):
            out.append(Token("cmd", "cdots", t.line, t.col))
        else:
            out.append(t)
    while out and out[-1].is_char("&"):  # a last \\ before \end
        out.pop()
    return out if any(t.is_char("&") for t in out) else None


def _unbraced(tokens: list[Token]) -> list[Token]:
    """A cell written in braces, {1} & {\text{if } w = o}, as an array's cells often are."""
    if len(tokens) >= 2 and tokens[0].is_char("{") and group_end(tokens, 0) == len(tokens):
        return tokens[1:-1]
    return tokens


def _has_operator(node: Node) -> bool:
    return (isinstance(node, Deriv) and node.operator) or any(
        _has_operator(c) for c in children(node))


def _names_word(node: Node, index: str) -> bool:
    """Whether the terms use the window's word: J(v_c, w_{t+j}, U), y_{w_{t+j}}, u_{w_{t+j}}."""
    if (isinstance(node, Ref) and node.outside == index) or (
            isinstance(node, Obj) and node.word == index):
        return True
    return index in free_letters(node) or any(_names_word(c, index) for c in children(node))


def _stacked(tokens: list[Token]) -> list[Token]:
    """A binder written in rows — \\substack{w \\in V \\\\ w \\neq o}, or the same rows in
    \\begin{array}{c} … \\end{array} — as the one-line binder they mean: w \\in V, w \\neq o."""
    if tokens and tokens[0].is_cmd("substack") and len(tokens) > 1 and tokens[1].is_char("{") \
            and group_end(tokens, 1) == len(tokens):
        rows = tokens[2:-1]
    elif tokens and tokens[0].is_cmd("begin") and "".join(
            t.text for t in tokens[1:group_end(tokens, 1)]) == "{array}" and any(
            t.is_cmd("end") for t in tokens):
        start = group_end(tokens, 1)  # past {array}
        if start < len(tokens) and tokens[start].is_char("{"):
            start = group_end(tokens, start)  # past the column spec {c}
        end = max(n for n, t in enumerate(tokens) if t.is_cmd("end"))
        rows = tokens[start:end]
    elif any(t.is_cmd("\\") for t in tokens):  # the rows with a bare \\: -m \le j \le m \\ j \neq 0
        rows = tokens
    else:
        return tokens
    return [Token("char", ",", t.line, t.col) if t.is_cmd("\\") else t for t in rows]


def free_letters(node: Node) -> set[str]:
    """The indices a formula uses and no Σ inside it binds: what a bare \\sum sums over."""
    if isinstance(node, Column):
        return {node.index}
    if isinstance(node, Pick):
        return set(node.indices) | free_letters(node.of)
    if isinstance(node, Sum | Stacked):
        return free_letters(node.body) - {node.index}
    out: set[str] = set()
    for child in children(node):
        out |= free_letters(child)
    return out
