"""Names a text introduces for a formula: "let θ = Uᵀv_c", "z = …", the argument of a
softmax the text names, "ŷ = softmax(θ)" — θ is then the logits the handout's ŷ is the
softmax of (its definition in the shipped loss files, read as data) — and a name defined entry
by entry, "x_o = u_oᵀv_c": the vector whose entry w is that formula at w (here Uᵀv_c), to the
end of the part."""
from __future__ import annotations

import functools

from . import vocabulary as vocab
from .bindings import INFERABLE, Bindings
from .document import Side, Step
from .lexer import ReadError, Token
from .nodes import Column, Func, Mul, Node, Obj, Ref, Stacked, Transpose
from .rows import Row, clean
from .sums import free_letters
from .syntax import Parser

HAT_Y = r"\hat{y}"


class Intermediates(Bindings):
    """The intermediates of a text (`names`), each bound in `definitions` to its formula."""

    names: frozenset[str] = frozenset()
    aliases: vocab.Aliases
    steps: list[Step]
    families: frozenset[str] = frozenset()  # names defined entry by entry, in this part

    def _intermediate(self, tokens: list[Token], step_line: int | None = None) -> bool:
        """"Let θ = Uᵀv_c", "z = …": a one-letter name the handout does not know, defined as
        a formula we can read, stands for that formula from here on."""
        try:
            row = clean(tokens)
        except ReadError:
            return False
        if len(row.relations) != 1 or not all(row.sides):
            return False
        head = row.sides[0]
        if _of_x(head):  # f(x) = …: a function of the handout's scalar x, named f
            head = head[:-3]
        name = _new_name(head, self.aliases, self.names)
        if name is None:
            family = _new_family(head, self.aliases, self.names)
            return family is not None and self._name_family(*family, row.sides[1], step_line)
        return self._name_formula(name, row.sides[1], step_line)

    def _name_family(self, name: str, index: str, tokens: list[Token],
                     step_line: int | None) -> bool:
        """name_index ≔ the formula `tokens` at every value of the index: name is the vector of
        those entries (x_o = u_oᵀv_c: x is Uᵀv_c), to the end of the part."""
        try:
            body = Parser(tokens, self.aliases, names=self.names).side()
        except ReadError:
            return False
        self.names |= {name}
        self.families |= {name}
        self.definitions[name] = _entries(index, body)
        if step_line is not None:
            self.steps.append(Step(step_line, Side(Ref(f"{name}_{index}"), step_line),
                                   Side(body, step_line), "definition",
                                   definitions=dict(self.definitions)))
        return True

    def end_families(self) -> None:
        """The part is over: the names it defined entry by entry mean nothing after it (x_o
        was u_oᵀv_c there; x is the handout's scalar again)."""
        for name in self.families:
            self.definitions.pop(name, None)
        self.names -= self.families
        self.families = frozenset()

    def _named_chain(self, row: Row, step_line: int) -> Row | None:
        """"l = A = B = C": a new one-letter name for the chain's first formula, which it then
        works out. The name stands for A from here on; the row goes on as A = B = C."""
        if len(row.relations) < 2 or not all(row.sides) or row.labels_start or \
                any(not r.is_char("=") for r in row.relations):
            return None
        name = _new_name(row.sides[0], self.aliases, self.names)
        if name is None:
            return None
        if not self._name_formula(name, row.sides[1], step_line):
            return None
        return Row(row.sides[1:], row.relations[1:], [], row.labels_end, row.condition,
                   row.braced)

    def _name_formula(self, name: str, tokens: list[Token], step_line: int | None) -> bool:
        """name ≔ the formula `tokens`, from here on, and a definition step on `step_line` (none
        when it is None: a definition in the prose); False, defining nothing, if unread."""
        try:
            value = Parser(tokens, self.aliases, names=self.names).side()
        except ReadError:
            return False
        self.names |= {name}
        self.definitions[name] = value
        if step_line is not None:
            self.steps.append(Step(step_line, Side(Ref(name), step_line), Side(value, step_line),
                                   "definition", definitions=dict(self.definitions)))
        return True

    def _softmax_argument(self, tokens: list[Token], step_line: int | None = None) -> bool:
        """"ŷ = softmax(θ)" with θ new: θ is the argument of the softmax ŷ is (Uᵀv_c). Alone,
        the row is θ's definition (True: nothing left to judge); a row that goes on
        (= exp(θ_o)/Σ_w exp(θ_w)) is then read as any other, with θ so bound."""
        logits = _logits()
        try:
            row = clean(tokens)
        except ReadError:
            return False
        if logits is None or len(row.relations) < 1 or not all(row.sides[:2]):
            return False
        inside = _call_argument(row.sides[1])
        name = _new_name(inside, self.aliases, self.names) if inside else None
        if name is None:
            return False
        try:
            head = Parser(row.sides[0], self.aliases, names=self.names).side()
            body = Parser(row.sides[1], self.aliases, names=self.names | {name}).side()
        except ReadError:
            return False
        if head != Obj(HAT_Y) or body != Func("softmax", Ref(name)):
            return False
        self.names |= {name}
        self.definitions[name] = logits
        if len(row.relations) > 1:
            return False
        if step_line is not None:
            self.steps.append(Step(step_line, Side(head, step_line), Side(body, step_line),
                                   "definition", definitions=dict(self.definitions)))
        return True


