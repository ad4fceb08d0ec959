"""Reports already made: what `derive show` printed, kept in derive's cache folder.

A report is stored only after its derivation succeeded with every step checked, under a key that
hashes everything that decides its text: the command's inputs (the loss file's bytes, the format,
--wrt), every source file of the package and the versions of SymPy and NumPy. Editing the loss or
upgrading derive makes a new key, so a stored report is always the one this code would print; a
second `derive show` of a file then needs neither SymPy nor a derivation. This module imports no
SymPy: looking a report up must cost less than the import it saves.

DERIVE_SHOW_CACHE=off derives afresh every time (and stores nothing), for timing a derivation, or
for tests that change the engine in memory, which no source hash can see.
"""
from __future__ import annotations

import os
from pathlib import Path

from ..files import cache_dir, keep, source_hash

_PACKAGE = Path(__file__).parent.parent
# Every file whose text can change a report: the code, and the shipped loss files it reads.
_SOURCES = ("**/*.py", "steps/losses/*.tex")
_FOLDER = "shown"
_KEPT = 200  # reports kept; the oldest go first, so the folder stays small


def enabled() -> bool:
    return os.environ.get("DERIVE_SHOW_CACHE", "").strip().lower() not in ("off", "0", "no")


def key(*inputs: str | bytes) -> str:
    """The hash of `inputs` (a command's own: file bytes, options), derive's code and versions."""
    h = source_hash(_PACKAGE, _SOURCES)
    for item in inputs:
        data = item.encode("utf-8") if isinstance(item, str) else item
        # length-prefixed, so that ("ab", "c") and ("a", "bc") differ
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:32]


def _path(report_key: str) -> Path:
    return cache_dir() / _FOLDER / f"{report_key}.txt"


def recall(report_key: str) -> str | None:
    """The report stored under `report_key`, or None when there is none (or it cannot be read)."""
    if not enabled():
        return None
    try:
        return _path(report_key).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def remember(report_key: str, report: str) -> None:
    """Store `report`; a cache that cannot be written (a read-only home) is skipped silently."""
    if not enabled():
        return
    keep(_path(report_key), report, _KEPT)
