"""The step checker: read a written derivation and say, for every `=`, whether it holds.

    read (document, syntax) → decide (evaluate, check) → report

Nothing the user wrote is ever evaluated as code: the text is tokenised and read by our own
grammar into a tree of the handout's objects, which SymPy evaluates at concrete sizes.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import render
from .document import read
from .lexer import ReadError
from .vocabulary import Aliases

if TYPE_CHECKING:
    from .check import Verdict

__all__ = ["Aliases", "ReadError", "StepReport", "check_text"]

MARKS = {"holds": "✓", "fails": "✗", "layout": "✗", "definition": "≔", "unchecked": "·"}


@dataclass(frozen=True)
class StepReport:
    verdicts: tuple[Verdict, ...]

    @property
    def passed(self) -> bool:
        return not any(v.failed for v in self.verdicts)

    @property
    def checked(self) -> int:
        return sum(v.status in ("holds", "fails", "layout") for v in self.verdicts)

    def as_json(self) -> list[dict[str, object]]:
        return [{"line": v.step.line,
                 "left": render.text(v.step.left.node) if v.step.left else None,
                 "right": render.text(v.step.right.node) if v.step.right else None,
                 "verdict": v.status, "reason": v.reason,
                 "max_rel_error": v.max_rel_error} for v in self.verdicts]

    def table(self) -> str:
        lines = [_line(v) for v in self.verdicts]
        failed = sum(v.failed for v in self.verdicts)
        summary = (f"all {self.checked} steps hold" if not failed else
                   f"{failed} of {self.checked} steps do not hold")
        if not self.checked:
            summary = "no step to check: no '=' between two formulas was found"
        return "\n".join(lines + [summary]) + "\n"


def _line(v: Verdict) -> str:
    step = v.step
    left = render.text(step.left.node) if step.left else "…"
    right = render.text(step.right.node) if step.right else "…"
    rel = step.relation if v.status != "fails" else ("≠" if step.relation == "=" else "⇏")
    cond = "".join(f"  [{render.text(c)}]" for c in step.conditions)
    head = f"line {step.line:<4} {MARKS[v.status]}  {left} {rel} {right}{cond}"
    if v.status == "definition":
        return head + "   (definition)"
    return head + (f"   ({v.reason})" if v.reason else "")


def check_text(text: str, *, aliases: Sequence[str] | Aliases = (),
               layout: str = "denominator", seed: int = 0) -> StepReport:
    """Every step of the derivation in `text`, decided. Raises ReadError (a ValueError, with
    line and column) when the text cannot be read."""
    if layout not in ("denominator", "numerator"):
        raise ValueError(f"layout must be denominator or numerator, not {layout!r}")
    table = aliases if isinstance(aliases, Aliases) else Aliases.parse(list(aliases))
    steps = read(text, table)
    from .check import decide  # SymPy loads only once the text has been read

    return StepReport(tuple(decide(s, layout=layout, seed=seed) for s in steps))
