"""The text a derivation is read from: a notebook's Markdown cells, Markdown with its blockquote
marks taken off, and the file's macro definitions taken out (and kept, to expand its formulas).
Everything keeps its line and column, so a message points into the file the student has."""
from __future__ import annotations

import json
import re

from .lexer import MAX_CHARS, ReadError
from .macros import Macros, take_definitions

_QUOTE = re.compile(r"(?m)^[ \t]*(?:>[ \t]?)+")


def plain_text(text: str, macros: Macros) -> str:
    if len(text) > MAX_CHARS:
        raise ReadError(f"the input is {len(text):,} characters; derivations longer than "
                        f"{MAX_CHARS:,} are not read")
    text = _notebook(text)
    if r"\begin{document}" not in text:  # Markdown: "> " opens a quoted line, not a formula
        text = _QUOTE.sub(lambda m: " " * len(m.group(0)), text)
    return take_definitions(text, macros)


def _notebook(text: str) -> str:
    """A Jupyter notebook's Markdown cells, one after the other; other text as it is."""
    if not text.lstrip().startswith("{"):
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return text
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return text
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        cells.append("".join(source) if isinstance(source, list) else str(source))
    return "\n\n".join(cells)
