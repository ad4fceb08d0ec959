"""A recursive-descent reader for one side of a step. It knows a fixed grammar and the handout's
names; anything else is an error naming the token, never a guess and never evaluated.

    side    := sign? term (('+' | '-') term)*
    term    := factor (('\\cdot' | '\\times' | '*' | '/')? factor)*   — Σ and ∂/∂x take the rest
    factor  := primary ('^' sup | '_' index)*
    primary := number | name | group | \\frac | \\sum | function | |x| | cases | P(O=w|C=c)

The reader is layered: cursor.py (tokens) ← names.py ← sums.py ← commands.py ← Parser, here.
"""
from __future__ import annotations

from . import vocabulary as vocab
from .commands import Commands
from .cursor import OPEN, RELATIONS
from .enumeration import enumerated, extent
from .lexer import ReadError, Token
from .nodes import (
    Add,
    Column,
    Deriv,
    Div,
    Func,
    IndexRel,
    Mul,
    Neg,
    Node,
    Num,
    Obj,
    Pick,
    Pow,
    Ref,
    Stacked,
    Sum,
    Transpose,
    ValueRel,
    children,
)
from .objects import _is_transpose

MAX_NESTING = 60
TRANSPOSE = frozenset({"top", "intercal", "T", "mathsf{T}"})
# Written products: × and · (scalar or dot product, by the shapes), ∘ (entrywise, Hadamard).
_PRODUCT_OPS = {"times": "×", "circ": "∘", "odot": "∘"}
# Tokens that end a term: a binary sign, a closing delimiter, a separator or a relation.
_END_CHARS = frozenset("+-=)]},&<>")
_END_CMDS = frozenset({"right", "\\", "mid", "end", "neq", "ne", "le", "leq", "ge", "geq",
                       "rVert", "Rightarrow", "implies", "}"})


