"""What a row carries besides its formula, found where clean() sets it aside: the words of an
annotation (\\text{…}), an item's or an equation's label — (2), 1.a, (ii)& — and a case in
brackets closing the row."""
from __future__ import annotations

import re

from . import vocabulary as vocab
from .lexer import Token, group_end

_TEXT = frozenset({"text", "textrm", "mbox", "textit", "textbf", "mathrm"})
_CHAIN = {"=": "=", "Rightarrow": "⇒", "implies": "⇒", "Longrightarrow": "⇒"}


def _text(tokens: list[Token]) -> str:
    return "".join(t.shown() if t.kind == "cmd" else t.text for t in tokens)


def _parenthesised_case(tokens: list[Token], i: int) -> bool:
    """`(\\text{when } w \\neq c)` closing the row: a case in brackets, after the formula."""
    if not tokens[-1].is_char(")") or i + 2 >= len(tokens) or not (
            tokens[i + 1].kind == "cmd" and tokens[i + 1].text in _TEXT):
        return False
    depth = 0
    for n in range(i, len(tokens)):
        depth += tokens[n].is_char("(") - tokens[n].is_char(")")
        if depth == 0:
            if n != len(tokens) - 1:
                return False
            break
    end = group_end(tokens, i + 2)
    return _text(tokens[i + 2:end]).strip("{} ").lower() in vocab.CONDITION_WORDS


def _is_formula_text(tokens: list[Token], i: int) -> bool:
    """\\text{exp}(…), \\mathrm{y}_o, J_\\mathrm{neg-sample}: a \\text that is part of the formula
    (a function, a one-letter name, a subscript), never an annotation to set aside — dropping
    it would change what the formula says."""
    if i and tokens[i - 1].is_char("_", "^"):
        return True
    end = group_end(tokens, i + 1)
    word = _text(tokens[i + 1:end]).strip("{} ")
    return word in vocab.WORD_FUNCTIONS or bool(re.fullmatch(r"[A-Za-z]", word))


def _numbered_label(tokens: list[Token], i: int, started: bool, after_quad: bool
                    ) -> tuple[str, int] | None:
    """(2) after \\quad, at the start or at the end of a line; 1.a at the start."""
    t = tokens[i]
    if (t.is_char("(") and i + 2 < len(tokens) and tokens[i + 1].kind == "number"
            and tokens[i + 2].is_char(")")):
        at_end = i + 3 == len(tokens) or tokens[i + 3].is_cmd("quad", "qquad", "\\")
        if not started or after_quad or at_end:
            return tokens[i + 1].text, i + 3
    if (not started and t.kind == "number" and i + 2 < len(tokens)
            and tokens[i + 1].is_char(".") and tokens[i + 2].kind == "letter"):
        return t.text + "." + tokens[i + 2].text, i + 3
    return _item_label(tokens, i, started)


# An item's label opening a row, (ii)& or (b)\quad: a roman numeral or a letter a–h.
_ITEM = re.compile(r"(?:i{1,3}|iv|vi{0,3}|ix|[a-h])")


def _item_label(tokens: list[Token], i: int, started: bool) -> tuple[str, int] | None:
    """(i)&\frac{∂J}{∂U} = …: the label of an item at the start of a row, set apart from the
    formula by an & or a space — never a (x) &= that starts a chain."""
    if started or not tokens[i].is_char("("):
        return None
    end = next((n for n in range(i + 1, min(i + 6, len(tokens))) if tokens[n].is_char(")")),
               None)
    if end is None or end + 1 >= len(tokens) or not all(
            t.kind == "letter" for t in tokens[i + 1:end]):
        return None
    word = "".join(t.text for t in tokens[i + 1:end])
    after = tokens[end + 1]
    if not _ITEM.fullmatch(word) or not (after.is_char("&") or after.is_cmd(*_SPACES)):
        return None
    follow = next((t for t in tokens[end + 1:] if not (t.is_char("&") or t.is_cmd(*_SPACES))),
                  None)
    if follow is None or follow.is_char("=") or follow.is_cmd(*_CHAIN):
        return None
    return word, end + 1


_SPACES = ("quad", "qquad", " ", ",", ";", ":", "enspace")


def _skip_parenthesised(tokens: list[Token], i: int, open_parens: int) -> int:
    """An annotation such as \\text{ (by definition of } \\hat{y}_w) runs to its closing paren."""
    while open_parens > 0 and i < len(tokens):
        open_parens += tokens[i].is_char("(") - tokens[i].is_char(")")
        i += 1
    return i
