"""Loss files: a loss written as a small LaTeX file, read by the step checker's own grammar.

    Let $\\mathbf{U} \\in \\mathbb{R}^{d \\times V}$, $\\mathbf{v}_c \\in \\mathbb{R}^{d}$
    and $\\mathbf{b} \\in \\mathbb{R}^{V}$; $o \\in \\{1, \\dots, V\\}$ is the outside word,
    $\\mathbf{y}$ its one-hot vector, and $\\lambda > 0$.
    $$\\hat{\\mathbf{y}} = \\operatorname{softmax}(\\mathbf{U}^\\top \\mathbf{v}_c + \\mathbf{b})$$
    $$J = -\\log \\hat{y}_o + \\frac{\\lambda}{2} \\|\\mathbf{v}_c\\|^2$$

Each $…$, $$…$$ or \\[…\\] is a declaration (X ∈ ℝ^{m×n}, ℝ^m, ℝ; o ∈ {1, …, V}; λ > 0), a
definition (name = formula; the last one of J is the loss) or a mention, which is skipped. The
formulas are read by syntax.Parser with names resolved against the declarations (lossmath.py
turns them into the engine's Loss); nothing is ever evaluated as code.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import syntax
from . import vocabulary as vocab
from .lexer import ReadError, Token, group_end
from .nodes import Column, Const, Div, Func, Node, Num, Obj, Pick, Pow, Ref, Size
from .scope import (
    Declared,
    Definition,
    Scope,
    _real_shape,
    _top,
    segments,
    split_top,
)

# The built-in problems that are loss files, shipped with the package.
SHIPPED = Path(__file__).parent / "losses"
# Names the notation gives a meaning of its own, which a declaration may not change.
RESERVED = {"y": "the one-hot vector of the outside word o", "\\hat{y}": "the softmax ŷ"}
@dataclass(frozen=True)
class Ones(Node):
    """𝟏, the ones vector: its length is read from where it stands."""


@dataclass(frozen=True)
class WindowSum(Node):
    """Σ_{−m≤j≤m, j≠0} J_{pair}(v_c, w_{t+j}, U): a pair loss, named by its problem, summed over
    the outside words of a context window (skip-gram)."""

    pair: str


class LossParser(syntax.Parser):
    """syntax.Parser with names resolved against a loss file's declarations."""

    def __init__(self, tokens: list[Token], scope: Scope, *, end: Token | None = None) -> None:
        super().__init__(tokens, vocab.Aliases(), end=end)
        self.scope = scope
        self.sizes = scope.sizes()

    def sub(self, tokens: list[Token]) -> LossParser:
        p = LossParser(tokens, self.scope, end=self.peek() or self.end)
        p.nesting = self.nesting
        return p

    def index(self, atom: str, tok: Token) -> str:
        declared = self.scope.declared.get(atom)
        if (declared is not None and declared.kind == "index") or re.fullmatch(r"[a-z]'*", atom) \
                or self.scope.family_entry(atom):
            return atom
        raise vocab.unknown(atom, tok.line, tok.col, what="index")

    def atom(self) -> str:
        """An index; w_s (u_{w_s}) stays the s-th of the indices w_1, …, w_K where the file
        declares them (the step checker's grammar reads it as the column s of U_neg)."""
        tok, nxt = self.peek(), self.peek(1)
        if tok is not None and tok.kind == "letter" and nxt is not None and nxt.is_char("_") \
                and self.scope.family(tok.text) is not None:
            self.take()
            self.take()
            inner = self.sub(self.group_tokens())
            entry = f"{tok.text}_{inner.atom()}"
            if inner.peek() is not None:
                raise inner.error(f"expected one index of {tok.text}")
            return entry
        return super().atom()

    def command(self, tok: Token) -> Node:
        if tok.is_cmd("mathbf", "mathbb", "bm", "boldsymbol"):
            nxt, after = self.peek(1), self.peek(2)
            if nxt is not None and nxt.is_char("{") and after is not None and after.text == "1":
                self.take()
                self.group_tokens()
                return Ones()
        if tok.is_cmd("tanh"):
            self.take()
            return Func("tanh", self.argument())
        if tok.is_cmd("sqrt"):
            self.take()
            return Pow(self.sub(self.group_tokens()).side(), Div(
                Num("1"), Num("2")))
        return super().command(tok)

    def subscript_pick(self, node: Node, tok: Token) -> Node:
        if isinstance(node, Func) and node.name == "norm":
            atoms = self.subscript_atoms()  # ‖X‖_F, ‖x‖_2: the same sum of squares
            if atoms not in (["F"], ["2"]):
                raise ReadError("a norm is ‖x‖, ‖x‖_2 or ‖X‖_F", tok.line, tok.col)
            return node
        # (U_negᵀ v_c)_k: an entry of any vector or matrix formula
        return Pick(node, tuple(self.index(a, tok) for a in self.subscript_atoms()))

    def name(self) -> Node:
        written, tok = self.written_name()
        return resolve(self.scope, vocab.normalise(written), tok)


