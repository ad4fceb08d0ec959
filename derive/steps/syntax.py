"""A recursive-descent reader for one side of a step. It knows a fixed grammar and the handout's
names; anything else is an error naming the token, never a guess and never evaluated.

    side    := sign? term (('+' | '-') term)*
    term    := factor (('\\cdot' | '\\times' | '*' | '/')? factor)*   — Σ and ∂/∂x take the rest
    factor  := primary ('^' sup | '_' index)*
    primary := number | name | group | \\frac | \\sum | function | |x| | cases | P(O=w|C=c)
"""
from __future__ import annotations

import functools
import re
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
    children,
)
from .tidy import tidy

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
                       "rVert", "Rightarrow", "implies", "}"})
# Commands that, as a one-token subscript, take their {…} group along: J_\mathrm{neg-sample}.
_WITH_ARGUMENT = frozenset({"text", "mathrm", "textrm", "mathbf", "boldsymbol", "bm", "mathit",
                            "operatorname", "textit", "pmb"})


class Parser:
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

    def sub(self, tokens: list[Token]) -> Parser:
        p = Parser(tokens, self.aliases, end=self.peek() or self.end, names=self.names)
        p.nesting, p.conditions, p.bound = self.nesting, self.conditions, self.bound
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
        while (tok := self.peek()) is not None and tok.is_char("^", "_"):
            self.take()
            node = self.superscript(node) if tok.text == "^" else self.subscript_pick(node, tok)
        self.nesting -= 1
        return node

    def superscript(self, base: Node) -> Node:
        tokens = self.group_tokens()
        if _is_transpose(tokens):
            return Transpose(base)
        if all(t.is_char("'") for t in tokens) and tokens:
            raise self.error("a prime on this is not read (σ'(x) is)", tokens[0])
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

    def command(self, tok: Token) -> Node:
        name = tok.text
        if name in SIZING:
            self.take()
            return self.primary()
        word = self._word_function() if name in (
            "text", "textrm", "mathrm", "operatorname", "textit", "mathit") else None
        if word is not None:
            self.take()
            self.group_tokens()
            return self.function_of(word, tok)
        if name == "Sigma":
            self.take()
            return self.summation(tok)
        if name == "Pr":
            self.take()
            return self.probability(tok)
        if name == "sigma" and self.peek(1) is not None and self.peek(1).is_char("'"):  # type: ignore[union-attr]
            self.take()
            self.take()
            return Func("dsigma", self.argument())
        if name == "sigma" and [t.text for t in self.tokens[self.pos + 1:self.pos + 3]] in (
                ["^", "prime"], ["^", "{"]) and self._prime_group():
            return Func("dsigma", self.argument())
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
            return self.function_of(FUNCTIONS[name], tok)
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
            return self.operand(lambda body: Deriv(body, var))
        if name == "partial":  # the slash form ∂J/∂U
            self.take()
            body = self.factor()
            if not self.at("/"):
                raise self.error("∂ belongs in \\frac{\\partial …}{\\partial x} or ∂J/∂x")
            self.take()
            under = self.take()
            if not under.is_cmd("partial"):
                raise self.error("expected \\partial x after the slash", under)
            var = self.variable(self.factor(), under)
            return Deriv(body, var, operator=False)
        if name in vocab.FONTS | vocab.ACCENTS | vocab.GREEK:  # (no handout macro is one)
            return self.name()
        if name in HANDOUT_MACRO_NAMES:
            self.take()
            return self.sub(tokenize(handout_macros()[name], tok.line, tok.col)).side()
        raise vocab.unknown("\\" + name, tok.line, tok.col, what="macro")

    def _at_letter(self, letter: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "letter" and tok.text == letter

    def _prime_group(self) -> bool:
        """σ^\\prime or σ^{\\prime}: taken, when it is one."""
        rest = [t.text for t in self.tokens[self.pos + 1:self.pos + 5]]
        for shape in (["^", "prime"], ["^", "{", "prime", "}"]):
            if rest[:len(shape)] == shape:
                self.pos += 1 + len(shape)
                return True
        return False

    def _word_function(self) -> str | None:
        """\\text{exp}, \\mathrm{log}, \\operatorname{softmax}: the function a word names."""
        nxt = self.peek(1)
        if nxt is None or not nxt.is_char("{"):
            return None
        end = self.pos + 2
        word = ""
        while end < len(self.tokens) and self.tokens[end].kind == "letter":
            word += self.tokens[end].text
            end += 1
        if end < len(self.tokens) and self.tokens[end].is_char("}"):
            return vocab.WORD_FUNCTIONS.get(word)
        return None

    def function_of(self, name: str, tok: Token) -> Node:
        """exp, log, σ, softmax applied to their argument; a power right after the name
        (\\sigma^2(x)) is not read."""
        if self.at("^"):
            raise self.error(f"a power written on {name} itself is not read", tok)
        return Func(name, self.argument())

    def word_function(self) -> Node | None:
        """exp(…), log(…), softmax(…) typed as letters, without a backslash."""
        for word, name in vocab.WORD_FUNCTIONS.items():
            got = self.tokens[self.pos:self.pos + len(word)]
            if len(got) == len(word) and all(t.kind == "letter" for t in got) and \
                    "".join(t.text for t in got) == word:
                after = self.peek(len(word))
                if after is not None and after.kind == "letter":
                    continue  # a longer word: not this function
                tok = got[0]
                self.pos += len(word)
                return self.function_of(name, tok)
        return None

    def argument(self) -> Node:
        """A function's argument: a delimited group, or else the next factor (\\log \\hat{y}_o).
        Braces are invisible in TeX: \\exp{(a) b} shows, and is, exp(a) b."""
        self._open_braces_before_parenthesis()
        tok = self.peek()
        if tok is not None and (tok.is_char("(", "[", "{") or tok.is_cmd("left", *SIZING)):
            return self.primary()
        return self.factor()

    def _open_braces_before_parenthesis(self) -> None:
        if not self.at("{") or self.peek(1) is None or not self.peek(1).is_char("("):  # type: ignore[union-attr]
            return
        start, depth, close, end = self.pos, 0, None, None
        for j in range(start, len(self.tokens)):
            t = self.tokens[j]
            depth += t.is_char("{", "(") - t.is_char("}", ")")
            if depth == 1 and t.is_char(")") and close is None:
                close = j
            if depth == 0:
                end = j
                break
        if end is not None and close is not None and close < end - 1:
            self.tokens = self.tokens[:start] + self.tokens[start + 1:end] + self.tokens[end + 1:]

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
        num = _differential(self.group_tokens())
        den = _differential(self.group_tokens())
        if num and den and (num[0].is_cmd("partial") or (
                num[0].text == "d" and num[0].kind == "letter" and den[0].text == "d")):
            return self.derivative(num, den, first)
        return Div(self.sub(num).side(), self.sub(den).side())

    def derivative(self, num: list[Token], den: list[Token], tok: Token | None) -> Node:
        if not den or den[0].text not in ("partial", "d") or num[0].text != den[0].text:
            raise self.error("expected \\partial x below the line of a derivative", tok)
        var = self.variable(self.sub(den[1:]).side(), den[0])
        if len(num) > 1:
            return Deriv(self.sub(num[1:]).side(), var, operator=False)
        return self.operand(lambda body: Deriv(body, var))

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
                binder = self.group_tokens()
                if len(binder) == 1 and binder[0].text in vocab.SIZES:  # \sum_K: over K
                    size = binder[0].text
                    continue
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
            free = sorted(_free_letters(body) - {"o"})
            if len(free) != 1:
                self.pos = start
                raise self.error("expected the index of the sum, as in \\sum_{w}", tok)
            self.took_rest = True
            return Sum(free[0], size, body, exclude)
        fresh = index not in self.bound
        self.bound.add(index)
        try:
            return self.rest_of_term(lambda body: Sum(index, size, body, exclude))
        finally:
            if fresh:
                self.bound.discard(index)

    def operand(self, make: Callable[[Node], Node]) -> Node:
        """What ∂/∂x applies to: the rest of its term — except that a bracketed group followed
        by an explicit product (∂/∂u [e^a] · b) is the operand alone, as it is typeset."""
        tok = self.peek()
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
            if p.at(","):  # \sum_{w \in V, w \neq o}
                p.take()
                if p.atom() != index or not (p.peek() is not None
                                             and p.peek().is_cmd("neq", "ne")):  # type: ignore[union-attr]
                    raise p.error("expected \\sum_{w \\in V, w \\neq o}")
                p.take()
                exclude = self.index(p.atom(), tok)
        elif nxt is not None and nxt.is_char("="):
            p.take()
            rest = [t.text for t in p.tokens[p.pos:]]
            if len(rest) == 1 and vocab.is_index(self.aliases.index(rest[0])):
                only = self.aliases.index(rest[0])  # \sum_{w = o}: the one term w = o
                p.pos = len(p.tokens)
                return index, None, f"={only}"
            if rest != ["1"]:
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
        if env == "array" and self.at("{"):  # \left\{ \begin{array}{ll} … : cases
            self.group_tokens()
        elif env not in ("cases", "dcases"):
            raise ReadError(f"\\begin{{{env}}} is not read inside a formula (only cases)",
                            begin.line, begin.col)
        pieces: list[tuple[Node, Node | None]] = []
        while True:
            value = self.until(lambda t: t.is_char("&"), begin)
            while value and value[-1].is_char(","):  # 1, & w = o
                value = value[:-1]
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
        if tok.kind == "cmd" and tok.text in vocab.FONTS:  # u_{\mathbf{o}}
            inner = self.sub(self.group_tokens())
            atom = inner.atom()
            if inner.peek() is not None:
                raise inner.error("expected one index inside the font command")
            return atom
        text = "\\" + tok.text if tok.kind == "cmd" else tok.text
        if tok.kind == "letter":
            while self.at("'"):
                self.take()
                text += "'"
            if text == "w" and self.at("_"):  # u_{w_s}: the s-th negative sample
                self.take()
                return self.sub(self.group_tokens()).atom()
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
        atoms: list[str] = []
        while p.peek() is not None:
            if p.at(","):
                p.take()
                continue
            nxt = p.peek()
            if atoms and nxt is not None and (nxt.is_char("=") or nxt.is_cmd("neq", "ne")):
                p.take()  # u_{w ≠ o}: u_w, in the case w ≠ o
                other = p.atom()
                op = "=" if nxt.is_char("=") else "≠"
                self.conditions.append(IndexRel(self.aliases.index(atoms[-1]), op,
                                                self.aliases.index(other)))
                continue
            atoms.append(p.atom())
        return atoms

    def index(self, atom: str, tok: Token) -> str:
        atom = self.aliases.index(atom)
        if not vocab.is_index(atom, self.bound):
            raise vocab.unknown(atom, tok.line, tok.col, what="index")
        return atom

    def written_name(self) -> tuple[str, Token]:
        base, tok, transposed = self.written_name_t()
        if transposed:
            raise self.error("a transpose is not read here", tok)
        return base, tok

    def written_name_t(self) -> tuple[str, Token, bool]:
        """A name in normal form, where it starts, and whether a transpose was written inside
        its font command or before its subscript (\\bm{U^\\top}, u^\\top_k): never dropped."""
        tok = self.peek()
        if tok is None:
            raise self.error("expected a name")
        base, transposed = None, False
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
            inner = self.sub(self.group_tokens())
            base, _, transposed = inner.written_name_t()
            transposed ^= inner.trailing_transpose(f"\\{tok.text}{{…}}")
        elif tok.is_cmd(*vocab.ACCENTS):
            self.take()
            inner = self.sub(self.group_tokens())
            name, _, transposed = inner.written_name_t()
            transposed ^= inner.trailing_transpose(f"\\{tok.text}{{…}}")
            accent = "hat" if tok.text == "widehat" else tok.text
            stem, sep, index = name.partition("_")  # \hat{y_o} is \hat{y}_o
            base = f"\\{accent}{{{stem}}}" + (f"_{index}" if sep else "")
        elif tok.is_cmd(*vocab.GREEK):
            self.take()
            base = "\\" + tok.text
        else:
            raise self.error("expected a formula")
        if self.at("^") and "_" not in base:  # u^\top_k: the transpose before the subscript
            save = self.pos
            self.take()
            if _is_transpose(self.group_tokens()) and self.at("_"):
                transposed = not transposed
            else:
                self.pos = save
        nxt = self.peek()
        if nxt is not None and nxt.is_char("_") and "_" not in base:
            self.take()
            base += "_" + ",".join(self.subscript_atoms())
        return base, tok, transposed

    def trailing_transpose(self, where: str) -> bool:
        """What is left inside a font or accent group after its name: nothing, or a transpose.
        Anything else is an error — dropping it could make a wrong step pass."""
        if self.peek() is None:
            return False
        tok = self.take()
        if tok.is_char("^") and _is_transpose(self.group_tokens()) and self.peek() is None:
            return True
        raise self.error(f"only a name (and a transpose) is read inside {where}", tok)

    def name(self) -> Node:
        tok0 = self.peek()
        if tok0 is not None and tok0.kind == "letter":
            func = self.word_function()
            if func is not None:
                return func
            if tok0.text in ("P", "p") and self.peek(1) is not None and \
                    self.peek(1).is_char("(", "["):  # type: ignore[union-attr]
                self.take()
                return self.probability(tok0)
        written, tok, transposed = self.written_name_t()
        node = self._named(written, tok)
        return Transpose(node) if transposed else node

    def _named(self, written: str, tok: Token) -> Node:
        try:
            name = self.aliases.name(written)
            stem, _, sub = name.partition("_")
            if name in self.names:
                return Ref(name)
            if stem in self.names and sub and all(vocab.is_index(a, self.bound)
                                                  for a in sub.split(",")):
                return Pick(Ref(stem), tuple(sub.split(",")))  # θ_o: an entry of θ
            node = resolve(name, written, tok, frozenset(self.bound))
        except ReadError:
            run = written
            while (nxt := self.peek()) is not None and nxt.kind == "letter" and len(run) < 12:
                run += self.take().text
            if run != written:  # uw: a name written without its underscore
                raise vocab.unknown(run, tok.line, tok.col) from None
            raise
        if isinstance(node, Ref) and self.at("("):
            return Ref(node.name, self.call_args())
        return node

    def probability(self, tok: Token) -> Node:
        """P(O = w | C = c), P(w|c), p(o \\mid c), \\Pr[o|c], P(O=o, C=c) given c: the model's
        probability of outside word w, which is ŷ_w."""
        opener = self.take()
        if not opener.is_char("(", "["):
            raise self.error("expected P(O = w \\mid C = c)", opener)
        closer = ")" if opener.text == "(" else "]"
        if self._at_letter("O") and self.peek(1) is not None and self.peek(1).is_char("="):  # type: ignore[union-attr]
            self.pos += 2
        index = self.index(self.atom(), tok)
        sep = self.take()
        if not (sep.is_char("|", ",") or sep.is_cmd("mid", "|", "vert")):
            raise self.error("expected P(O = w \\mid C = c)", sep)
        if self._at_letter("C") and self.peek(1) is not None and self.peek(1).is_char("="):  # type: ignore[union-attr]
            self.pos += 2
        centre = self.take()
        if centre.text != "c":
            raise self.error("expected the centre word c in P(O = w | C = c)", centre)
        self.expect_char(closer)
        return Pick(Obj(r"\hat{y}"), (index,))

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


# The names of the macros our handouts define (notation.MACROS, which loads SymPy, holds their
# bodies): a command not among them is unknown without loading it. test_syntax keeps the two equal.
HANDOUT_MACRO_NAMES = frozenset({"vc", "U", "uw", "uo", "yhat", "y", "uk", "Uneg", "vw"})


@functools.cache
def handout_macros() -> dict[str, str]:
    """\\vc, \\uw, \\yhat, …: the macros our handouts define, as notation states them."""
    from ..notation import MACROS  # loads SymPy: only when a macro is met

    return dict(MACROS)


def resolve(name: str, written: str, tok: Token, bound: frozenset[str] = frozenset()) -> Node:
    """The handout object a (normalised, aliased) name denotes."""
    base, _, sub = name.partition("_")
    atoms = sub.split(",") if sub else []
    indices = all(vocab.is_index(a, bound) for a in atoms)
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



def _is_transpose(tokens: list[Token]) -> bool:
    """^\\top, ^T, ^{\\intercal}, ^{\\mathsf{T}}, ^{\\mathrm{T}}."""
    text = "".join(t.shown() for t in tokens if not t.is_char("{", "}"))
    return text in ("\\top", "T", "\\intercal", "\\mathsf T", "\\mathsfT", "\\mathrmT",
                    "\\mathbfT", "\\textT", "\\textsfT", "\\textsf T", "\\text T")


def _differential(tokens: list[Token]) -> list[Token]:
    """\\mathrm{d}, \\text{d}, \\operatorname{d}: the letter d of a differential."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.kind == "cmd" and t.text in ("mathrm", "text", "operatorname", "textrm") and \
                [x.text for x in tokens[i + 1:i + 4]] == ["{", "d", "}"]:
            out.append(Token("letter", "d", t.line, t.col))
            i += 4
            continue
        out.append(t)
        i += 1
    return out


def _free_letters(node: Node) -> set[str]:
    """The indices a formula uses and no Σ inside it binds: what a bare \\sum sums over."""
    if isinstance(node, Column):
        return {node.index}
    if isinstance(node, Pick):
        return set(node.indices) | _free_letters(node.of)
    if isinstance(node, Sum):
        return _free_letters(node.body) - {node.index}
    out: set[str] = set()
    for child in children(node):
        out |= _free_letters(child)
    return out
