"""The step checker: read a written derivation and say, for every `=`, whether it holds.

    read (document, syntax) → decide (check: numeric, dual; exact, evaluate) → report

Nothing the user wrote is ever evaluated as code: the text is tokenised and read by our own
grammar into a tree of the handout's objects, evaluated at concrete sizes and random points —
in floating point with forward-mode derivatives, and exactly by SymPy wherever rounding could
change a verdict.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import render
from .document import Side, Step
from .lexer import ReadError
from .nodes import Node
from .parts import read
from .vocabulary import Aliases

if TYPE_CHECKING:
    from .check import Verdict
    from .lossfile import FileLoss

__all__ = ["Aliases", "ReadError", "StepReport", "check_text"]

MARKS = {"holds": "✓", "fails": "✗", "layout": "✗", "definition": "≔", "unchecked": "·",
         "unread": "?"}

# Exit status of `derive check-steps`: every step judged and holding; a step fails; nothing
# failed but a step could not be read or checked, or there was no step at all.
EXIT_HOLDS, EXIT_FAILS, EXIT_INCOMPLETE = 0, 1, 3


@dataclass(frozen=True)
class StepReport:
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return not any(v.failed for v in self.verdicts)

    @property
    def checked(self) -> int:
        return sum(v.status in ("holds", "fails", "layout") for v in self.verdicts)

    @property
    def unread(self) -> int:
        return sum(v.status in ("unread", "unchecked") for v in self.verdicts)

    @property
    def exit_status(self) -> int:
        """0 only when there were steps, every one was judged, and every one holds."""
        if not self.passed:
            return EXIT_FAILS
        if self.unread or not self.checked:
            return EXIT_INCOMPLETE
        return EXIT_HOLDS

    def as_json(self) -> list[dict[str, object]]:
        return [{"line": v.step.line, "column": v.step.col or None,
                 "left": render.text(v.step.left.node) if v.step.left else None,
                 "right": render.text(v.step.right.node) if v.step.right else None,
                 "verdict": v.status, "reason": v.reason,
                 "max_rel_error": v.max_rel_error} for v in self.verdicts]

    def table(self) -> str:
        lines = [_line(v) for v in self.verdicts]
        failed = sum(v.failed for v in self.verdicts)
        summary = (f"all {self.checked} steps hold" if not failed else
                   f"{failed} of {self.checked} steps do not hold")
        if self.unread:
            summary += (f"; {self.unread} could not be read or checked, so this is not a "
                        "pass" if not failed else f"; {self.unread} could not be read or checked")
        if not self.checked:
            summary = "no step to check: no '=' between two formulas was found"
            if self.unread:
                summary = (f"no step could be checked: {self.unread} could not be read "
                           "(see above); this is not a pass")
        return "\n".join(lines + [summary]) + "\n"


def _line(v: Verdict) -> str:
    step = v.step
    if v.status == "unread":
        col = f", column {step.col}" if step.col else ""
        return f"line {step.line:<4} ?  not read{col}: {v.reason}"
    left = render.text(step.left.node) if step.left else "…"
    right = render.text(step.right.node) if step.right else "…"
    rel = step.relation if v.status != "fails" else ("≠" if step.relation == "=" else "⇏")
    cond = "".join(f"  [{render.text(c)}]" for c in step.conditions)
    head = f"line {step.line:<4} {MARKS[v.status]}  {left} {rel} {right}{cond}"
    if v.status == "definition":
        return head + "   (definition)"
    return head + (f"   ({v.reason})" if v.reason else "")


def check_text(text: str, *, aliases: Sequence[str] | Aliases = (),
               layout: str = "denominator", seed: int = 0,
               problem: str | None = None, loss: FileLoss | None = None) -> StepReport:
    """Every step of the derivation in `text`, decided. A formula that cannot be read is an
    "unread" step (line, column, reason); ReadError (a ValueError) is raised only for input that
    cannot be used at all — too long, or a forbidden command such as \\input. `problem` names
    the built-in problem whose loss a J the text does not define is; `loss` (lossfile.py) is a
    loss file's loss instead."""
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"layout must be denominator or numerator, not {layout!r}")
    table = aliases if isinstance(aliases, Aliases) else Aliases.parse(list(aliases))
    if problem is not None and loss is not None:
        raise ValueError("give a problem's name or a loss file, not both")
    if problem is not None:
        from ..problems import get

        get(problem)  # an unknown name is the caller's mistake, with the known ones listed
    from .check import decide  # SymPy loads only if a step needs the exact judge
    from .losses import loss_node

    if loss is not None:
        problem, file_loss = loss.name, loss
        table = table.with_constants(loss.constants)

        def losses(name: str) -> Node:
            return file_loss.node if name == file_loss.name else loss_node(name)
    else:
        losses = loss_node

    memo: dict[object, object] = {}  # values shared by the steps of this text only

    def same(a: Node, b: Node, definitions: dict[str, Node]) -> bool:
        step = Step(0, Side(a, 0), Side(b, 0), definitions=dict(definitions))
        return decide(step, layout=layout, seed=seed, memo=memo).status == "holds"

    steps = read(text, table, problem=problem, losses=losses, same=same)
    return StepReport(tuple(decide(s, layout=layout, seed=seed, memo=memo)  # type: ignore[arg-type]
                            for s in steps))