def resolve(scope: Scope, name: str, tok: Token) -> Node:
    """The declared object, entry, column, constant or size a normalised name denotes."""
    declared = scope.declared.get(name) or scope.declared.get(_joined(name))
    if declared is not None:
        name = declared.name
    if declared is not None:
        if declared.kind == "constant":
            return Const(name)
        if declared.kind in ("index", "indices"):
            raise ReadError(f"{name} is an index, not a value", tok.line, tok.col)
        return Obj(name)
    if scope.defined(name) is not None or name in ("y", "J", "e"):
        return Ref(name) if name in ("J", "e") else Obj(name)
    if name in scope.sizes():
        return Size(name)
    base, _, sub = name.partition("_")
    atoms = sub.split(",") if sub else []
    if len(atoms) > 1 and f"{base}_{atoms[0]}" in scope.declared:  # v_{c,i}: entry i of v_c
        return Pick(Obj(f"{base}_{atoms[0]}"), tuple(atoms[1:]))
    if atoms and all(re.fullmatch(r"[a-z]'*|\d+", a) or scope.family_entry(a) for a in atoms):
        if base in scope.declared or scope.defined(base) is not None or base == "y":
            return Pick(Obj(base), tuple(atoms))
        # u_w is a column of U; u_k, with k over the K samples, of U_neg when U_neg is declared.
        matrices = [d for d in scope.declared.values() if d.kind == "matrix" and (
            d.name == base.upper() or d.name.startswith(base.upper() + "_"))]
        if len(matrices) > 1:
            wanted = {"k": "K"}.get(atoms[0][0], "V")
            matrices = [d for d in matrices if d.shape[1] == wanted] or matrices[:1]
        if matrices and len(atoms) == 1:
            return Column(f"{matrices[0].name}:{atoms[0]}")
    example = (f"${name} > 0$" if name.startswith("\\") else
               f"$\\mathbf{{{name}}} \\in \\mathbb{{R}}^{{d}}$")
    raise ReadError(f"{name} is not declared: declare it, as in {example}, or define it with a "
                    "display", tok.line, tok.col)


def read_scope(text: str) -> Scope:
    """Declarations first (they may follow their use in prose), then definitions in order."""
    scope = Scope()
    parts = [(part, display) for tokens, display in segments(text) for part in split_top(tokens)]
    for tokens, _display in segments(text):
        names: list[list[Token]] = []  # $a, b \in ℝ^d$: names that share the declaration after them
        for part in split_top(tokens):
            at = _top(part, lambda t: t.is_cmd("in", "gt") or t.is_char(">"))
            if at is None and _is_dots(part) and names:
                names.append(part)  # w_1, \dots, w_K ∈ {1, …, V}: a family of indices
                continue
            if at is not None and at > 0 and _family(scope, names, part, at):
                names = []
                continue
            if at is not None and at > 0:  # λ, μ > 0 too
                for name in names:
                    if not _is_dots(name):
                        _declaration(scope, name + part[at:])
            names = names + [part] if at is None and _is_name(part, scope) else []
            _declaration(scope, part)
    _counted_families(scope, text)
    _definitions(scope, [part for part, display in parts
                         if display and _top(part, lambda t: t.is_char("=")) is not None])
    if scope.loss() is None:
        where = parts[-1][0][0] if parts else Token("char", "", 1, 1)
        raise ReadError("no loss: a display must define J, as in $$J = -\\log \\hat{y}_o$$ "
                        "(or a function of a scalar, as in $$f(x) = \\sigma(x)$$)",
                        where.line, where.col)
    return scope


def _definitions(scope: Scope, pending: list[list[Token]]) -> None:
    """Each display's definition, in order; one that names a later definition (J = −log ŷ_o,
    \\qquad ŷ = softmax(z)) is read again once the others are, until none is left or a round
    reads nothing new, when the first that still fails says why (a name defined by nothing, or
    two definitions in terms of each other)."""
    while pending:
        failed: list[tuple[list[Token], ReadError]] = []
        for part in pending:
            try:
                _definition(scope, part)
            except ReadError as exc:
                failed.append((part, exc))
        if len(failed) == len(pending):
            raise failed[0][1]
        pending = [part for part, _ in failed]


