"""A sum written out term by term — y_1 log ŷ_1 + ⋯ + y_o log ŷ_o + ⋯ + y_{|V|} log ŷ_{|V|} —
read as the Σ it spells, when every written term is one formula at one index and the last is
at the vocabulary's size. Anything looser (a last term at w, terms of different shapes) is left
to the grammar, which refuses the numbered entries: never a guess at what the dots stand for."""
from __future__ import annotations

import re

from . import vocabulary as vocab
from .lexer import Token, group_end

DOTS = frozenset({"cdots", "ldots", "dots", "dotsb", "dotsc"})
# The vocabulary's size as a last index is written: V, |V|, \lvert V \rvert, |Vocab|, \text{Vocab}
_SIZE = frozenset({"V", "|V|", "lvertVrvert", "|Vocab|", "Vocab", "textVocab", "|textVocab|",
                   "vertVvert"})
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")
# Letters the Σ may bind, tried in this order: the first the terms do not use.
_LETTERS = ("w", "x", "z", "r")


def extent(tokens: list[Token], start: int) -> int:
    """Where the expression starting at `start` ends: a closing bracket, a relation, & or \\\\
    at its own depth."""
    depth = 0
    for n in range(start, len(tokens)):
        t = tokens[n]
        if t.kind == "char" and t.text in _OPEN:
            depth += 1
        elif t.kind == "char" and t.text in _CLOSE:
            if depth == 0:
                return n
            depth -= 1
        elif depth == 0 and (t.is_char("=", "&", "<", ">") or t.is_cmd(
                "\\", "neq", "ne", "le", "leq", "ge", "geq", "approx", "Rightarrow")):
            return n
    return len(tokens)


def enumerated(tokens: list[Token], sep: str = "+") -> tuple[list[Token], str] | None:
    """The one term (its index as a letter) that `tokens`, a written-out sum (or with `sep` &,
    a matrix's row), repeats; None when these tokens are not one."""
    terms = _terms(tokens, sep)
    if terms is None or not any(_is_dots(t) for t in terms) or _is_dots(terms[0]) \
            or _is_dots(terms[-1]):
        return None
    written = [_parts(t) for t in terms if not _is_dots(t)]
    outside, first = written[0]
    at = [n for n, content in enumerate(first) if content == "1"]  # where the index is
    if not at:
        return None
    for n, (other_outside, contents) in enumerate(written[1:], 1):
        if other_outside != outside or len(contents) != len(first):
            return None
        if any(contents[i] != first[i] for i in range(len(first)) if i not in at):
            return None  # v_c stays v_c in every term
        index = {contents[i] for i in at}
        if len(index) != 1 or (n == len(written) - 1 and index.pop() not in _SIZE):
            return None  # one index a term, and the last at the vocabulary's size
    if not _counted_in_order([_parts(t)[1][at[0]] if not _is_dots(t) else "…" for t in terms]):
        return None  # a_1 + a_3 + ⋯: not the terms the dots stand between
    used = {t.text for t in tokens if t.kind == "letter"}
    letter = next((x for x in _LETTERS if x not in used), None)
    if letter is None:
        return None
    return _at(terms[0], set(at), letter), letter


def _counted_in_order(indices: list[str]) -> bool:
    """Whether the numbered terms count up as written: 1, 2, … before the first dots, and each
    number after them larger than the one before (a letter, such as o, may stand anywhere)."""
    last, dotted = 0, False
    for index in indices:
        if index == "…":
            dotted = True
        elif index.isdigit():
            if int(index) <= last or (not dotted and int(index) != last + 1):
                return False
            last = int(index)
    return True


def _parts(term: list[Token]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A term as what stands outside its subscripts, and each subscript's content."""
    outside: list[str] = []
    contents: list[str] = []
    n = 0
    for under, end, a, b in _subscripts(term):
        outside += [t.text for t in term[n:under]] + ["_#"]
        contents.append("".join(t.text for t in term[a:b]))
        n = end
    return tuple(outside + [t.text for t in term[n:]]), tuple(contents)


def _terms(tokens: list[Token], sep: str) -> list[list[Token]] | None:
    """The terms `tokens` adds (or the cells a row separates) at its own depth; None if any is
    subtracted (a − ⋯ is no sum)."""
    out: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind == "char" and t.text in _OPEN:
            depth += 1
        elif t.kind == "char" and t.text in _CLOSE:
            depth -= 1
        if depth == 0 and t.is_char(sep):
            out.append([])
            continue
        if depth == 0 and sep == "+" and t.is_char("-") and out[-1]:
            return None
        out[-1].append(t)
    return out if all(out) else None


def _is_dots(term: list[Token]) -> bool:
    return (len(term) == 1 and term[0].is_cmd(*DOTS)) or (
        len(term) == 3 and all(t.is_char(".") for t in term))


def _subscripts(term: list[Token]) -> list[tuple[int, int, int, int]]:
    """Each subscript: where its _ is, where it ends, and its content's start and end (inside
    the braces of a {…} group, or the one token)."""
    out = []
    for n, t in enumerate(term[:-1]):
        if t.is_char("_"):
            end = group_end(term, n + 1)
            braced = term[n + 1].is_char("{")
            out.append((n, end, n + 2, end - 1) if braced else (n, end, n + 1, end))
    return out


def _at(term: list[Token], which: set[int], letter: str) -> list[Token]:
    """The term with the content of the subscripts `which` (by number) the index letter."""
    out: list[Token] = []
    n = 0
    for k, (under, end, a, _) in enumerate(_subscripts(term)):
        if k in which:
            out += term[n:under + 1]
            out.append(Token("letter", letter, term[a].line, term[a].col))
            n = end
    return out + term[n:]


def over_a_range(tokens: list[Token], i: int) -> bool:
    """Whether the row ends here with ", for k = 1, 2, …, K" (or \\text{for } k \\in \\{1, …, K\\},
    \\forall k \\in [1, K], i = 1, 2, …, |V|): the range of an index the formula leaves free,
    which it already runs over."""
    return is_range(tokens[i:])


def is_range(tokens: list[Token]) -> bool:
    """`for k = 1, …, K`, `\\forall k \\in [1, K]`, `i = 1, 2, ..., |Vocab|`: an index and the
    whole of its range, 1 to a size, and nothing else."""
    rest = [t for t in tokens if not (t.is_char(",", ".", "{", "}", ";", "[", "]", "|")
                                       or t.is_cmd(*_RANGE_FILLER))]
    words = "".join(t.text for t in rest[:6] if t.kind == "letter")
    if rest and rest[0].is_cmd("forall"):
        rest = rest[1:]
    elif words.startswith("forall"):
        rest = rest[6:]
    elif words.startswith("for"):
        rest = rest[3:]
    if len(rest) < 3 or not vocab.is_index(rest[0].text) or not (
            rest[1].is_char("=") or rest[1].is_cmd("in")):
        return False
    span = "".join(t.text for t in rest[2:])
    return bool(re.fullmatch(r"1(?:2(?:3)?)?(?:ldots|cdots|dots)?(?:V|d|K|Vocab|vocab)", span))


_RANGE_FILLER = frozenset({"quad", "qquad", "space", ",", ";", ":", " ", "text", "mathrm", "{",
                           "}", "lvert", "rvert", "vert", "left", "right", "|"})
