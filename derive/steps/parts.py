"""A text read in order, region by region, knowing where each part of the answer starts (a
heading, \\section, \\item, a label such as (e):) — where a case a heading named ends, where a
loss a chain stated stops holding, where a bare J may be read from the part's terms — and the
readings that hold for the whole text (conventions.py)."""
from __future__ import annotations

import re

from . import conventions
from . import vocabulary as vocab
from .bindings import Loader, Same
from .claims import states_condition
from .document import Region, Step, regions
from .macros import template
from .reader import Reader
from .source import plain_text

# A line that starts a part of an answer: \section, \item, …, or a label such as (e): or **(c)**
_PART = re.compile(r"\s*(?:\\(?:(?:sub)*section|part|item|paragraph)\b|(?:>\s*)?(?:\*\*|__)?"
                   r"\(?[a-z]\)[:.]?)")



# What joins a formula to the case after it, in one sentence: "… = ŷ_w v_c for $w \neq o$",
# "(when $w = o$)"; on the next line only when the sentence goes on in lower case.
_JOIN = re.compile(r"[ \t]*[,;]?[ \t]*(?:\n[ \t]*)?\(?(?:for|when|if|where|whenever|with|"
                   r"in the case|only when|only if)[ \t]+")
# What introduces a definition of a name the formula before it used: "…, where $z = U^\top v_c$"
_WHERE = re.compile(r"[ \t]*[,;.]?[ \t]*\n?[ \t]*(?:where|here|with|in which)[ \t]+", re.IGNORECASE)
_CLAUSE = re.compile(r"[ \t]*[,;]?[ \t]*(?:and|but|while|whereas|or)\b")


def _case_after(text: str, region: Region, case: Region, following: Region | None) -> bool:
    """Whether `case`, an inline formula, is written as the case of `region` just before it."""
    if case.display or case.alone or not _JOIN.fullmatch(text, region.end, case.start):
        return False
    tail_end = following.start if following is not None else len(text)
    paragraph = text.find("\n\n", case.end, tail_end)
    tail = text[case.end:tail_end if paragraph < 0 else paragraph]
    if tail.lstrip().startswith(":"):
        return False  # "for $w = o$:": the case of what follows
    if following is not None and paragraph < 0 and "." not in tail and "\n" not in tail:
        # "for $w = o$, we get $…$": the case of the formula after it — but not in "for
        # $w \neq o$, and $…$ when $w = o$", where a new clause starts
        return bool(_CLAUSE.match(tail))
    return True


def read(text: str, aliases: vocab.Aliases, *, problem: str | None = None,
         losses: Loader | None = None, same: Same | None = None) -> list[Step]:
    """Every step `text` claims, in order. Raises ReadError only for input that cannot be used
    at all (too long, a forbidden command); a formula that cannot be read is an unread step."""
    macros = template()
    text = plain_text(text, macros)
    lines = text.split("\n")
    zero, rows = conventions.zero_is_o(text, aliases), conventions.u_rows(text)
    if zero:
        aliases = aliases.with_index("0", "o")
    if rows:
        aliases = aliases.with_u_rows()
    headings = frozenset(n for n, line in enumerate(lines, 1) if line.lstrip().startswith("#"))
    # where a part of the answer ends: a heading, \section, \subsection, \item, \part
    parts = headings | {n for n, line in enumerate(lines, 1) if _PART.match(line)}
    reader = Reader(aliases, macros, losses, problem, headings, same)
    last_heading = last_part = 0
    found = regions(text)
    after: set[int] = set()  # cases read as the case of the formula before them
    for n, region in enumerate(found):
        if n in after:
            continue
        heading = max((h for h in headings if h <= region.line), default=0)
        if heading != last_heading:  # a new section: the last one's case ends with it
            reader.section_case, last_heading = None, heading
        part = max((h for h in parts if h <= region.line), default=0)
        if part != last_part:
            reader.end_part(reader.steps)
            reader.end_section()
            reader.end_families()
            last_part = part
        if n + 1 < len(found) and n + 1 not in after and not found[n + 1].display and \
                not found[n + 1].alone and _WHERE.fullmatch(text, region.end, found[n + 1].start) \
                and reader.case_of(found[n + 1]) is None:
            # "$$… - b$$ where $b = v_c$": b is defined for the formula that used it first
            case = reader.pending_case
            reader.region(found[n + 1])
            reader.pending_case = case
            after.add(n + 1)
        before = len(reader.steps)
        following = found[n + 2] if n + 2 < len(found) else None
        if n + 1 < len(found) and found[n + 1].line not in headings and \
                _case_after(text, region, found[n + 1], following):
            case = reader.case_of(found[n + 1])
            if case is not None:  # "$∂J/∂u_w = ŷ_w v_c$ for $w \neq o$": this formula's case
                reader.pending_case = case
                after.add(n + 1)
        reader.region(region)
        if states_condition(region):
            reader.as_condition(before)
    reader.end_part(reader.steps)
    return conventions.noted(reader.steps, lines, zero, rows)