def _is_dots(tokens: list[Token]) -> bool:
    return len(tokens) == 1 and tokens[0].is_cmd("dots", "ldots", "cdots")


def _family(scope: Scope, names: list[list[Token]], part: list[Token], at: int) -> bool:
    """w_1, \\dots, w_K ∈ {1, …, V} (or w_1, w_2, \\dots, w_K): K indices into the vocabulary,
    the K negative samples as the handout names them, declared as one family w; whether the
    names and the declaration are such a list."""
    right = part[at + 1:]
    if not any(_is_dots(x) for x in names) or not part[at].is_cmd("in") or not right \
            or not right[0].is_cmd("{"):
        return False  # x_1, …, x_n ∈ ℝ^d: vectors, each declared as before
    written = [_name_of(x, scope)[0] for x in names if not _is_dots(x)]
    last, latex = _name_of(part[:at], scope)
    found = [re.fullmatch(r"([a-z])_([0-9]+|[A-Za-z])", x) for x in (*written, last)]
    subs = [m for m in found if m is not None]
    if len(subs) != len(found) or len({m.group(1) for m in subs}) != 1:
        return False
    letter, numbers, count = subs[0].group(1), [m.group(2) for m in subs[:-1]], subs[-1].group(2)
    if numbers != [str(k) for k in range(1, len(numbers) + 1)] or count not in scope.sizes():
        raise ReadError(f"a family of indices is written {letter}_1, \\dots, {letter}_K, "
                        "numbered from 1 up to a size", part[0].line, part[0].col)
    letters = [t.text for t in right if t.kind == "letter"]
    if not letters:
        raise ReadError(f"the indices {letter}_1, …, {letter}_{count} run over {{1, …, V}}",
                        part[0].line, part[0].col)
    shown = ", ".join(_latex(x) for x in names) + ", " + latex
    scope.declared[letter] = Declared(letter, "indices", (count, letters[-1]), shown)
    return True


def _counted_families(scope: Scope, text: str) -> None:
    """w_s ∈ {1, …, V} "for s = 1, …, K" (or 1 ≤ s ≤ K, s ∈ {1, …, K}): the same family of K
    indices as w_1, …, w_K ∈ {1, …, V}, its count read from the range the text gives s."""
    for name, d in list(scope.declared.items()):
        m = re.fullmatch(r"([a-z])_([a-z])", name)
        if d.kind != "index" or m is None or m.group(1) in scope.declared:
            continue
        letter, s = m.groups()
        dots, size = r"\\(?:l|c)?dots", r"\{?\s*([A-Za-z])\s*\}?"
        alone = rf"(?<![A-Za-z\\]){s}\s*"
        found = (re.search(rf"{alone}=\s*1\s*,\s*(?:2\s*,\s*)?{dots}\s*,\s*{size}", text)
                 or re.search(rf"1\s*\\le(?:q)?\s*{s}\s*\\le(?:q)?\s*{size}", text)
                 or re.search(rf"{alone}\\in\s*\\\{{\s*1\s*,\s*{dots}\s*,\s*{size}\s*\\\}}", text))
        if found is None or found.group(1) not in scope.sizes():
            continue
        del scope.declared[name]
        scope.declared[letter] = Declared(letter, "indices", (found.group(1), d.shape[0]),
                                          d.latex)


def _is_name(tokens: list[Token], scope: Scope) -> bool:
    try:
        _name_of(tokens, scope)
    except ReadError:
        return False
    return True


def _name_of(tokens: list[Token], scope: Scope) -> tuple[str, str]:
    p = LossParser(tokens, scope)
    written, _ = p.written_name()
    if p.peek() is not None and not p.at("("):
        raise p.error("expected a single name before \\in, = or >")
    return _joined(vocab.normalise(written)), _latex(tokens)


def _joined(name: str) -> str:
    """U_neg for \\mathbf{U}_{neg}: a declared name's subscript letters are one word (in a
    formula, W_{ij} is the entry i, j)."""
    base, _, sub = name.partition("_")
    if "," in sub and all(len(a) == 1 and a.isalpha() for a in sub.split(",")):
        return f"{base}_{sub.replace(',', '')}"
    return name


def _latex(tokens: list[Token]) -> str:
    """The tokens as LaTeX again: a space only where a command meets a letter."""
    out = ""
    for prev, tok in zip([None, *tokens], tokens, strict=False):
        shown = tok.shown()
        if prev is not None and prev.kind == "cmd" and prev.text[-1:].isalpha() and \
                shown[:1].isalpha():
            out += " "
        out += shown
    return out


