"""Which rows of a display are claims to check: two equations side by side are two claims; a
row that is only a case (`(w \\neq o)`) is the case of the rows after it; and a display the
prose before it makes a condition ("the gradient is zero exactly when") claims nothing."""
from __future__ import annotations

import re
from dataclasses import replace

from . import vocabulary as vocab
from .document import _TEXT, Region, Step
from .lexer import ReadError, Token
from .nodes import IndexRel, Node
from .syntax import condition


class Claims:
    """The reader's view of cases and conditions (a mixin of reader.Reader)."""

    aliases: vocab.Aliases
    steps: list[Step]
    pending: list[tuple[int, Step]]

    def _case(self, tokens: list[Token]) -> Node | None:
        """An inline formula that is a case of a word index, like $w = o$ or $w \\neq o$."""
        try:
            cond = condition(tokens, self.aliases) if tokens else None
        except ReadError:
            return None
        return cond if isinstance(cond, IndexRel) else None

    def as_condition(self, start: int) -> None:
        """The display the steps from `start` on came from is a condition the prose states
        ("the gradient is zero when U(ŷ − y) = 0"): nothing it claims is judged."""
        for n in range(start, len(self.steps)):
            if self.steps[n].kind == "step":
                self.steps[n] = replace(self.steps[n], kind="unchecked", note=(
                    "a condition, not a claim: the prose before it says when it holds"))
        self.pending = [(n, step) for n, step in self.pending if n < start]

    def _row_case(self, row: list[Token]) -> Node | None:
        """A display's row that is only a case of the word indices: `(w \neq o)`, `w = o:`."""
        inner = [t for t in row if not t.is_char("&")]
        while inner and inner[-1].is_char(":", ",", ";", "."):
            inner = inner[:-1]
        if len(inner) > 2 and inner[0].is_char("(") and inner[-1].is_char(")"):
            inner = inner[1:-1]
        return self._case(inner) if inner else None


def equations(row: list[Token]) -> list[list[Token]]:
    """A row holding two equations side by side, `u_o = Uy,\\quad Σ_w ŷ_w u_w = Uŷ`: each on its
    own. Split only at a comma or semicolon outside every bracket followed by \\quad or
    \\qquad, and only when each piece has an = of its own (a `,\\quad \\text{for } w = o` keeps
    its condition: its piece starts with a word)."""
    cuts, depth = [], 0
    for i, t in enumerate(row[:-1]):
        depth += t.is_char("{", "(", "[") - t.is_char("}", ")", "]")
        if t.is_cmd("begin", "end", "left", "right"):
            return [row]  # an environment or a \left…\right pair: left alone
        if depth == 0 and t.is_char(",", ";") and row[i + 1].is_cmd("quad", "qquad"):
            cuts.append(i)
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(row[start:cut])
        start = cut + 2
    pieces.append(row[start:])
    if len(pieces) < 2 or not all(_equation(p) for p in pieces):
        return [row]
    return pieces


def _equation(piece: list[Token]) -> bool:
    return bool(piece) and not piece[0].is_cmd(*_TEXT) and any(t.is_char("=") for t in piece)


# Prose that makes the display after it a condition, not a claim: "… is zero exactly when",
# "if and only if", "such that", "provided that:".
_CONDITION_LEAD = re.compile(r"\b(?:when|whenever|if|iff|only if|such that|provided(?: that)?|"
                             r"unless|assuming|suppose)\s*[:,]?\s*$", re.IGNORECASE)


def states_condition(region: Region) -> bool:
    return region.display and bool(_CONDITION_LEAD.search(region.lead))
