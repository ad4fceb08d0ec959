"""Names as students write them — bold or plain, with subscripts, primes, transposes, P(o|c) —
resolved to the handout's objects, and the indices and cases in their subscripts."""
from __future__ import annotations

import re

from . import vocabulary as vocab
from .cursor import Cursor
from .lexer import ReadError, Token
from .nodes import (
    Column,
    Const,
    Deriv,
    IndexRel,
    Node,
    Obj,
    Pick,
    Ref,
    Transpose,
)
from .objects import _is_transpose, resolve
from .window import DOTS, window_word

_CROSS_ENTROPY = "crossentropy"


def _argument_name(node: Node) -> str | None:
    """\\mathbf{v}_c, \\bm{U}: a loss's argument by the name of the object it is (None for any
    other formula), so that J(\\mathbf{v}_c, w_{t+j}, \\mathbf{U}) is J(v_c, w_{t+j}, U)."""
    if isinstance(node, Transpose) and node.a == Obj("U"):
        return "U"  # U declared |V|×d: read as the handout's Uᵀ, and still the loss's U
    return node.name if isinstance(node, Obj) else None


class Names(Cursor):
    def sub(self, tokens: list[Token]) -> Names:  # syntax.Parser's
        raise NotImplementedError

    def atom(self) -> str:
        """One index atom: a letter with primes, a number, or a Greek letter."""
        tok = self.take()
        if tok.kind == "cmd" and tok.text in ("text", "mathrm", "textrm"):
            return self.group_text()
        if tok.kind == "cmd" and tok.text in vocab.FONTS | vocab.INDEX_ACCENTS.keys():
            inner = self.sub(self.group_tokens())  # u_{\mathbf{o}}; u_{\hat{w}}, an index ŵ
            atom = inner.atom()
            if inner.peek() is not None or (tok.text in vocab.INDEX_ACCENTS
                                            and not re.fullmatch("[a-z]", atom)):
                raise inner.error("expected one index inside the font command")
            return atom + vocab.INDEX_ACCENTS.get(tok.text, "")
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
            save = self.pos
            sub = self.group_tokens()
            word = window_word(sub)
            if word is not None and word in self.bound:  # y_{w_{t+j}}: of the window's word
                return f"{base}_@{word}", tok, transposed
            if base == "v" and [t.text for t in sub if not t.is_char("{", "}")] == ["w", "_", "t"]:
                return "v_c", tok, transposed  # v_{w_t}: the centre word is c = w_t (handout)
            self.pos = save
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
            if [t.text for t in self.tokens[self.pos:self.pos + 3]] == ["C", "E", "("]:
                self.pos += 2
                return self.cross_entropy(tok0)
            spelt = self.tokens[self.pos:self.pos + len(_CROSS_ENTROPY) + 1]
            if "".join(t.text for t in spelt[:-1]).lower() == _CROSS_ENTROPY and \
                    all(t.kind == "letter" for t in spelt[:-1]) and spelt[-1].is_char("("):
                self.pos += len(_CROSS_ENTROPY)  # CrossEntropy(y, ŷ), spelt out: CE
                return self.cross_entropy(tok0)
        written, tok, transposed = self.written_name_t()
        node = self._named(written, tok)
        return Transpose(node) if transposed else node

    def _named(self, written: str, tok: Token) -> Node:
        stem, at, word = written.partition("_@")
        if at:  # the window's word w_{t+j}: its one-hot y, its ŷ entry, its column u
            if stem == "y":
                return Obj("y", word)
            if stem == r"\hat{y}":
                return Pick(Obj(stem), (word,))
            if stem == vocab.COLUMN_BASE:
                return Column(word)
            raise ReadError(f"{stem}_{{w_{{{word}}}}} is not read: y, \\hat{{y}} and u are, "
                            "of a word of the window", tok.line, tok.col)
        try:
            name = self.aliases.name(written)
            stem, _, sub = name.partition("_")
            if name.rstrip("'") in self.names:
                return self._intermediate_ref(name, tok)
            if stem in self.names and sub and all(vocab.is_index(a, self.bound)
                                                  for a in sub.split(",")):
                return Pick(Ref(stem), tuple(sub.split(",")))  # θ_o: an entry of θ
            if name in self.aliases.constants:  # λ, declared by the loss file --problem names
                return Const(name)
            node = resolve(name, written, tok, frozenset(self.bound))
            if self.aliases.u_rows:  # U declared |V|×d: the handout's Uᵀ, its entries swapped
                if node == Obj("U"):
                    node = Transpose(node)
                elif isinstance(node, Pick) and node.of == Obj("U"):
                    node = Pick(node.of, node.indices[::-1])
        except ReadError:
            column = self._column_run_together(written)
            if column is not None:
                return column
            run = written
            while (nxt := self.peek()) is not None and nxt.kind == "letter" and len(run) < 12:
                run += self.take().text
            if run != written:  # uw: a name written without its underscore
                raise vocab.unknown(run, tok.line, tok.col) from None
            raise
        if isinstance(node, Ref) and self.at("("):
            return Ref(node.name, self.call_args())
        return node

    def _column_run_together(self, written: str) -> Node | None:
        """uw^T v_c, as handwriting transcribed writes u_w: a u, which alone is no name, and an
        index letter after it that nothing else follows — the column u_w, the one reading."""
        nxt, after = self.peek(), self.peek(1)
        if written != vocab.COLUMN_BASE or "u" in self.names or nxt is None or \
                nxt.kind != "letter" or not vocab.is_index(nxt.text, self.bound) or (
                    after is not None and (after.kind == "letter" or after.is_char("_", "'"))):
            return None
        self.take()
        return Column(self.aliases.index(nxt.text))

    def _intermediate_ref(self, name: str, tok: Token) -> Node:
        """θ, or f(x) and f'(x) for an f the text defined as a function of x: its formula,
        and its derivative by x. At any other argument it is not read (its formula is of x)."""
        stem = name.rstrip("'")
        primes = len(name) - len(stem)
        while self.at("'"):  # f'(x): the prime follows the name
            self.take()
            primes += 1
        args = self.call_args() if self.at("(") else ()
        if args not in ((), ("x",)):
            raise self.error(f"{stem} is read at x only, as the text defined it", tok)
        node: Node = Ref(stem)
        for _ in range(primes):
            if args != ("x",):
                raise self.error(f"expected {stem}'(x)", tok)
            node = Deriv(node, Obj("x"))
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

    def cross_entropy(self, tok: Token) -> Node:
        """CE(y, ŷ): the cross-entropy of ŷ against y, the loss of the cross-entropy problem."""
        start = self.take()
        inside = self.until(lambda t: t.is_char(")"), start)
        self.take()
        at = next((n for n, t in enumerate(inside) if t.is_char(",")), None)
        if at is None or [self.sub(inside[:at]).side(), self.sub(inside[at + 1:]).side()] != [
                Obj("y"), Obj(r"\hat{y}")]:
            raise ReadError("CE is read as CE(y, \\hat{y}), the cross-entropy of ŷ against y",
                            tok.line, tok.col)
        return Ref("J_cross-entropy")

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
            word = window_word(current)
            if word is not None:  # J(v_c, w_{t+j}, U); J_{skip-gram}(v_c, w_{t-m}, …, U)
                names.append(f"o={word}" if word in self.bound else f"w_{{{word}}}")
                current = []
                continue
            if all(t.is_cmd(*DOTS) or t.is_char(".") for t in current):
                names.append("…")
                current = []
                continue
            p = self.sub(current)
            atom = p.atom_or_none()
            if atom is None:
                p.pos = 0
                atom = _argument_name(p.side())
            names.append(atom or "".join(t.shown() for t in current))
            current = []
        return tuple(names)