@functools.cache
def _logits() -> Node | None:
    """What ŷ is the softmax of, as the shipped loss files define ŷ."""
    from .loss import SHIPPED, read_scope

    for problem in INFERABLE:
        scope = read_scope((SHIPPED / f"{problem}.tex").read_text(encoding="utf-8"))
        found = scope.defined(HAT_Y)
        if found is not None and isinstance(found.formula, Func) and \
                found.formula.name == "softmax":
            return found.formula.arg
    return None


def _of_x(tokens: list[Token]) -> bool:
    """`… (x)` at the end: the head of f(x) = …."""
    return len(tokens) > 3 and [t.text for t in tokens[-3:]] == ["(", "x", ")"]


def _call_argument(tokens: list[Token]) -> list[Token] | None:
    """The tokens inside `f(…)` when `tokens` are exactly a function applied to one group."""
    open_at = next((n for n, t in enumerate(tokens) if t.is_char("(")), None)
    if open_at is None or not tokens[-1].is_char(")"):
        return None
    depth = 0
    for n, t in enumerate(tokens[open_at:], open_at):
        depth += t.is_char("(") - t.is_char(")")
        if depth == 0 and n != len(tokens) - 1:
            return None
    return tokens[open_at + 1:-1]


def _entries(index: str, body: Node) -> Node:
    """The vector whose entry at `index` is `body`: u_{index}ᵀ a, with a free of the index, is
    Uᵀa, written so that Uᵀv_c in a loss is found as this name; anything else is the column
    [body at each value]."""
    if isinstance(body, Mul) and len(body.factors) == 2 and \
            body.factors[0] == Transpose(Column(index)) and \
            index not in free_letters(body.factors[1]):
        return Mul((Transpose(Obj("U")), body.factors[1]), body.ops)
    return Transpose(Stacked(index, vocab.default_range(index), body))


def _new_family(tokens: list[Token], aliases: vocab.Aliases,
                known: frozenset[str]) -> tuple[str, str] | None:
    """(x, o) for a head `x_o`: a one-letter (or Greek) name with one word index, which the
    handout has no entry of — or x, whose entries x_i only σ(x_i) uses."""
    parser = Parser(tokens, aliases)
    try:
        written, _, transposed = parser.written_name_t()
    except ReadError:
        return None
    stem, _, index = written.partition("_")
    if transposed or parser.peek() is not None or not index or stem in known:
        return None
    if not (len(stem) == 1 or stem.lstrip("\\") in vocab.GREEK) or \
            stem in ("J", "e", "P", "p") or stem in vocab.SIZES or \
            not vocab.is_index(index) or index in ("i", "j"):
        return None
    if stem == "x":
        return stem, index
    try:
        Parser(tokens, aliases).side()
    except ReadError:
        return aliases.name(stem), index
    return None  # an entry the handout already has (y_w, u_o, ŷ_o, …)


def _new_name(tokens: list[Token], aliases: vocab.Aliases,
              known: frozenset[str]) -> str | None:
    """The name `tokens` spell, when it is one letter (or Greek letter) we do not know."""
    parser = Parser(tokens, aliases)
    try:
        written, _, transposed = parser.written_name_t()
    except ReadError:
        return None
    if transposed or parser.peek() is not None or "_" in written or written in known:
        return None
    if not (len(written) == 1 or written.lstrip("\\") in vocab.GREEK):
        return None
    if written in ("J", "e", "P", "p") or vocab.is_index(written) or written in vocab.SIZES:
        return None
    try:
        Parser(tokens, aliases).side()
    except ReadError:
        return aliases.name(written)
    return None  # a name the handout already has (U, y, x, \alpha, …)