class Parser(Commands):
    def sub(self, tokens: list[Token]) -> Parser:
        p = Parser(tokens, self.aliases, end=self.peek() or self.end, names=self.names)
        p.nesting, p.conditions, p.bound = self.nesting, self.conditions, self.bound
        p.readings = self.readings
        return p

    def side(self) -> Node:
        try:
            node = self.expr()
        except RecursionError:
            raise self.error("the formula is nested too deeply") from None
        if self.peek() is not None:
            raise self.error("expected the end of the formula or an operator")
        return node

    def expr(self) -> Node:
        written = self.written_out()
        if written is not None:
            return written
        terms = [self.signed_term()]
        while (tok := self.peek()) is not None and tok.is_char("+", "-"):
            terms.append(self.signed_term())
        return terms[0] if len(terms) == 1 else Add(tuple(terms))

    def written_out(self) -> Node | None:
        """y_1 log ŷ_1 + ⋯ + y_{|V|} log ŷ_{|V|}: the Σ over the vocabulary it writes out."""
        end = extent(self.tokens, self.pos)
        found = enumerated(self.tokens[self.pos:end])
        if found is None:
            return None
        term, letter = found
        with self.binding(letter):
            body = self.sub(term).side()
        self.pos = end
        return Sum(letter, "V", body)

    def signed_term(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.is_char("+", "-"):
            self.take()
            inner = self.signed_term()
            return Neg(inner) if tok.text == "-" else inner
        return self.term()

    def term(self) -> Node:
        factors: list[Node] = [self.factor()]
        ops: list[str] = []
        while not self.took_rest:
            tok = self.peek()
            if tok is None:
                break
            if tok.is_cmd("cdot", "times", "circ", "odot") or tok.is_char("*"):
                self.take()
                ops.append(_PRODUCT_OPS.get(tok.text, "·"))
                sign = self.peek()
                if sign is not None and sign.is_char("-", "+"):  # a · -b
                    self.take()
                    operand = self.factor()
                    factors.append(Neg(operand) if sign.text == "-" else operand)
                    continue
            elif tok.is_char("/"):
                self.take()
                factors[-1] = Div(factors[-1], self.factor())
                continue
            elif self.starts_factor(tok):
                ops.append("")
            else:
                break
            factors.append(self.factor())
        self.took_rest = False
        return factors[0] if len(factors) == 1 else Mul(tuple(factors), tuple(ops))

    def starts_factor(self, tok: Token) -> bool:
        if tok.is_char("|") or tok.is_cmd("|", "vert"):
            return self.bars == 0  # inside |…| a bar closes
        if tok.kind == "char":
            return tok.text not in _END_CHARS
        if tok.kind == "cmd":
            return tok.text not in _END_CMDS and tok.text not in RELATIONS
        return True

    def factor(self) -> Node:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"the formula is nested more than {MAX_NESTING} deep")
        node = self.primary()
        if isinstance(node, Func) and node.name == "sigma" and self.at("'") and not (
                self.peek(1) is not None and self.peek(1).is_char("'")):  # type: ignore[union-attr]
            self.take()  # σ(x)': σ'(x), as σ' is read
            node = Func("dsigma", node.arg)
        while (tok := self.peek()) is not None and (tok.is_char("^", "_") or self._empty_group()):
            if tok.is_char("{"):  # u_w{}^{T}, as converters write it: the {} holds nothing
                self.pos += 2
                continue
            self.take()
            node = self.superscript(node) if tok.text == "^" else self.subscript_pick(node, tok)
        self.nesting -= 1
        return node

    def _empty_group(self) -> bool:
        """An empty {} just before a superscript or subscript."""
        after = self.peek(2)
        return self.at("{") and self.peek(1) is not None and self.peek(1).is_char("}") and (  # type: ignore[union-attr]
            after is not None and after.is_char("^", "_"))

    def superscript(self, base: Node) -> Node:
        tokens = self.group_tokens()
        if _is_transpose(tokens):
            return Transpose(base)
        if tokens and all(t.is_char("'") or t.is_cmd("prime") for t in tokens):
            if len(tokens) == 1 and _of_x_alone(base):  # (e^x + 1)': a formula of x, by x
                return Deriv(base, Obj("x"), operator=False)
            raise self.error("a prime on this is not read (σ'(x) is)", tokens[0])
        exponent = self.sub(tokens).side()
        if isinstance(base, Ref) and base.name == "e":
            return Func("exp", exponent)
        return Pow(base, exponent)

    def subscript_pick(self, node: Node, tok: Token) -> Node:
        """(v_c)_j, (U_neg)_{j,k}: an entry of a parenthesised object; ‖U‖_F, ‖v_c‖_2: the norm
        (the same sum of squares, as the loss files read it)."""
        if isinstance(node, Func) and node.name == "norm":
            if self.subscript_atoms() not in (["F"], ["2"]):
                raise ReadError("a norm is ‖x‖, ‖x‖_2 or ‖X‖_F", tok.line, tok.col)
            return node
        atoms = [self.index(a, tok) for a in self.subscript_atoms()]
        if not isinstance(node, Obj | Column):
            raise ReadError("a subscript here must pick an entry of a vector or matrix",
                            tok.line, tok.col)
        return Pick(node, tuple(atoms))

    def primary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.text == "'":  # U′ as some write Uᵀ: never guessed
            raise self.error("a prime is not read as a transpose: write ^\\top (or ^T)")
        if tok is None or not self.starts_factor(tok):
            raise self.error("expected a formula")
        if tok.kind == "number":
            self.take()
            return Num(tok.text)
        if tok.kind == "other":
            raise ReadError(f"unexpected character {tok.text!r} in a formula", tok.line, tok.col)
        if tok.is_char("[") and (listed := self.bracket_list()) is not None:
            return listed
        if tok.is_char("(", "["):
            self.take()
            return self.closed(OPEN[tok.text])
        if tok.is_char("{"):
            return self.sub(self.group_tokens()).side()
        if tok.is_cmd("{"):  # \left\{ … \right\} (parentheses), or \left\{ \begin{array} (cases)
            self.take()
            nxt = self.peek()
            if nxt is not None and nxt.is_cmd("begin"):
                node = self.cases()
                if self.peek() is not None and self.peek().is_cmd("}"):  # type: ignore[union-attr]
                    self.take()
                return node
            inner = self.expr()
            close = self.take()
            if not close.is_cmd("}"):
                raise self.error("expected \\}", close)
            return inner
        if tok.is_char("|") or tok.is_cmd("|", "lVert", "vert"):
            return self.bars_group(tok)
        if tok.kind == "cmd" and tok.text in vocab.FONTS | {"vec"} and [
                t.text for t in self.tokens[self.pos + 1:self.pos + 4]] == ["{", "0", "}"]:
            self.pos += 4  # \mathbf{0}: the zero vector, a written 0 of any shape
            return Num("0")
        if tok.kind == "cmd":
            return self.command(tok)
        return self.name()

    def closed(self, closer: str) -> Node:
        inner = self.expr()
        self.expect_char(closer)
        return inner

    def bars_group(self, tok: Token) -> Node:
        self.take()
        self.bars += 1
        inner = self.expr()
        self.bars -= 1
        close = self.take()
        if close.is_cmd("right"):
            close = self.take()
        if close.text not in ("|", "rVert", "vert"):
            raise self.error("expected the closing bar", close)
        return Func("abs" if tok.text in ("|", "vert") and tok.kind == "char" else "norm", inner)

    def condition(self, tokens: list[Token]) -> Node | None:
        return condition(tokens, self.aliases)

    def bracket_list(self) -> Node | None:
        """[a_1, a_2, \\cdots, a_{|V|}]: the columns a_w side by side, as the handout writes
        ∂J/∂U = [∂J/∂u_1, ∂J/∂u_2, ⋯, ∂J/∂u_{|V|}] — read only when the terms are one formula at
        one index counting up to |V| (enumeration.py); None for any other bracket."""
        depth, end = 0, None
        for n in range(self.pos, len(self.tokens)):
            t = self.tokens[n]
            depth += t.is_char("(", "[", "{") - t.is_char(")", "]", "}")
            if depth == 0:
                end = n
                break
        if end is None or not self.tokens[end].is_char("]"):
            return None
        found = enumerated(self.tokens[self.pos + 1:end], ",")
        if found is None:
            return None
        term, letter = found
        self.pos = end + 1
        with self.binding(letter):
            body = self.sub(term).side()
        return Stacked(letter, "V", body)


