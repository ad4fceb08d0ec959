"""From the regions of a file to the steps it claims, keeping the chain in progress, the labels,
the definitions and the loss a bare J stands for.

A formula that cannot be read makes its steps "unread" (with line, column and reason) and the
reading goes on: the next side that can be read is compared with the chain's first side, which
the chain claims it equals. A J the file never defines is the problem's loss — named with
--problem, or by the last J_{naive-softmax}, J_{neg-sample}, … the text wrote.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from . import vocabulary as vocab
from .bindings import Loader, Same, k_over_vocabulary
from .claims import Claims, equations, prose_case
from .document import _CLAIM, Region, Side, Step
from .enumeration import is_range
from .intermediates import Intermediates
from .lexer import ReadError, Token, tokenize
from .macros import Macros
from .marks import _CHAIN
from .nodes import Deriv, IndexRel, Node, Obj, Ref, Sum, children, last_operator
from .rows import SIDE_NAMES, Row, clean, rows
from .sums import free_letters
from .syntax import Parser, condition, parse_side

Parsed = Side | ReadError | None


class Reader(Claims, Intermediates):
    def __init__(self, aliases: vocab.Aliases, macros: Macros, losses: Loader | None,
                 problem: str | None, headings: frozenset[int] = frozenset(),
                 same: Same | None = None) -> None:
        super().__init__(losses, problem, same)
        self.aliases, self.macros = aliases, macros
        self.steps: list[Step] = []
        self.last: Parsed = None
        self.head: Side | None = None
        self.truth: Side | None = None
        self.chain_conditions: tuple[Node, ...] = ()
        self.chain_started = False
        self.labels: dict[str, Node] = {}
        self.pending_case: Node | None = None
        # "### Case 2: $w \neq o$": a case in a Markdown heading holds to the next heading
        self.headings = headings
        self.section_case: Node | None = None

    def case_of(self, region: Region) -> Node | None:
        """The case of word indices an inline formula is ($w \\neq o$), if it is one."""
        try:
            return self._case(self.tokens(region.content, region.line, region.col))
        except ReadError:
            return None

    def tokens(self, content: str, line: int, col: int) -> list[Token]:
        return self.macros.expand(tokenize(content, line, col))

    # -- regions --------------------------------------------------------------------------
    def region(self, region: Region) -> None:
        if region.error:
            self._unread(ReadError(region.error, region.line, region.col))
            return
        try:
            tokens = self.tokens(region.content, region.line, region.col)
        except ReadError as exc:
            if region.display or _CLAIM.search(region.content):
                self._unread(exc)
                self.last = exc
            return
        self._note_loss(tokens)
        if region.line in self.headings:
            self.section_case = self._case(tokens) if not region.display else None
            self.pending_case = None
            return
        if region.code:  # `w ≠ o` in the prose: the case of the display after it, if any
            self.pending_case = self._case(tokens) or self.pending_case
            return
        # an inline formula on a line of its own is read as a display — unless it is the
        # case ($w = o$) the display after it is written under
        display = region.display or (region.alone and self._case(tokens) is None)
        if not display and not (_CLAIM.search(region.content)
                                and any(t.is_char("=") for t in tokens)):
            # prose is not checked: an inline formula names a case or defines a loss
            self.pending_case = self._case(tokens)
            self._inline_definition(tokens)
            if not self._intermediate(tokens):
                self._softmax_argument(tokens)
            return
        case, self.pending_case = self.pending_case or self.section_case, None
        conditional: int | None = None  # where "When ∂J is 0, we have" made the rest no claim
        for n, row in enumerate(self._display_rows(tokens)):
            if isinstance(row, tuple):  # "When w \neq o, then": the case of this row and after
                case = row[0] if row[0] is not None else case
                if row[0] is None and conditional is None:
                    conditional = len(self.steps)
                continue
            if (found := self._row_case(row)) is not None:
                case = found  # a row "(w \neq o)" in a display: the case of the rows after it
                continue
            if is_range(row):
                continue  # a row "i = 1, 2, …, |V|": the range of the index above, no claim
            try:
                cleaned = clean(row)
            except ReadError as exc:
                self._unread(exc)
                self.last = exc
                continue
            if self._intermediate(row, row[0].line if row else None):
                # "f(x) &= \max(αx, x) \\ &= …": the rows after a definition go on from its
                # formula, never from a chain before it
                self._start(case, self.steps[-1].right)
                self.last = self.steps[-1].right
                continue
            if self._softmax_argument(row, row[0].line if row else None):
                continue  # ŷ = softmax(θ) alone: θ's definition
            named = self._named_chain(cleaned, row[0].line) if row else None
            self.row(named or cleaned, case, first=n == 0)
        if conditional is not None:
            self.as_condition(conditional)

    def _display_rows(self, tokens: list[Token]) -> Iterator[list[Token] | tuple[Node | None]]:
        """The rows of a display, each equation on its own; a row that opens with its case in
        prose gives the case (a 1-tuple) and then the claims after its "then"."""
        for r in rows(tokens):
            for eq in equations(r):
                prose = prose_case(eq, self.aliases)
                if prose is None:
                    yield eq
                    continue
                yield (prose[0],)
                yield from prose[1]

    def _unread(self, exc: ReadError, line: int | None = None) -> None:
        self.steps.append(Step(line or exc.line, None, None, "unread", note=exc.message,
                               col=exc.col))

    def _inline_definition(self, tokens: list[Token]) -> None:
        """A loss defined in the prose ($J_{\\text{neg-sample}}(…) = …$) binds its name too."""
        try:
            row = clean(tokens)
            if len(row.relations) != 1 or not all(row.sides):
                return
            head = Parser(row.sides[0], self.aliases).side()
            if isinstance(head, Ref) and head.name.startswith("J"):
                self._define(head.name, Parser(row.sides[1], self.aliases).side())
        except ReadError:
            return

    def _define(self, name: str, node: Node) -> None:
        self.definitions[name] = node
        if name.startswith("J_"):
            self.definitions["J"] = node
            self.j_part = self.part_no if vocab.loss_problem(name[2:]) else None
        elif name == "J":
            self.j_part = None  # the file's own J: never read as another loss

    # -- rows -----------------------------------------------------------------------------
    def row(self, row: Row, case: Node | None, *, first: bool) -> None:
        row = _named_sides_dropped(row)
        sides = [self._parse(s) for s in row.sides]
        for label, tokens in row.braced:
            try:
                self.labels[label] = parse_side(tokens, self.aliases)
            except ReadError:
                pass
        try:
            found = condition(row.condition, self.aliases) if row.condition else None
        except ReadError as exc:
            self._unread(exc)
            return
        cond: tuple[Node, ...] = (found,) if found is not None else ()
        for side in sides[1:]:
            if isinstance(side, Side):
                cond += side.conditions
        head = sides[0]
        if head is None and row.labels_start and not row.relations:
            return
        if head is None and row.labels_start and row.labels_start[-1] in self.labels:
            head = Side(self.labels[row.labels_start[-1]], row.relations[0].line
                        if row.relations else 0)
            self._start(case, head)
        elif head is None and row.relations:
            if not self.chain_started:
                self._start(case, None)
            elif first and case is not None:
                self.chain_conditions += (case,)
            head = self.last
        elif head is not None:
            self._start(case, head)
        self._bind_labels(row.labels_start, sides[0])
        previous, is_head = head, sides[0] is not None
        for rel, right in zip(row.relations, sides[1:], strict=True):
            self.steps.append(self._step(rel, previous, right, cond, is_head))
            previous, is_head = right or previous, False
        self.last = previous
        self._bind_labels(row.labels_end, sides[-1])

    def _start(self, case: Node | None, head: Parsed) -> None:
        self.chain_started = True
        self.chain_conditions = (case,) if case is not None else ()
        self.head = head if isinstance(head, Side) else None
        self.truth = None
        if isinstance(head, Side):
            # ∂J/∂u_{w=o} names its own case: it, not one the prose named earlier, holds here
            own = {frozenset((c.a, c.b)) for c in head.conditions if isinstance(c, IndexRel)}
            self.chain_conditions = tuple(
                c for c in self.chain_conditions
                if not (isinstance(c, IndexRel) and frozenset((c.a, c.b)) in own))
            self.chain_conditions += head.conditions
            if _is_gradient(head.node) and not self._unbound(head.node):
                self.truth = head

    def _step(self, rel: Token, left: Parsed, right: Parsed, cond: tuple[Node, ...],
              is_head: bool) -> Step:
        relation = _CHAIN.get(rel.text, "=")
        if isinstance(right, ReadError):
            return Step(right.line, None, None, "unread", relation, note=right.message,
                        col=right.col)
        if right is None:
            return Step(rel.line, _side(left), None, "unchecked", relation,
                        note="nothing after it")
        if left is None:
            return Step(rel.line, None, right, "unchecked", relation,
                        note="nothing before it to compare with")
        via = False
        if isinstance(left, ReadError):
            if self.head is None or self.head is right:
                return Step(rel.line, None, right, "unread", relation,
                            note=f"the side before cannot be read: {left.message}",
                            col=left.col)
            left, via = self.head, True
        if is_head and self._states_loss(left.node, right.node):
            pass  # J = CE(y, ŷ): J is that loss from here on, and the step is judged
        elif is_head and isinstance(left.node, Ref) and not self._bindable(left.node.name):
            self._define(left.node.name, right.node)
            return Step(rel.line, left, right, "definition", relation,
                        definitions=dict(self.definitions))
        if is_head and self._infer_loss(left.node, right.node):
            self.truth = left
        missing = self._unbound(left.node) | self._unbound(right.node)
        truth = self.truth if self.truth is not None and self.truth is not left else None
        used = free_letters(left.node) | free_letters(right.node) | {"o"}
        # a case of an index the step does not use says nothing about it (a section's w ≠ o
        # over a line about σ'(x)): not shown, not applied
        conditions = tuple(dict.fromkeys(  # each once, in order
            c for c in self.chain_conditions + cond
            if not isinstance(c, IndexRel) or {c.a, c.b} <= used))
        notes = [note for note, found in ((WINDOW_NOTE, _windowed), (OTHER_CENTRE_NOTE, _centre))
                 if any(found(n, self.definitions) for n in (left.node, right.node))]
        notes += dict.fromkeys(left.readings + right.readings)
        step = Step(rel.line, left, right, "step", relation, conditions,
                    dict(self.definitions), truth=truth, via_head=via, note="; ".join(notes))
        if missing:
            if missing == {"J"} and not self.chosen:
                self.pending.append((len(self.steps), step))  # judged if the part says which J
            return Step(rel.line, left, right, "unread", relation, note=(
                f"{sorted(missing)[0]} is not defined in the file; name the problem it is the "
                "loss of with --problem NAME, write J_{naive-softmax}, or state the loss where "
                "the part starts: ∂J/∂v_c = ∂/∂v_c (…)"), col=rel.col)
        return step

    def _parse(self, tokens: list[Token]) -> Parsed:
        if not tokens:
            return None
        parser = Parser(tokens, self.aliases, names=self.names)
        try:
            node = parser.side()
        except ReadError as exc:
            return exc
        if self.problem in vocab.VOCABULARY_PROBLEMS:
            node = k_over_vocabulary(node)
        self.part_nodes.append(node)
        return Side(node, tokens[0].line, tuple(parser.conditions), tuple(parser.readings))

    def _bind_labels(self, labels: list[str], side: Parsed) -> None:
        if not isinstance(side, Side):
            return
        for label in labels:
            self.labels[label] = last_operator(side.node) or side.node


def _named_sides_dropped(row: Row) -> Row:
    """`\\text{LHS} = … = \\text{RHS}`: the names of the sides to show equal are no sides; the
    chain is what stands between them."""
    sides, relations = list(row.sides), list(row.relations)
    if relations and not sides[0] and row.labels_start[-1:] and \
            row.labels_start[-1] in SIDE_NAMES.values():
        sides, relations = sides[1:], relations[1:]
    if relations and not sides[-1] and row.labels_end[-1:] and \
            row.labels_end[-1] in SIDE_NAMES.values():
        sides, relations = sides[:-1], relations[:-1]
    if len(relations) == len(row.relations):
        return row
    return replace(row, sides=sides, relations=relations,
                   labels_start=[x for x in row.labels_start if x not in SIDE_NAMES.values()])


WINDOW_NOTE = "the window's J(v_c, w_{t+j}, U) read as the naive-softmax loss of each pair"


OTHER_CENTRE_NOTE = "v_w read as the centre vector of a word w ≠ c"


def _windowed(node: Node, definitions: dict[str, Node], depth: int = 0) -> bool:
    """Whether a skip-gram window sum is in `node`, or in a loss it names."""
    if isinstance(node, Sum) and node.window:
        return True
    if isinstance(node, Ref) and node.name in definitions and depth < 8:
        return _windowed(definitions[node.name], definitions, depth + 1)
    return any(_windowed(child, definitions, depth) for child in children(node))


def _centre(node: Node, definitions: dict[str, Node]) -> bool:
    """Whether v_w, another word's centre vector, is written in `node`."""
    return node == Obj("v_w") or any(_centre(child, definitions) for child in children(node))


def _side(parsed: Parsed) -> Side | None:
    return parsed if isinstance(parsed, Side) else None


def _is_gradient(node: Node) -> bool:
    """∂J/∂x, ∇_x J: a derivative of a loss, whose value is the true gradient."""
    return isinstance(node, Deriv) and isinstance(node.body, Ref)
