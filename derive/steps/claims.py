"""Which rows of a display are claims to check: two equations side by side are two claims; a
row that is only a case (`(w \\neq o)`) is the case of the rows after it; and a display the
prose before it makes a condition ("the gradient is zero exactly when") claims nothing."""
from __future__ import annotations

import re
from dataclasses import replace

from . import vocabulary as vocab
from .document import Region, Step
from .lexer import ReadError, Token, group_end
from .marks import _TEXT
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
    its condition: its piece starts with a word). An equation ⇒ another (`y_w = … \\Rightarrow
    -Σ_w y_w log ŷ_w = …`) is two as well: the second follows from the first, it is no side of
    it."""
    implied = _implications(row)
    if len(implied) > 1:
        return [eq for piece in implied for eq in equations(piece)]
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


def _implications(row: list[Token]) -> list[list[Token]]:
    """`A = B ⇒ C = D` as its two equations; a ⇒ with no = of its own on one side (`∂J/∂v_c = 0
    ⇒ U(ŷ − y) = 0`, `= a ⇒ = b`) is left to be read as the chain it continues."""
    pieces: list[list[Token]] = [[]]
    depth = 0
    for t in row:
        if t.is_cmd("begin", "left"):
            depth += 1
        elif t.is_cmd("end", "right"):
            depth -= 1
        depth += t.is_char("{", "(", "[") - t.is_char("}", ")", "]")
        if depth == 0 and t.is_cmd("Rightarrow", "implies", "Longrightarrow"):
            pieces.append([])
            continue
        pieces[-1].append(t)
    if len(pieces) < 2 or not all(_top_level_equals(p) for p in pieces):
        return [row]
    return pieces


def _top_level_equals(piece: list[Token]) -> bool:
    """Whether an = stands outside every bracket and environment in `piece`, not first."""
    depth = 0
    for n, t in enumerate(piece):
        if t.is_cmd("begin", "left"):
            depth += 1
        elif t.is_cmd("end", "right"):
            depth -= 1
        depth += t.is_char("{", "(", "[") - t.is_char("}", ")", "]")
        if depth == 0 and t.is_char("=") and any(not x.is_char("&") for x in piece[:n]):
            return True
    return False


def _equation(piece: list[Token]) -> bool:
    return bool(piece) and not piece[0].is_cmd(*_TEXT) and any(t.is_char("=") for t in piece)


# Prose that makes the display after it a condition, not a claim: "… is zero exactly when",
# "if and only if", "such that", "provided that:".
_CONDITION_LEAD = re.compile(r"\b(?:when|whenever|if|iff|only if|such that|provided(?: that)?|"
                             r"unless|assuming|suppose)\s*[:,]?\s*$", re.IGNORECASE)


# …or asks when something is zero ("When is the gradient equal to zero?", the handout's
# question): the display after it answers with the condition, which is no claim either.
_ZERO_QUESTION = re.compile(r"\bwhen\b[^?.$]{0,80}\b(?:zero|0|vanish\w*)\b[^?$]{0,40}\?",
                            re.IGNORECASE)


def states_condition(region: Region) -> bool:
    return (region.display or region.alone) and bool(_CONDITION_LEAD.search(region.lead[-80:])
                                   or _ZERO_QUESTION.search(region.lead))


# A display row that opens with prose stating its case: "When\\ w \\neq o,\\ then\\ y_w = 0, …".
_LEAD_WORDS = frozenset({"when", "if", "for", "whenever"})
_THEN_WORDS = ("then", "we have", "so", "thus", "hence")
# A condition the prose states in words that makes what follows hold only there: "when ∂J is 0".
_ZERO_CONDITION = re.compile(r"\b(?:is|=|equals?|becomes)\s*(?:0|zero)\b|\bvanish", re.IGNORECASE)


def prose_case(row: list[Token], aliases: vocab.Aliases
               ) -> tuple[Node | None, list[list[Token]]] | None:
    """A row that opens with prose and a case — `When\\ w \\neq o,\\ then\\ y_w = 0,
    \\frac{∂u_o^Tv_c}{∂u_w} = 0` — as the case (a word index's, for the rows after it too) and
    the claims after "then", each equation on its own. The case is None where the prose
    states a condition on values ("When ∂J is 0, we have"): what follows is then no claim.
    None for any other row."""
    inner = [t for t in row if not t.is_char("&")]
    words, at = _leading_words(inner)
    if not words or words[0] not in _LEAD_WORDS:
        return None
    rest = inner[at:]
    cut = next((n for n, t in enumerate(rest) if t.is_char(",", ":") or
                _words_at(rest, n)[0] in _THEN_WORDS), len(rest))
    cond_tokens, rest = rest[:cut], rest[cut:]
    try:
        case = condition(cond_tokens, aliases) if cond_tokens else None
    except ReadError:
        case = None
    if not isinstance(case, IndexRel):
        spoken = " ".join(words) + " " + "".join(" " if t.is_cmd(" ", ",", ";", "quad") else
                                                 t.shown() for t in cond_tokens)
        return (None, []) if _ZERO_CONDITION.search(spoken) else None
    while rest and (rest[0].is_char(",", ":") or rest[0].is_cmd(" ", ",", ";", "quad", "qquad")
                    or _words_at(rest, 0)[0] in _THEN_WORDS):
        rest = rest[_words_at(rest, 0)[1]:] if _words_at(rest, 0)[0] in _THEN_WORDS else rest[1:]
    return case, _split_at_commas(rest)


def _leading_words(tokens: list[Token]) -> tuple[list[str], int]:
    """The words a row opens with (letters run together, or \\text{…}), lower case, and where
    the formula after them starts."""
    words: list[str] = []
    at = 0
    while at < len(tokens):
        word, end = _words_at(tokens, at)
        if not word:
            break
        words.append(word)
        at = end
        while at < len(tokens) and tokens[at].is_cmd(" ", ",", ";", "quad", "qquad"):
            at += 1
    return words, at


def _words_at(tokens: list[Token], at: int) -> tuple[str, int]:
    """The word (of two letters or more, or in \\text{…}) at `at`, and where it ends; or ""."""
    if at < len(tokens) and tokens[at].kind == "cmd" and tokens[at].text in _TEXT and \
            at + 1 < len(tokens) and tokens[at + 1].is_char("{"):
        end = group_end(tokens, at + 1)
        return "".join(t.text for t in tokens[at + 2:end - 1]).strip().lower(), end
    end = at
    while end < len(tokens) and tokens[end].kind == "letter":
        end += 1
    word = "".join(t.text for t in tokens[at:end])
    if end - at < 2 or not word.isalpha() or (end < len(tokens) and tokens[end].is_char("_", "^")):
        return "", at
    for two in ("we have",):  # "we\\ have"
        first, second = two.split()
        if word.lower() == first and end < len(tokens) and tokens[end].is_cmd(" "):
            nxt, after = _words_at(tokens, end + 1)
            if nxt == second:
                return two, after
    return word.lower(), end


def _split_at_commas(tokens: list[Token]) -> list[list[Token]]:
    """`y_w = 0, ∂(u_oᵀv_c)/∂u_w = 0`: each equation on its own, cut at a comma outside every
    bracket — only when each piece has an = of its own; else the whole."""
    pieces, start, depth = [], 0, 0
    for n, t in enumerate(tokens):
        depth += t.is_char("{", "(", "[") - t.is_char("}", ")", "]")
        if depth == 0 and t.is_char(","):
            pieces.append(tokens[start:n])
            start = n + 1
    pieces.append(tokens[start:])
    pieces = [p for p in pieces if p]
    if len(pieces) > 1 and all(any(t.is_char("=") for t in p) for p in pieces):
        return pieces
    return [tokens] if tokens else []
