"""A recursive-descent reader for one side of a step. It knows a fixed grammar and the handout's
names; anything else is an error naming the token, never a guess and never evaluated.

    side    := sign? term (('+' | '-') term)*
    term    := factor (('\\cdot' | '\\times' | '*' | '/')? factor)*   — Σ and ∂/∂x take the rest
    factor  := primary ('^' sup | '_' index)*
    primary := number | name | group | \\frac | \\sum | function | |x| | cases | P(O=w|C=c)
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from . import vocabulary as vocab
from .lexer import ReadError, Token, tokenize
from .nodes import (
    Add,
    Cases,
    Column,
    Const,
    Delta,
    Deriv,
    Div,
    Func,
    IndexRel,
    Max,
    Mul,
    Neg,
    Node,
    Num,
    Obj,
    Pick,
    Pow,
    Ref,
    Size,
    Sum,
    Transpose,
    ValueRel,
)

MAX_NESTING = 60
FUNCTIONS = {"exp": "exp", "log": "log", "ln": "log", "sigma": "sigma"}
OPEN = {"(": ")", "[": "]"}
SIZING = frozenset({"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
                    "biggr", "limits", "displaystyle"})
TRANSPOSE = frozenset({"top", "intercal", "T", "mathsf{T}"})
# Written products: × and · (scalar or dot product, by the shapes), ∘ (entrywise, Hadamard).
_PRODUCT_OPS = {"times": "×", "circ": "∘", "odot": "∘"}
RELATIONS = {"=": "=", "neq": "≠", "ne": "≠", "<": "<", ">": ">", "lt": "<", "gt": ">",
             "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥"}
# Tokens that end a term: a binary sign, a closing delimiter, a separator or a relation.
_END_CHARS = frozenset("+-=)]},&<>")
_END_CMDS = frozenset({"right", "\\", "mid", "end", "neq", "ne", "le", "leq", "ge", "geq",
                       "rVert", "Rightarrow", "implies"})


class Parser:
    # The sizes a sum may run to (a loss file declares its own).
    sizes: tuple[str, ...] = vocab.SIZES

    def __init__(self, tokens: list[Token], aliases: vocab.Aliases, *, end: Token | None = None):
        self.tokens, self.aliases, self.pos, self.nesting = tokens, aliases, 0, 0
        self.end = end or (tokens[-1] if tokens else Token("char", "", 0, 0))
        self.bars = 0  # open |…| groups: a bar inside one closes it
        self.took_rest = False  # a Σ or ∂/∂x just took the rest of the term as its operand

    # -- tokens ---------------------------------------------------------------------------
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
            return [self.take()]
        start, depth = self.pos + 1, 0
        while True:
            tok = self.take()
            depth += tok.is_char("{") - tok.is_char("}")
            if depth == 0:
                return self.tokens[start:self.pos - 1]

    def group_text(self) -> str:
        return "".join(t.shown() if t.kind == "cmd" else t.text for t in self.group_tokens())

    def sub(self, tokens: list[Token]) -> Parser:
        p = Parser(tokens, self.aliases, end=self.peek() or self.end)
        p.nesting = self.nesting
        return p

    # -- grammar --------------------------------------------------------------------------
    def side(self) -> Node:
        try:
            node = self.expr()
        except RecursionError:
            raise self.error("the formula is nested too deeply") from None
        if self.peek() is not None:
            raise self.error("expected the end of the formula or an operator")
        return node

    def expr(self) -> Node:
        terms = [self.signed_term()]
        while (tok := self.peek()) is not None and tok.is_char("+", "-"):
            terms.append(self.signed_term())
        return terms[0] if len(terms) == 1 else Add(tuple(terms))

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
        while (tok := self.peek()) is not None and tok.is_char("^", "_"):
            self.take()
            node = self.superscript(node) if tok.text == "^" else self.subscript_pick(node, tok)
        self.nesting -= 1
        return node

    def superscript(self, base: Node) -> Node:
        tokens = self.group_tokens()
        if len(tokens) == 1 and (tokens[0].is_cmd("top", "intercal") or tokens[0].text == "T"):
            return Transpose(base)
        exponent = self.sub(tokens).side()
        if isinstance(base, Ref) and base.name == "e":
            return Func("exp", exponent)
        return Pow(base, exponent)

    def subscript_pick(self, node: Node, tok: Token) -> Node:
        """(v_c)_j, (U_neg)_{j,k}: an entry of a parenthesised object."""
        atoms = [self.index(a, tok) for a in self.subscript_atoms()]
        if not isinstance(node, Obj | Column):
            raise ReadError("a subscript here must pick an entry of a vector or matrix",
                            tok.line, tok.col)
        return Pick(node, tuple(atoms))

    def primary(self) -> Node:
        tok = self.peek()
        if tok is None or not self.starts_factor(tok):
            raise self.error("expected a formula")
        if tok.kind == "number":
            self.take()
            return Num(tok.text)
        if tok.kind == "other":
            raise ReadError(f"unexpected character {tok.text!r} in a formula", tok.line, tok.col)
        if tok.is_char("(", "["):
            self.take()
            return self.closed(OPEN[tok.text])
        if tok.is_char("{"):
            return self.sub(self.group_tokens()).side()
        if tok.is_char("|") or tok.is_cmd("|", "lVert", "vert"):
            return self.bars_group(tok)
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

    def command(self, tok: Token) -> Node:
        name = tok.text
        if name in SIZING:
            self.take()
            return self.primary()
        if name == "left":
            self.take()
            opener = self.take()
            if opener.is_char("|") or opener.is_cmd("|", "lVert", "vert"):
                self.pos -= 1
                node = self.bars_group(opener)
                return node
            if not opener.is_char("(", "["):
                raise self.error("expected ( or [ after \\left", opener)
            inner = self.expr()
            right = self.take()
            if not right.is_cmd("right"):
                raise self.error("expected \\right", right)
            self.take()
            return inner
        if name in ("frac", "dfrac", "tfrac"):
            self.take()
            return self.fraction()
        if name == "sum":
            self.take()
            return self.summation(tok)
        if name in FUNCTIONS:
            self.take()
            return Func(FUNCTIONS[name], self.argument())
        if name == "max":
            self.take()
            return Max(tuple(self.arguments()))
        if name == "operatorname":
            self.take()
            word = self.group_text()
            if word != "softmax":
                raise ReadError(f"unknown function {word}; known: softmax, \\exp, \\log, "
                                "\\sigma, \\max", tok.line, tok.col)
            return Func("softmax", self.argument())
        if name == "begin":
            return self.cases()
        if name == "nabla":
            self.take()
            if not self.at("_"):
                raise self.error("expected \\nabla_{x}")
            self.take()
            var = self.variable(self.sub(self.group_tokens()).side(), tok)
            return self.rest_of_term(lambda body: Deriv(body, var))
        if name == "partial":
            raise self.error("∂ belongs in \\frac{\\partial …}{\\partial x}")
        if name in handout_macros():
            self.take()
            return self.sub(tokenize(handout_macros()[name], tok.line, tok.col)).side()
        if name not in vocab.FONTS | vocab.ACCENTS | vocab.GREEK:
            raise vocab.unknown("\\" + name, tok.line, tok.col, what="macro")
        return self.name()

    def argument(self) -> Node:
        """A function's argument: a delimited group, or else the next factor (\\log \\hat{y}_o)."""
        tok = self.peek()
        if tok is not None and (tok.is_char("(", "[", "{") or tok.is_cmd("left", *SIZING)):
            return self.primary()
        return self.factor()

    def arguments(self) -> list[Node]:
        """(a, b) or \\left(a, b\\right)."""
        tok = self.peek()
        sized = tok is not None and tok.is_cmd("left")
        if sized:
            self.take()
        self.expect_char("(")
        args = [self.expr()]
        while self.at(","):
            self.take()
            args.append(self.expr())
        if sized and not self.take().is_cmd("right"):
            raise self.error("expected \\right")
        self.expect_char(")")
        return args

    def fraction(self) -> Node:
        first = self.peek()
        num = self.group_tokens()
        den = self.group_tokens()
        if num and (num[0].is_cmd("partial") or (len(num) == 1 and num[0].text == "d"
                                                  and den and den[0].text == "d")):
            return self.derivative(num, den, first)
        return Div(self.sub(num).side(), self.sub(den).side())

    def derivative(self, num: list[Token], den: list[Token], tok: Token | None) -> Node:
        if not den or den[0].text not in ("partial", "d"):
            raise self.error("expected \\partial x below the line of a derivative", tok)
        var = self.variable(self.sub(den[1:]).side(), den[0])
        if len(num) > 1:
            return Deriv(self.sub(num[1:]).side(), var, operator=False)
        return self.rest_of_term(lambda body: Deriv(body, var))

    def variable(self, node: Node, tok: Token) -> Node:
        ok = (isinstance(node, Obj) and node.name in ("U", "v_c", "U_neg", "x")) or isinstance(
            node, Column) or (isinstance(node, Pick) and isinstance(node.of, Obj | Column)
                              and getattr(node.of, "name", "U") in ("U", "v_c", "U_neg"))
        if not ok:
            raise ReadError("a derivative is taken with respect to U, v_c, u_w, U_neg, x or "
                            "one of their entries", tok.line, tok.col)
        return node

    def summation(self, tok: Token) -> Node:
        index, size, exclude = None, None, None
        upper: list[Token] | None = None
        for _ in range(2):
            nxt = self.peek()
            if nxt is not None and nxt.is_char("_"):
                self.take()
                index, size, exclude = self.sum_binder(self.group_tokens(), tok)
            elif nxt is not None and nxt.is_char("^"):
                self.take()
                upper = self.group_tokens()
            elif nxt is not None and nxt.is_cmd("limits"):
                self.take()
        if index is None:
            raise self.error("expected the index of the sum, as in \\sum_{w}", tok)
        if upper is not None:
            text = "".join(t.text for t in upper)
            if text not in self.sizes:
                raise ReadError(f"a sum runs to V, d or K, not {text}", tok.line, tok.col)
            size = text
        return self.rest_of_term(lambda body: Sum(index, size, body, exclude))

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
        p = self.sub(tokens)
        index = self.index(p.atom(), tok)
        size, exclude = None, None
        nxt = p.peek()
        if nxt is not None and nxt.is_cmd("in"):
            p.take()
            p.pos = len(p.tokens)  # \in \text{Vocab}, \in V: the whole vocabulary
            size = "V"
        elif nxt is not None and nxt.is_char("="):
            p.take()
            if [t.text for t in p.tokens[p.pos:]] != ["1"]:
                raise ReadError("a sum starts at 1, as in \\sum_{w=1}^{V}", tok.line, tok.col)
            p.pos = len(p.tokens)
        elif nxt is not None and nxt.is_cmd("neq", "ne"):
            p.take()
            exclude = self.index(p.atom(), tok)
        if p.peek() is not None:
            raise p.error("expected \\sum_{w}, \\sum_{w \\in \\text{Vocab}}, \\sum_{w=1}^{V} "
                          "or \\sum_{w \\neq o}")
        return index, size, exclude

    def cases(self) -> Node:
        begin = self.take()
        env = self.group_text()
        if env != "cases":
            raise ReadError(f"\\begin{{{env}}} is not read inside a formula (only cases)",
                            begin.line, begin.col)
        pieces: list[tuple[Node, Node | None]] = []
        while True:
            value = self.until(lambda t: t.is_char("&"), begin)
            self.take()
            cond = self.until(lambda t: t.is_cmd("\\", "end"), begin)
            pieces.append((self.sub(value).side(), condition(cond, self.aliases)))
            if self.take().is_cmd("end"):
                self.group_tokens()
                return Cases(tuple(pieces))

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

    # -- names ----------------------------------------------------------------------------
    def atom(self) -> str:
        """One index atom: a letter with primes, a number, or a Greek letter."""
        tok = self.take()
        if tok.kind == "cmd" and tok.text in ("text", "mathrm", "textrm"):
            return self.group_text()
        text = "\\" + tok.text if tok.kind == "cmd" else tok.text
        if tok.kind == "letter":
            while self.at("'"):
                self.take()
                text += "'"
        return text

    def atom_or_none(self) -> str | None:
        """The whole of these tokens as one index (after --alias), or None."""
        try:
            atom = self.aliases.index(self.atom())
        except ReadError:
            return None
        return atom if self.peek() is None and vocab.is_index(atom) else None

    def subscript_atoms(self) -> list[str]:
        p = self.sub(self.group_tokens())
        atoms = []
        while p.peek() is not None:
            if p.at(","):
                p.take()
                continue
            atoms.append(p.atom())
        return atoms

    def index(self, atom: str, tok: Token) -> str:
        atom = self.aliases.index(atom)
        if not vocab.is_index(atom):
            raise vocab.unknown(atom, tok.line, tok.col, what="index")
        return atom

    def written_name(self) -> tuple[str, Token]:
        tok = self.peek()
        if tok is None:
            raise self.error("expected a name")
        base = None
        if tok.kind == "letter":
            for key in self.aliases.letter_keys():
                got = [t.text if t.kind == "letter" else "" for t in
                       self.tokens[self.pos:self.pos + len(key)]]
                if "".join(got) == key:
                    self.pos += len(key)
                    base = key
                    break
            if base is None:
                base = self.take().text
        elif tok.is_cmd(*vocab.FONTS):
            self.take()
            base = self.sub(self.group_tokens()).written_name()[0]
        elif tok.is_cmd(*vocab.ACCENTS):
            self.take()
            base = f"\\{tok.text}{{{self.sub(self.group_tokens()).written_name()[0]}}}"
            base = base.replace("\\widehat", "\\hat")
        elif tok.is_cmd(*vocab.GREEK):
            self.take()
            base = "\\" + tok.text
        else:
            raise self.error("expected a formula")
        nxt = self.peek()
        if nxt is not None and nxt.is_char("_") and "_" not in base:
            self.take()
            base += "_" + ",".join(self.subscript_atoms())
        return base, tok

    def name(self) -> Node:
        written, tok = self.written_name()
        try:
            node = resolve(self.aliases.name(written), written, tok)
        except ReadError:
            run = written
            while (nxt := self.peek()) is not None and nxt.kind == "letter" and len(run) < 12:
                run += self.take().text
            if run != written:  # uw: a name written without its underscore
                raise vocab.unknown(run, tok.line, tok.col) from None
            raise
        if isinstance(node, Ref) and node.name == "P":
            return self.probability(tok)
        if isinstance(node, Ref) and self.at("("):
            return Ref(node.name, self.call_args())
        return node

    def probability(self, tok: Token) -> Node:
        """P(O = w \\mid C = c): the model's probability of outside word w, which is ŷ_w."""
        shape = ["(", "O", "=", None, "mid", "C", "=", "c", ")"]
        index = None
        for want in shape:
            got = self.peek()
            if want is None:
                index = self.index(self.atom(), tok)
                continue
            if got is None or got.text != want:
                raise self.error("expected P(O = w \\mid C = c)", got)
            self.take()
        return Pick(Obj(r"\hat{y}"), (str(index),))

    def call_args(self) -> tuple[str, ...]:
        """J(v_c, o, U): the names a loss is written with; each must be one we know."""
        start = self.take()
        args = self.until(lambda t: t.is_char(")"), start)
        self.take()
        names, current = [], []
        for tok in [*args, Token("char", ",", 0, 0)]:
            if not tok.is_char(","):
                current.append(tok)
                continue
            if not current:
                raise self.error("expected a name between the commas", start)
            p = self.sub(current)
            atom = p.atom_or_none()
            if atom is None:
                p.pos = 0
                p.side()
            names.append(atom or "".join(t.shown() for t in current))
            current = []
        return tuple(names)


