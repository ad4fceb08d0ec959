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
from .document import Step, regions
from .macros import template
from .reader import Reader
from .source import plain_text

# A line that starts a part of an answer: \section, \item, …, or a label such as (e): or **(c)**
_PART = re.compile(r"\s*(?:\\(?:(?:sub)*section|part|item|paragraph)\b|(?:>\s*)?(?:\*\*|__)?"
                   r"\(?[a-z]\)[:.]?)")



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
    for region in regions(text):
        heading = max((h for h in headings if h <= region.line), default=0)
        if heading != last_heading:  # a new section: the last one's case ends with it
            reader.section_case, last_heading = None, heading
        part = max((h for h in parts if h <= region.line), default=0)
        if part != last_part:
            reader.end_part(reader.steps)
            reader.end_section()
            reader.end_families()
            last_part = part
        before = len(reader.steps)
        reader.region(region)
        if states_condition(region):
            reader.as_condition(before)
    reader.end_part(reader.steps)
    return conventions.noted(reader.steps, lines, zero, rows)
