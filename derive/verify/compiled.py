"""What `derive verify` reads of a problem's derivation, as NumPy functions and plain data.

A run checks every gradient and step at its own points, but what it evaluates there — each
derived form, each step and SymPy's own derivative, printed as NumPy functions, and the printed
results — is the same in every run of the same code. derived.compile makes it from the
derivation (with SymPy); it is kept in the cache folder beside the derivations, keyed as they
are (stored.key: every source file of derive, the shipped loss files, the versions, the problem
and the problems run before it), and a later run reads it back and loads no SymPy at all. Every
check is still made, at the run's points (`At`), with the run's seed; only the printing is
reused. An entry that cannot be read, names a class or function other than these, or was made
by other code (another key) is not found: the run derives and prints afresh.

    Compiled     a problem's results, forms, trace chains and result checks
    Chain, AgainstDiff, CaseCheck   its parts
    load, store  the records kept in the cache folder
The values themselves, and the points they are evaluated at, are values.py's.
"""
from __future__ import annotations

import io
import pickle
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import DerivationError
from ..files import cache_dir, keep
from . import stored, values
from .gradcheck import compare, max_error
from .values import At, Fn, Points, Spec

FORMAT = "compiled 3"  # of the record itself: part of its key
_FOLDER = "compiled"


# -------------------------------------------------------------------------------- the record

@dataclass(frozen=True)
class Chain:
    """A chain of a trace: its label ("J", "dJ/dv_c"), what it differentiates by, and each
    step's rule and values."""
    label: str
    wrt: str
    steps: tuple[tuple[str, Spec], ...]


@dataclass(frozen=True)
class AgainstDiff:
    """A result against SymPy's own elementwise derivative of the loss."""
    chain: str
    reference: Spec
    result: Spec
    message: str  # "dJ/dU = … disagrees with the elementwise derivative of …"


@dataclass(frozen=True)
class CaseCheck:
    """A column case of ∂J/∂U against the full gradient's columns where the case holds."""
    chain: str
    full: Spec
    case: Spec
    at_o: bool  # the case w = o (else w ≠ o)
    message: str  # "dJ/du_w (w = o) = …"


@dataclass(frozen=True)
class Compiled:
    """What verify reads of one problem's derivation: the printed result of each gradient (by
    its key), its derived forms as NumPy functions (derived.py says of which arguments), the
    shape of a gradient that is the zero matrix (sizes by name), the trace's chains and the
    checks of the results made at the run's points, and the points they are made at."""
    problem: str
    texts: Mapping[str, str]
    forms: Mapping[str, Fn | values.Outer] = field(default_factory=dict)
    zeros: Mapping[str, tuple[str | int, ...]] = field(default_factory=dict)
    points: Points | None = None
    chains: tuple[Chain, ...] = ()
    checks: tuple[AgainstDiff | CaseCheck, ...] = ()

    def check_results(self, at: At) -> None:
        """Raise DerivationError (as the engine would) where a result disagrees with SymPy's
        derivative or a column case with its column, at the run's points."""
        for check in self.checks:
            if isinstance(check, AgainstDiff):
                err = compare(at.values(check.reference), at.values(check.result))
                if err is not None:
                    raise DerivationError(f"{check.message}: {err}", chain=check.chain,
                                          rule="matrix form")
                continue
            for sample, g, c in zip(at.samples, at.values(check.full), at.values(check.case),
                                    strict=True):
                o, V = sample[1], sample[2]
                for w in [o] if check.at_o else [w for w in range(V) if w != o]:
                    err = compare([g[:, w]], [c[w].reshape(-1)])
                    if err is not None:
                        raise DerivationError(f"{check.message} disagrees with column {w} of "
                                              f"dJ/dU: {err}", chain=check.chain,
                                              rule="matrix form")

    def step_errors(self, at: At) -> list[tuple[Chain, str, float]]:
        """(chain, rule, error of the step from the one before it) for every step."""
        out = []
        for chain in self.chains:
            for (_, before), (rule, after) in zip(chain.steps, chain.steps[1:], strict=False):
                out.append((chain, rule, max_error(at.values(before), at.values(after))))
        return out


_ALLOWED = {__name__: frozenset({"Compiled", "Chain", "AgainstDiff", "CaseCheck"}),
            values.__name__: frozenset({"Points", "Entries", "Matrices", "Rows", "Zeros",
                                        "Total", "OfX", "Outer", "_function"})}


class _Unpickler(pickle.Unpickler):
    """Only this module's records (and a printed function's source) come out of an entry."""

    def find_class(self, module: str, name: str) -> Any:
        if name in _ALLOWED.get(module, ()):
            return getattr(sys.modules[module], name)
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled record")


def _key(problem: str, before: tuple[str, ...]) -> str:
    return stored.key(FORMAT, problem, *before)


def load(problem: str, before: tuple[str, ...]) -> Compiled | None:
    """The record kept for `problem` run after the problems `before`, if there is one that
    reads; None otherwise (or with DERIVE_VERIFY_CACHE=off)."""
    if not stored.enabled():
        return None
    path = cache_dir() / _FOLDER / f"{_key(problem, before)}.pickle"
    try:
        found = _Unpickler(io.BytesIO(path.read_bytes())).load()
    except Exception:  # noqa: BLE001 -- a missing, damaged or foreign entry is made again
        return None
    return found if isinstance(found, Compiled) and found.problem == problem else None


def store(record: Compiled, before: tuple[str, ...]) -> None:
    """Keep `record`, unless a function in it has no source to keep it by."""
    if not stored.enabled():
        return
    try:
        data = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    keep(cache_dir() / _FOLDER / f"{_key(record.problem, before)}.pickle", data, 100)