@functools.cache
def handout_macros() -> dict[str, str]:
    """\\vc, \\uw, \\yhat, …: the macros our handouts define, as notation states them."""
    from ..notation import MACROS  # loads SymPy: only when a macro is met

    return dict(MACROS)


def resolve(name: str, written: str, tok: Token) -> Node:
    """The handout object a (normalised, aliased) name denotes."""
    base, _, sub = name.partition("_")
    atoms = sub.split(",") if sub else []
    indices = all(vocab.is_index(a) for a in atoms)
    if name == "v_c":
        return Obj("v_c")
    if name == "U_neg":
        return Obj("U_neg")
    if base in ("U", "y", r"\hat{y}", "n") and not atoms:
        return Obj(base)
    if base == "U" and len(atoms) == 2 and indices:
        return Pick(Obj("U"), tuple(atoms))
    if base in ("y", r"\hat{y}", "n") and len(atoms) == 1 and indices:
        return Pick(Obj(base), tuple(atoms))
    if base == vocab.COLUMN_BASE and len(atoms) == 1 and indices:
        return Column(atoms[0])
    if name == "x":
        return Obj("x")
    if name in vocab.CONSTANTS:
        return Const(name)
    if name in vocab.SIZES:
        return Size(name)
    if base == "J" or name in ("e", "P"):
        return Ref(name)
    if base == r"\delta" and len(atoms) == 2 and indices:
        return Delta(atoms[0], atoms[1])
    if vocab.is_index(name):
        raise ReadError(f"{name} is an index, not a value", tok.line, tok.col)
    raise vocab.unknown(written, tok.line, tok.col)


def condition(tokens: list[Token], aliases: vocab.Aliases) -> Node | None:
    """`\\text{if } w = o`, `w \\neq o`, `\\text{for}\\: x < 0`; None for `\\text{otherwise}`."""
    p = Parser(tokens, aliases)
    words = []
    while (tok := p.peek()) is not None and (tok.is_cmd("text", "mathrm", "quad", ",", ":", ";")
                                             or tok.is_char(",")):
        p.take()
        if tok.is_cmd("text", "mathrm"):
            words.append(p.group_text().strip().lower())
    if any(w in vocab.OTHERWISE_WORDS for w in words) and p.peek() is None:
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
        if a is not None and b is not None:
            return IndexRel(a, op, b)
    return ValueRel(Parser(left, aliases).side(), op, Parser(right, aliases).side())


def parse_side(tokens: list[Token], aliases: vocab.Aliases) -> Node:
    return Parser(tokens, aliases).side()

