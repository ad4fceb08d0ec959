"""Commands: \\frac and the derivatives written with it, functions (\\exp, \\log, σ, σ′, words
without a backslash), \\max, \\operatorname, \\nabla, ∂J/∂x, sizing, and the handout's macros."""
from __future__ import annotations

from . import render
from . import vocabulary as vocab
from .lexer import ReadError, Token, tokenize
from .nodes import (
    Add,
    Column,
    Delta,
    Deriv,
    Div,
    Func,
    IndexRel,
    Max,
    Neg,
    Node,
    Num,
    Obj,
    Pick,
    Pow,
    Ref,
    Transpose,
)
from .objects import HANDOUT_MACRO_NAMES, handout_macros
from .sums import Sums

FUNCTIONS = {"exp": "exp", "log": "log", "ln": "log", "sigma": "sigma"}
SIZING = frozenset({"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
                    "biggr", "limits", "displaystyle"})


class Commands(Sums):
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
        if name in ("mathbb", "mathbf", "bm", "boldsymbol", "mathds") and [
                t.text for t in self.tokens[self.pos + 1:self.pos + 4]] == ["{", "1", "}"]:
            return self.indicator(tok)
        if name == "Sigma":
            self.take()
            return self.summation(tok)
        if name == "Pr":
            self.take()
            return self.probability(tok)
        if name in ("mathrm", "mathbb", "operatorname", "text", "textrm", "mathit", "mathsf") \
                and [t.text for t in self.tokens[self.pos + 1:self.pos + 5]] in (
                    ["{", "P", "}", "("], ["{", "P", "}", "["], ["{", "p", "}", "("]):
            self.pos += 4  # \mathrm{P}(O = o | C = c): P in a font, the model's probability
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

    def indicator(self, tok: Token) -> Node:
        """𝟙{w = o}, 𝟙[w ≠ o], 𝟙_{w=o}: 1 where the case of the word indices holds, else 0 —
        δ_wo, or 1 − δ_wo. Only a case of two indices is read; any other 𝟙 is not."""
        self.pos += 4
        opener = self.take()
        closers = {"{": "}", "[": "]", "(": ")"}
        if opener.is_char("_"):
            inner = self.group_tokens()
        elif opener.text in closers and (opener.kind == "cmd") == (opener.text == "{"):
            close = closers[opener.text]
            inner = self.until(lambda t: t.text == close and t.kind == opener.kind, tok)
            self.take()
        else:
            raise self.error("only an indicator of a case, 𝟙{w = o}, is read", opener)
        case = self.condition(inner)
        if not isinstance(case, IndexRel):
            raise self.error("only an indicator of a case of two indices, 𝟙{w = o}, is read",
                             opener)
        delta = Delta(case.a, case.b)
        return delta if case.op == "=" else Add((Num("1"), Neg(delta)))

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
        """exp, log, σ, softmax applied to their argument. A whole power right after the name
        is the power of the value, as in sin²x: σ^2(x) is σ(x)²; any other (σ^{-1}, σ^T) is
        not read."""
        if self.at("^"):
            save = self.pos
            self.take()
            power = [t.text for t in self.group_tokens()]
            if not (len(power) == 1 and power[0].isdigit() and int(power[0]) >= 2):
                self.pos = save
                raise self.error(f"a power written on {name} itself is not read", tok)
            return Pow(Func(name, self.argument()), Num(power[0]))
        return Func(name, self.argument())

    def word_function(self) -> Node | None:
        """exp(…), log(…), softmax(…) typed as letters, without a backslash."""
        for word, name in vocab.WORD_FUNCTIONS.items():
            got = self.tokens[self.pos:self.pos + len(word)]
            if len(got) == len(word) and all(t.kind == "letter" for t in got) and \
                    "".join(t.text for t in got) == word:
                after = self.peek(len(word))
                then = self.peek(len(word) + 1)
                if after is not None and after.kind == "letter" and not (
                        after.text in ("P", "p") and then is not None and then.is_char("(", "[")):
                    continue  # a longer word: not this function (but logP(o|c) is log P(o|c))
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
        slip = ""
        if num and den and den[0].is_cmd("partial") and not num[0].is_cmd("partial"):
            # \frac{J}{\partial U}: a quotient by ∂U means nothing; it is ∂J/∂U, its ∂ left out
            num, slip = [Token("cmd", "partial", num[0].line, num[0].col), *num], "above"
        elif num and den and num[0].is_cmd("partial") and not den[0].is_cmd("partial"):
            # \frac{\partial ŷ_w}{θ_o}: ∂ŷ_w divided by θ_o means nothing either
            den, slip = [Token("cmd", "partial", den[0].line, den[0].col), *den], "below"
        if num and den and (num[0].is_cmd("partial") or (
                num[0].text == "d" and num[0].kind == "letter" and den[0].text == "d")):
            node = self.derivative(num, den, first)
            if slip:
                self.readings.append(f"{render.text(node)} read as a derivative: the ∂ {slip} "
                                     "the line is missing in the file")
            return node
        return Div(self.sub(num).side(), self.sub(den).side())

    def derivative(self, num: list[Token], den: list[Token], tok: Token | None) -> Node:
        if not den or den[0].text not in ("partial", "d") or num[0].text != den[0].text:
            raise self.error("expected \\partial x below the line of a derivative", tok)
        var = self.variable(self.sub(den[1:]).side(), den[0])
        if len(num) == 2 and num[1].is_cmd("sigma") and (
                var == Obj("x") or (isinstance(var, Pick) and var.of == Obj("x_vec"))):
            return Deriv(Func("sigma", var), var, operator=False)  # dσ/dx: of σ(x)
        if len(num) > 1:
            return Deriv(self.sub(num[1:]).side(), var, operator=False)
        return self.operand(lambda body: Deriv(body, var))

    def variable(self, node: Node, tok: Token) -> Node:
        ok = (isinstance(node, Obj) and node.name in ("U", "v_c", "U_neg", "x", "v_w")) or (
            self.aliases.u_rows and node == Transpose(Obj("U"))) or (  # U declared |V|×d
            isinstance(node, Column)) or (
            isinstance(node, Pick) and isinstance(node.of, Obj | Column)
            and getattr(node.of, "name", "U") in ("U", "v_c", "U_neg", "x_vec")) or (
            isinstance(node, Ref) and node.name in self.names) or (  # θ, defined as θ = Uᵀv_c
            isinstance(node, Pick) and isinstance(node.of, Ref) and node.of.name in self.names
            and len(node.indices) == 1)  # θ_o, one of its entries
        if not ok:
            raise ReadError("a derivative is taken with respect to U, v_c, u_w, U_neg, x, v_w "
                            "(w ≠ c) or one of their entries", tok.line, tok.col)
        return node


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