def _declaration(scope: Scope, part: list[Token]) -> None:
    at = _top(part, lambda t: t.is_cmd("in"))
    if at is not None and at > 0:
        name, latex = _name_of(part[:at], scope)
        right = part[at + 1:]
        if right and right[0].is_cmd("mathbb"):
            sizes = _real_shape(right)
            kind = ("scalar", "vector", "matrix")[len(sizes)]
            if name in (*sizes, *scope.sizes()):
                raise ReadError(f"{name} is a size here (as in ℝ^{{{name}}}): give the "
                                f"{kind} another name", part[0].line, part[0].col)
            if name in RESERVED:
                raise ReadError(f"{name} is {RESERVED[name]}, as the handout writes it: give "
                                "your input another name (a target t or \\mathbf{t})",
                                part[0].line, part[0].col)
            scope.declared[name] = Declared(name, kind, sizes, latex)
        elif right and right[0].is_cmd("{"):
            letters = [t.text for t in right if t.kind == "letter"]
            numbers = [t.text for t in right if t.kind == "number"]
            if not letters and numbers:
                # a label t ∈ {0, 1}: a constant of the loss, as λ is; each step is an identity
                # in t, so the checks, which draw constants in (0.5, 1.5), still check it
                scope.declared[name] = Declared(name, "constant", (), latex)
                return
            if not letters:
                raise ReadError("an index runs over {1, …, V}", right[0].line, right[0].col)
            scope.declared[name] = Declared(name, "index", (letters[-1],), latex)
        return
    gt = _top(part, lambda t: t.is_char(">") or t.is_cmd("gt"))
    if gt is not None and gt > 0 and [t.text for t in part[gt + 1:]] == ["0"]:
        name, latex = _name_of(part[:gt], scope)
        scope.declared[name] = Declared(name, "constant", (), latex)
        return
    # 0 < α < 1: a constant between two numbers
    less = [k for k, t in enumerate(part) if t.is_char("<") or t.is_cmd("lt")]
    if len(less) == 2 and 0 < less[0] < less[1] - 1 and less[1] < len(part) - 1 and all(
            t.kind == "number" for t in (*part[:less[0]], *part[less[1] + 1:])):
        name, latex = _name_of(part[less[0] + 1:less[1]], scope)
        bounds = ("".join(t.text for t in part[:less[0]]),
                  "".join(t.text for t in part[less[1] + 1:]))
        scope.declared[name] = Declared(name, "constant", (), latex, bounds)


def _definition(scope: Scope, part: list[Token]) -> None:
    at = _top(part, lambda t: t.is_char("="))
    assert at is not None
    left = part[:at]
    # J(v_c, o, U) = …: the arguments only name the loss's inputs.
    paren = next((k for k, t in enumerate(left) if t.is_char("(") or t.is_cmd("left")), None)
    name, _ = _name_of(left[:paren] if paren else left, scope)
    if not part[at + 1:]:
        raise ReadError(f"nothing after {name} =", part[at].line, part[at].col)
    right = part[at + 1:]
    formula = _window_sum(right) or LossParser(right, scope).side()
    scope.definitions.append(Definition(name, formula, part[0], function=paren is not None))


def _window_sum(tokens: list[Token]) -> WindowSum | None:
    """\\sum_{-m \\le j \\le m, j \\ne 0} J_{\\text{naive-softmax}}(\\mathbf{v}_c, w_{t+j},
    \\mathbf{U}): the pair loss the window sums, or None when the formula is not such a sum."""
    if len(tokens) < 3 or not tokens[0].is_cmd("sum") or not tokens[1].is_char("_"):
        return None
    binder = tokens[2:group_end(tokens, 2)]
    if sum(t.is_cmd("le", "leq") for t in binder) != 2:
        return None
    rest = tokens[group_end(tokens, 2):]
    if len(rest) < 3 or rest[0].text != "J" or not rest[1].is_char("_"):
        raise ReadError("a window sum is of a pair loss named by its problem, as in "
                        "J_{\\text{naive-softmax}}(\\mathbf{v}_c, w_{t+j}, \\mathbf{U})",
                        tokens[0].line, tokens[0].col)
    end = group_end(rest, 2)
    pair = "".join(t.text for t in rest[2:end] if t.kind != "cmd" and not t.is_char("{", "}"))
    args = rest[end:]
    if not args or not args[0].is_char("(") or not args[-1].is_char(")"):
        raise ReadError(f"the pair loss J_{{{pair}}} takes its arguments, as in "
                        "J(\\mathbf{v}_c, w_{t+j}, \\mathbf{U})", rest[0].line, rest[0].col)
    return WindowSum(pair)
