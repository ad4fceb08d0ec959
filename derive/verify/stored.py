"""Derivations `derive verify` made before, kept in derive's cache folder.

A built-in problem's derivation is the same in every run: it is made with its step checks off
(verify's trace checks make them at the run's points) or with them on at the engine's fixed
points, never at the run's. So it is kept, pickled, under a key that hashes everything it
depends on: every source file of the package and the shipped loss files (files.source_hash, with
SymPy's, NumPy's and Python's versions), the problem, how it was derived, and the derivations
it was given (a window loss reuses its pair loss's). A changed source or version misses. What
depends on the run — every check at the run's points — is made afresh each run, from the
derivation kept.

The loss itself (it holds functions, which pickle cannot keep) and the notation's objects (which
code compares by identity) are not stored: they are the ones this process has, put back in by
name; a derivation holding any other object of that kind, or a Dummy (its number could meet one
made in this process), is not kept. The folder is written only by derive itself, as the kernel
and step-check caches are, whose code derive also runs.

DERIVE_VERIFY_CACHE=off derives afresh every time (and stores nothing): for timing a derivation,
or for tests that change the engine in memory, which no source hash can see.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import cache_dir, keep, source_hash

if TYPE_CHECKING:
    from ..calculus.records import Derivation, Loss

_PACKAGE = Path(__file__).parent.parent
# Every file whose text can change a derivation: the code, and the shipped loss files it reads.
_SOURCES = ("**/*.py", "steps/losses/*.tex")
_FOLDER = "derived"
_KEPT = 100  # derivations kept; the oldest go first
_keys: dict[int, tuple[Derivation, str]] = {}  # by id: each derivation returned, and its key


class _Unkept(Exception):
    """The derivation holds something that cannot be stored faithfully."""


def enabled() -> bool:
    return os.environ.get("DERIVE_VERIFY_CACHE", "").strip().lower() not in ("off", "0", "no")


@cache
def _source(package: Path) -> bytes:
    return source_hash(package, _SOURCES).digest()


def key(*inputs: str | bytes) -> str:
    """The hash of `inputs`, derive's code and the versions it runs on."""
    h = hashlib.sha256(_source(_PACKAGE))
    for item in inputs:
        data = item.encode("utf-8") if isinstance(item, str) else item
        h.update(len(data).to_bytes(8, "little") + data)  # ("ab", "c") ≠ ("a", "bc")
    return h.hexdigest()[:32]


def derivation(loss: Loss, how: str, make: Callable[[], Derivation],
               given: Derivation | None = None) -> Derivation:
    """make() (a derivation of `loss`, derived `how`, from the derivation `given` if any), kept
    from an earlier run when there is one; make() runs only on a miss. A derivation given must
    itself have come from here (its key is part of this one's); else make() is simply run."""
    if not enabled():
        return make()
    inputs = [loss.name, how]
    if given is not None:
        if id(given) not in _keys:
            return make()
        inputs.append(_keys[id(given)][1])
    derivation_key = key(*inputs)
    path = cache_dir() / _FOLDER / f"{derivation_key}.pickle"
    try:
        found = _load(path.read_bytes(), loss)
    except OSError:
        found = None
    if found is None:
        found = make()
        data = _dump(found)
        if data is None:
            return found
        keep(path, data, _KEPT)  # a read-only home derives again next time
    _keys[id(found)] = (found, derivation_key)  # the derivation held, so that its id stays its
    return found


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, loss: Loss) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.loss = loss

    def persistent_id(self, obj: Any) -> Any:
        # Here, not at the top: compiled.py keys its records with `key` and loads no SymPy.
        import sympy as sp

        from .. import notation as n
        from ..calculus.records import Loss

        if isinstance(obj, n.Obj):
            if not any(obj is o for o in n.OBJECTS):
                raise _Unkept(obj.name)
            return ("object", obj.name)
        if isinstance(obj, Loss):
            if obj is self.loss:
                return ("loss", "")
            if obj is self.loss.pair:
                return ("loss", "pair")
            raise _Unkept(obj.name)
        if isinstance(obj, sp.Dummy):
            raise _Unkept(str(obj))
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, loss: Loss) -> None:
        super().__init__(file)
        self.loss = loss

    def persistent_load(self, pid: Any) -> Any:
        from .. import notation as n

        kind, name = pid
        if kind == "object":
            return next(o for o in n.OBJECTS if o.name == name)
        if kind == "loss" and name == "":
            return self.loss
        if kind == "loss" and name == "pair" and self.loss.pair is not None:
            return self.loss.pair
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def _dump(derivation: Derivation) -> bytes | None:
    out = io.BytesIO()
    try:
        _Pickler(out, derivation.loss).dump(derivation)
    except (_Unkept, pickle.PicklingError, AttributeError, TypeError):
        return None
    return out.getvalue()


def _load(data: bytes, loss: Loss) -> Derivation | None:
    from ..calculus.records import Derivation

    try:
        found = _Unpickler(io.BytesIO(data), loss).load()  # noqa: S301 -- derive's own cache
    except Exception:  # noqa: BLE001 -- a damaged or stale entry is derived again
        return None
    return found if isinstance(found, Derivation) and found.loss is loss else None
