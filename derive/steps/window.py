"""Skip-gram's context window as students write it: the words w_{t+j} of the window, the
binder -m \\le j \\le m, j \\neq 0 of its sum, and the pair loss J(v_c, w_{t+j}, U) the sum adds."""
from __future__ import annotations

import re

from .lexer import ReadError, Token
from .nodes import Node, Ref, children, rebuild

# The loss of one (centre, outside) pair that a skip-gram window sum adds up, by its name.
PAIR_LOSS = "J_naive-softmax"


DOTS = frozenset({"dots", "ldots", "cdots"})


def window_word(tokens: list[Token]) -> str | None:
    """t+j for w_{t+j}, t-m for w_{t-m}: a word of the context window, by its position."""
    if len(tokens) < 3 or tokens[0].text != "w" or not tokens[1].is_char("_"):
        return None
    inner = "".join(t.text for t in tokens[2:] if not t.is_char("{", "}"))
    inner = inner.replace("−", "-")  # a Unicode minus, as some editors write it
    return inner if re.fullmatch(r"t[+-][a-z0-9]", inner) else None


def window_index(tokens: list[Token], tok: Token) -> str | None:
    """j, for the binder of a context window: -m \\le j \\le m, j \\neq 0 (or j ≠ 0 below
    it). None for any other binder; one with \\le that is not this is an error."""
    if not any(t.is_cmd("le", "leq") for t in tokens):
        return None
    shown = [t.text for t in tokens if not t.is_char("{", "}")]
    if (len(shown) == 10 and shown[:2] == ["-", "m"] and shown[2] in ("le", "leq")
            and shown[4] in ("le", "leq") and shown[5] == "m" and shown[6] in (",", "|", "mid")
            and shown[7] == shown[3] and shown[8] in ("ne", "neq") and shown[9] == "0"
            and re.fullmatch(r"[a-z]", shown[3])):
        return shown[3]
    raise ReadError("a sum over a context window is read as \\sum_{-m \\le j \\le m, j \\neq 0} "
                    "(the centre word, j = 0, left out)", tok.line, tok.col)


def other_pair(node: Node, index: str) -> Ref | None:
    """A J of the window's word written with other arguments than v_c and U (J(u_o, w_{t+j},
    U)): no pair loss — reading it as one would pass over what was written."""
    if isinstance(node, Ref) and node.name == "J" and node.outside == index:
        return node
    return next((r for c in children(node) if (r := other_pair(c, index)) is not None), None)


def pair_loss(node: Node, index: str) -> Node:
    """A bare J(v_c, w_{t+j}, U) in a window sum is the pair loss skip-gram sums: the
    naive-softmax loss (as problems.py's skip-gram has it), whatever a bare J is elsewhere."""
    if isinstance(node, Ref) and node.name == "J" and node.outside == index and \
            node.args == ("v_c", f"o={index}", "U"):
        return Ref(PAIR_LOSS, node.args)
    if not children(node):
        return node
    return rebuild(node, lambda child: pair_loss(child, index))