def condition(tokens: list[Token], aliases: vocab.Aliases) -> Node | None:
    """`\\text{if } w = o`, `w \\neq o`, `\\text{for}\\: x < 0`; None for `\\text{otherwise}`."""
    tokens = _math_out_of_text(tokens)
    p = Parser(tokens, aliases)
    words = []
    while (tok := p.peek()) is not None and (tok.is_cmd("text", "mathrm", "quad", ",", ":", ";")
                                             or tok.is_char(",")):
        p.take()
        if tok.is_cmd("text", "mathrm"):
            words.append(p.group_text().strip().lower())
    otherwise = vocab.OTHERWISE_WORDS | {c + o for c in vocab.CONDITION_WORDS  # "if otherwise"
                                         for o in vocab.OTHERWISE_WORDS}
    if any(w in otherwise for w in words) and p.peek() is None:
        return None
    rest = tokens[p.pos:]
    at = next((n for n, t in enumerate(rest) if t.is_char("=", "<", ">") or (
        t.kind == "cmd" and t.text in RELATIONS)), None)
    if at is None:
        where = rest[0] if rest else (tokens[0] if tokens else Token("char", "", 0, 0))
        raise ReadError("expected a condition such as w = o, w \\neq o or x < 0, or "
                        "\\text{otherwise}", where.line, where.col)
    op = RELATIONS[rest[at].text]
    left, right = rest[:at], rest[at + 1:]
    if op in ("=", "≠") and len(left) <= 3 and len(right) <= 3:
        a, b = Parser(left, aliases).atom_or_none(), Parser(right, aliases).atom_or_none()
        if b is None and op == "≠" and [t.text for t in right] == ["c"]:
            b = "c"  # w ≠ c: another word than the centre one, which v_w already is
        if a is not None and b is not None:
            return IndexRel(a, op, b)
    return ValueRel(Parser(left, aliases).side(), op, Parser(right, aliases).side())


def _of_x_alone(node: Node) -> bool:
    """Whether `node` is a formula of the scalar x and numbers only, so that a prime on it can
    only mean its derivative by x."""
    found: set[str] = set()

    def visit(n: Node) -> bool:
        if isinstance(n, Obj):
            found.add(n.name)
        if isinstance(n, Num | Obj | Func | Add | Mul | Div | Pow | Neg):
            return all(visit(c) for c in children(n))
        return False

    return visit(node) and found == {"x"}


def _math_out_of_text(tokens: list[Token]) -> list[Token]:
    """\\text{if $w = o$}: the words in the text, then the formula set in it."""
    if len(tokens) < 3 or not tokens[0].is_cmd("text", "mathrm", "textrm") \
            or not tokens[1].is_char("{") or tokens[-1].text != "}":
        return tokens
    inner = tokens[2:-1]
    dollars = [n for n, t in enumerate(inner) if t.kind == "other" and t.text == "$"]
    if len(dollars) != 2 or dollars[1] != len(inner) - 1:
        return tokens
    words = inner[:dollars[0]]
    opened = [Token("cmd", "text", tokens[0].line, tokens[0].col), tokens[1]]
    return [*opened, *words, tokens[-1], *inner[dollars[0] + 1:dollars[1]]]


def parse_side(tokens: list[Token], aliases: vocab.Aliases) -> Node:
    return Parser(tokens, aliases).side()
