"""The loss of a built-in problem as a formula the step checker evaluates: the engine's own loss,
printed by derive's printer and read back by our grammar (trusted text, never the user's). This
is what a J the student's file never defines stands for."""
from __future__ import annotations

import functools

from .lexer import tokenize
from .nodes import Node
from .syntax import parse_side
from .vocabulary import Aliases


@functools.cache
def loss_node(problem: str) -> Node:
    from .. import problems
    from ..printing import latex

    loss = problems.get(problem).make_loss()
    return parse_side(tokenize(latex(loss.expr)), Aliases())
