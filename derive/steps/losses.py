"""The loss of a built-in problem as a formula the step checker evaluates: the engine's own loss,
printed by derive's printer and read back by our grammar (trusted text, never the user's). This
is what a J the student's file never defines stands for.

The printed loss is kept in derive's cache, keyed by the code that prints it (as the kernels
are: codegen/cache.py), so a check after the first needs no SymPy."""
from __future__ import annotations

import functools

from ..files import write_atomic
from .lexer import tokenize
from .nodes import Node
from .syntax import parse_side
from .vocabulary import Aliases


@functools.cache
def loss_node(problem: str) -> Node:
    return parse_side(tokenize(loss_latex(problem)), Aliases())


def loss_latex(problem: str) -> str:
    from ..codegen.cache import cache_dir, cache_key

    path = cache_dir() / f"steps-loss-{cache_key()}-{problem}.tex"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    from .. import problems  # SymPy: only when the cache is cold
    from ..printing import latex

    text = latex(problems.get(problem).make_loss().expr)
    try:
        write_atomic(path, text)
        for stale in path.parent.glob(f"steps-loss-*-{problem}.tex"):
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home still gets the loss, printed again next time
    return text
