"""Tokens that change how a formula looks and never what it means — spacing, sizing, \\left and
\\right, \\tag and \\label — set aside wherever they stand, so the grammar sees only the formula.

Nothing is guessed: a \\left( becomes the ( it sizes, a \\left. or \\right. (an invisible
delimiter) becomes nothing, \\left\\{ … \\right\\} a pair of braces the grammar reads as
parentheses.
"""
from __future__ import annotations

from .lexer import Token, group_end

SPACING = frozenset({
    ",", ";", "!", ":", " ", "quad", "qquad", "enspace", "thinspace", "medspace", "thickspace",
    "negthinspace", "hfill", "displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle",
    "normalsize", "small", "footnotesize", "scriptsize", "large", "Large", "LARGE", "nonumber",
    "notag", "nolimits", "limits", "allowbreak", "space", "ensuremath", "\n", "\t",
})
SIZING = frozenset({
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl",
    "Biggr", "bigm", "Bigm", "biggm", "Biggm",
})
# Commands whose {…} argument is layout too: dropped with it.
WITH_GROUP = frozenset({"tag", "tag*", "label", "hspace", "vspace", "hspace*", "vspace*",
                        "phantom", "vphantom", "hphantom", "color", "textcolor"})
_DELIMITERS = {"langle": "(", "rangle": ")", "lbrack": "[", "rbrack": "]", "lparen": "(",
               "rparen": ")"}


def tidy(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.is_char("~") or (t.kind == "cmd" and t.text in SPACING | SIZING):
            i += 1
            continue
        if t.kind == "cmd" and t.text in WITH_GROUP:
            i = group_end(tokens, i + 1)  # \textcolor{red}{x}: the colour goes, x stays
            continue
        if t.is_cmd("left", "right", "middle") and i + 1 < len(tokens):
            delim = tokens[i + 1]
            i += 2
            if delim.is_char("."):
                continue
            if delim.kind == "cmd" and delim.text in _DELIMITERS:
                delim = Token("char", _DELIMITERS[delim.text], delim.line, delim.col)
            out.append(delim)
            continue
        out.append(t)
        i += 1
    return out

