"""What `derive verify` found: one Check a gradient, function or step, and the whole Report."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Check:
    target: str
    function: str
    wrt: str
    mode: str
    max_rel_error: float
    tolerance: float
    passed: bool
    worst_index: tuple[int, ...] | None
    # The likely cause of a failure, when the difference has a recognisable shape (--against).
    cause: str | None = None
    # --against only: a verdict other than pass/FAIL ("raised", "wrong shape", "missing",
    # "unfinished", "not run") and a note on an accepted shape; neither is in the JSON when None.
    verdict: str | None = None
    note: str | None = None

    @property
    def result(self) -> str:
        return self.verdict or ("pass" if self.passed else "FAIL")


@dataclass(frozen=True)
class Report:
    seed: int
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "seed": self.seed,
                "checks": [_json_check(c) for c in self.checks]}


def _json_check(c: Check) -> dict[str, Any]:
    out = asdict(c)
    out["worst_index"] = list(c.worst_index) if c.worst_index is not None else None
    for key in ("verdict", "note"):
        if out[key] is None:
            del out[key]
    if not np.isfinite(c.max_rel_error):
        out["max_rel_error"] = str(c.max_rel_error)
    return out


def _bare(c: Check) -> bool:
    """A verdict with no number to show (raised, missing, an input changed in place, …)."""
    return c.verdict is not None and (c.verdict != "FAIL" or not np.isfinite(c.tolerance))


def _error(c: Check) -> str:
    return "-" if _bare(c) else f"{c.max_rel_error:.2e}"


def table(report: Report) -> str:
    """The checks as an aligned table, FAIL rows marked, the seed to replay at the end."""
    head = ("target", "function", "wrt", "mode", "max rel err", "tol", "result", "worst")
    rows = [head] + [
        (c.target, c.function, c.wrt, c.mode, _error(c), "-" if _bare(c) else f"{c.tolerance:.1e}",
         c.result, "" if c.worst_index is None else str(c.worst_index))
        for c in report.checks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    # One line a cause of a function: finite differences and derive usually agree on it, and
    # one error (in a loss skipgram calls) is often the cause of each of its rows.
    wrts: dict[tuple[str, str], list[str]] = {}
    for c in report.checks:
        if not c.passed and c.cause:
            wrts.setdefault((c.function, c.cause), [])
            if c.wrt != "-" and c.wrt not in wrts[(c.function, c.cause)]:
                wrts[(c.function, c.cause)].append(c.wrt)
    causes = [f"  {function}{' ' + ', '.join(w) if w else ''}: {cause}"
              for (function, cause), w in wrts.items()]
    if causes:
        lines += ["", "likely causes:", *causes]
    notes = list(dict.fromkeys(f"  {c.function}: {c.note}" for c in report.checks if c.note))
    if notes:
        lines += ["", "notes:", *notes]
    failed = sum(not c.passed for c in report.checks)
    verdict = (f"all {len(report.checks)} checks passed" if not failed
               else f"{failed} of {len(report.checks)} checks FAILED")
    replay = f"seed {report.seed}; replay with --seed {report.seed}"
    return "\n".join(lines) + f"\n\n{verdict} ({replay})\n"
