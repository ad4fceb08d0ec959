"""What a name such as J means where it is used: the file's own definition, the loss of the
problem --problem names or a J_{naive-softmax} in the text names, or the loss a chain states
(∂J/∂v_c = ∂/∂v_c(−log …)), which holds to the end of its part of the answer."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from . import evidence
from . import vocabulary as vocab
from .document import Side, Step
from .lexer import Token, group_end
from .nodes import Deriv, Neg, Node, Ref, Sum, children
from .nodes import rebuild as _rebuild

Loader = Callable[[str], Node]
# Whether two formulas are the same function, given the definitions so far (check.decide says)
Same = Callable[[Node, Node, dict[str, Node]], bool]
# The problems whose loss a bare J may be, tried in this order when a chain states its own.
INFERABLE = ("naive-softmax", "neg-sampling", "cross-entropy")


class Bindings:
    def __init__(self, losses: Loader | None, problem: str | None, same: Same | None) -> None:
        self.losses, self.problem, self.same = losses, problem, same
        self.chosen = problem is not None  # --problem: never inferred over
        self.inferred: str | None = None  # the problem J was, before a chain stated its loss
        self.definitions: dict[str, Node] = {}
        self.from_problem: set[str] = set()  # names bound to a problem's loss, not by the file
        # this part's chain stated a J that is no known loss: its J is the student's own, never
        # one inferred from the terms the part is written in (evidence.py)
        self.stated_other = False
        # this part's formulas, and its steps left unread only for want of a J: when the part
        # is written in one problem's terms, J is that problem's loss (evidence.py)
        self.part_nodes: list[Node] = []
        self.pending: list[tuple[int, Step]] = []  # where, and the step as it would be judged
        # The part a bare J was last bound in by a loss's name or statement (J_{naive-softmax},
        # ∂J/∂v_c = ∂/∂v_c(…)); None when the file defines J itself or nothing bound it. A later
        # part written in another problem's terms reads its J as that problem's loss.
        self.part_no, self.part_start = 0, 0
        self.j_part: int | None = None

    def _note_loss(self, tokens: list[Token]) -> None:
        """J_{naive-softmax} written anywhere: a bare J from here on is that problem's loss."""
        for i, t in enumerate(tokens[:-2]):
            if t.text == "J" and t.kind == "letter" and tokens[i + 1].is_char("_"):
                end = group_end(tokens, i + 2)
                name = vocab.loss_problem("".join(x.shown() for x in tokens[i + 2:end]))
                # J_{skip-gram} is read where it is written; a bare J is never the window's
                # sum (J(v_c, w_{t+j}, U) is the pair loss it adds up)
                if name is not None and name != "skip-gram":
                    self.j_part = self.part_no
                if name is not None and name != self.problem and name != "skip-gram":
                    self._rebind(name)  # a bare J: the new loss
                    self.inferred = None

    def _infer_loss(self, left: Node, right: Node) -> bool:
        """∂J/∂x = ∂/∂x (F), J not the file's: when F is the loss of a problem we know, J is
        that problem's loss from here on (as if J_{that-problem} were written). F is compared
        with each loss at the checker's points; one that is no known loss binds nothing."""
        sign, stated = (Neg, right.a) if isinstance(right, Neg) else (None, right)
        if not (self.same and self.losses and not self.chosen and isinstance(left, Deriv)
                and isinstance(left.body, Ref) and left.body.name == "J"
                and isinstance(stated, Deriv) and stated.var == left.var
                and ("J" not in self.definitions or "J" in self.from_problem)):
            return False
        loss = stated.body if sign is None else Neg(stated.body)  # −∂/∂x F: J is −F
        if self._unbound(stated.body) - {"J"} or "J" in _refs(stated.body):
            return False
        for problem in INFERABLE:
            if self.same(loss, self.losses(problem), self.definitions):
                if self.inferred is None:
                    self.inferred = self.problem or ""
                self._rebind(problem)
                self.j_part = self.part_no
                return self._bindable("J")
        # not a whole loss: a statement that keeps only the terms with x in them (∂J/∂u_o =
        # −∂/∂u_o log σ(u_oᵀv_c)) agrees with a known loss's derivative; anything else is a J
        # of the student's own
        var = stated.var
        if not any(self.same(Deriv(loss, var), Deriv(self.losses(problem), var), self.definitions)
                   for problem in INFERABLE):
            self.stated_other = True
        return False

    def _states_loss(self, left: Node, right: Node) -> bool:
        """J = CE(y, ŷ), J = J_{naive-softmax}: J, not the file's, stated to be a loss we know —
        that problem's loss to the end of the part, as a chain that states its loss is."""
        if self.chosen or left != Ref("J") or not isinstance(right, Ref) or "_" not in right.name \
                or ("J" in self.definitions and "J" not in self.from_problem):
            return False
        problem = vocab.loss_problem(right.name.partition("_")[2])
        if problem is None or problem == "skip-gram" or self.losses is None:
            return False
        if self.inferred is None:
            self.inferred = self.problem or ""
        self._rebind(problem)
        self.j_part = self.part_no
        return self._bindable("J") and self._bindable(right.name)

    def end_part(self, steps: list[Step]) -> None:
        """The part is over: its steps that wanted only a J get the loss of the problem the
        part is written in, when there is exactly one (evidence.infer); the rest stay unread."""
        pending, nodes, stated = self.pending, self.part_nodes, self.stated_other
        self.pending, self.part_nodes, self.stated_other = [], [], False
        start, self.part_start, self.part_no = self.part_start, len(steps), self.part_no + 1
        if stated or self.same is None or self.losses is None:
            return
        if not pending:
            self._reread_older_j(steps, start, nodes)
            return
        found = evidence.infer(nodes, _hypotheses(self.same, self.losses))
        if found is None:
            return
        problem, telling = found
        loss = self.losses(problem)
        for at, step in pending:
            left, right = step.left, step.right
            if left is None or right is None:
                continue
            if problem in vocab.VOCABULARY_PROBLEMS:  # Σ_k over the vocabulary, as in _parse
                left = Side(k_over_vocabulary(left.node), left.line, left.conditions)
                right = Side(k_over_vocabulary(right.node), right.line, right.conditions)
            steps[at] = replace(step, left=left, right=right, definitions={
                **step.definitions, "J": loss},
                note=f"J read as the {problem} loss: this part writes {telling}")

    def _reread_older_j(self, steps: list[Step], start: int, nodes: list[Node]) -> None:
        """A part that writes a bare J bound by a name an earlier part wrote (J_{naive-softmax}
        in (b)), in another problem's terms only (σ and a Σ to K in (e)): its J is that
        problem's loss, as if the part were the first to use J — said in each verdict."""
        if self.chosen or self.j_part is None or self.j_part >= self.part_no - 1 or \
                "J" not in self.definitions or self.same is None or self.losses is None:
            return
        judged = [at for at in range(start, len(steps)) if steps[at].kind == "step" and any(
            side is not None and "J" in _refs(side.node)
            for side in (steps[at].left, steps[at].right))]
        found = evidence.infer(nodes, _hypotheses(self.same, self.losses)) if judged else None
        if found is None:
            return
        problem, telling = found
        loss = self.losses(problem)
        if self.same(loss, self.definitions["J"], self.definitions):
            return
        for at in judged:
            step = steps[at]
            note = f"J read as the {problem} loss: this part writes {telling}"
            steps[at] = replace(step, definitions={**step.definitions, "J": loss},
                                note="; ".join(x for x in (step.note, note) if x))

    def end_section(self) -> None:
        """A heading: a loss a chain stated holds to the end of its section only (the next
        part may be another problem's), and J is again what it was before."""
        if self.inferred is not None:
            self._rebind(self.inferred or None)
            self.inferred = None

    def _rebind(self, problem: str | None) -> None:
        if problem != self.problem:
            self.problem = problem
            for bound in self.from_problem | {"J"}:
                self.definitions.pop(bound, None)
            self.from_problem.clear()

    def _bindable(self, name: str) -> bool:
        """Whether `name` has a meaning: defined here, or the loss of a problem we know."""
        if name in self.definitions:
            return True
        problem = vocab.loss_problem(name.partition("_")[2]) if "_" in name else self.problem
        if problem is None or self.losses is None:
            return False
        loss = self.definitions[name] = self.losses(problem)
        self.from_problem.add(name)
        return not self._unbound(loss)  # skip-gram's loss names its pair loss

    def _unbound(self, node: Node) -> set[str]:
        if isinstance(node, Ref) and node.name not in ("e",):
            return set() if self._bindable(node.name) else {node.name}
        out: set[str] = set()
        for child in children(node):
            out |= self._unbound(child)
        return out


def _refs(node: Node) -> set[str]:
    out = {node.name} if isinstance(node, Ref) else set()
    for child in children(node):
        out |= _refs(child)
    return out


# The problems grouped by loss, once per loss loader (check_text's is always the same one):
# which losses are one function does not change from one text to the next.
_GROUPS: dict[Loader, list[tuple[str, frozenset[str]]]] = {}


def _hypotheses(same: Same, losses: Loader) -> list[tuple[str, frozenset[str]]]:
    if losses not in _GROUPS:
        _GROUPS[losses] = evidence.hypotheses(INFERABLE, lambda a, b: same(a, b, {}), losses)
    return _GROUPS[losses]


def k_over_vocabulary(node: Node) -> Node:
    """In a naive-softmax answer Σ_k runs over the vocabulary (there are no negative samples)."""
    if isinstance(node, Sum):
        size = node.size or ("V" if node.index.startswith("k") else None)
        return Sum(node.index, size, k_over_vocabulary(node.body), node.exclude, node.window)
    if not children(node):
        return node
    return _rebuild(node, k_over_vocabulary)
