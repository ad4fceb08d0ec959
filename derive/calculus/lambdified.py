"""NumPy functions of the step checks' expressions, printed once and kept on disk.

A step check evaluates an expression at the check sizes (a few microseconds) after expanding it
and printing it with lambdify (milliseconds to a tenth of a second each, most of a run's symbolic
time), and every run checks the same expressions at new points. So the printed source is kept
under the cache folder, keyed by a hash of

    the code that expands and prints (calculus/*.py, notation.py) and SymPy's, NumPy's and
    Python's versions: a changed source misses;
    the inputs: the pickle of the expression (or of what it is made from) and of the arguments,
    assumptions included (`_digest`). An expression holding a Dummy never hits (its pickle
    holds a number that differs from run to run), so it is printed again, as before.

A function whose code reads a name outside lambdify's plain NumPy namespace is not kept (it could
not be run from its source alone); it is printed each time. The cache folder is
$DERIVE_CACHE_DIR, else $XDG_CACHE_HOME/derive, else ~/.cache/derive (the kernel cache's).
"""
from __future__ import annotations

import builtins
import dis
import hashlib
import inspect
import io
import marshal
import pickle
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from types import CodeType
from typing import Any

import sympy as sp

from ..files import cache_dir, source_hash, write_atomic
from . import numpyspace

_PACKAGE = Path(__file__).parent.parent
_SOURCES = ("notation.py", "calculus/*.py")
_NAME = "_lambdifygenerated"
_memo: dict[str, Callable[..., Any]] = {}
# The source of each function made or loaded here, and the global names its code reads, by id
# (see source); the names are found when they are first asked for (a pass of dis over the code).
_texts: dict[int, tuple[str, tuple[str, ...] | None]] = {}
_pruned: set[Path] = set()


def source_key() -> str:
    """A hash of what decides a printed function besides its inputs."""
    return _source_key(_PACKAGE)


@cache
def _source_key(package: Path) -> str:
    return source_hash(package, _SOURCES).hexdigest()[:16]


def folder() -> Path:
    return cache_dir() / f"lambdified-{source_key()}"


def function(key: Sequence[Any], make: Callable[[], tuple[list[Any], sp.Basic]]
             ) -> Callable[..., Any]:
    """lambdify(*make(), modules="numpy"), from the cache when `key` (which must determine
    make()'s result) was printed before. make() runs only on a miss."""
    digest = _digest(tuple(key))
    if digest in _memo:
        return _memo[digest]
    path = folder() / f"{digest}.py"
    f, text = _load(path)
    names: tuple[str, ...] | None = None
    if f is None:
        args, expr = make()
        f = numpyspace.lambdify(args, expr)
        text, names = inspect.getsource(f), tuple(sorted(_global_names(f.__code__)))
        if set(names) <= set(_namespace()):
            try:
                write_atomic(path, text)  # to read; the compiled code beside it, to load
                write_atomic(path.with_suffix(".code"),
                             marshal.dumps(compile(text, str(path), "exec")))
                if path.parent not in _pruned:
                    _pruned.add(path.parent)
                    _prune(path.parent)
            except OSError:
                pass  # a read-only home still checks, printing again next time
    _memo[digest] = f
    if text is not None:
        _texts[id(f)] = (text, names)
    return f


def source(f: Callable[..., Any]) -> tuple[str, tuple[str, ...]] | None:
    """(the source of a function `function` made, the global names its code reads, which its
    __globals__ binds), or None for one it did not make."""
    found = _texts.get(id(f))  # every function made here stays in _memo: its id is its own
    if found is None:
        return None
    text, names = found
    if names is None:
        names = tuple(sorted(_global_names(f.__code__)))
        _texts[id(f)] = (text, names)
    return text, names


def _digest(key: tuple[Any, ...]) -> str:
    """A hash of the key's pickle, made without pickle's memo (`fast`): it then depends on the
    key's structure alone, not on which of its parts happen to be one object, and is the same in
    every process (tests/calculus/test_lambdified.py holds it so under other hash seeds). A
    pickle rebuilds the key, assumptions included, as srepr does; srepr took 0.18 s of each
    verify run for its 165 keys, the pickles 0.02 s. A key that will not pickle is srepr'd."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=4)
    pickler.fast = True
    try:
        pickler.dump(key)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return "r" + hashlib.sha256(sp.srepr(key).encode()).hexdigest()
    return "p" + hashlib.sha256(buffer.getvalue()).hexdigest()


def _load(path: Path) -> tuple[Callable[..., Any] | None, str | None]:
    """The function kept at path, and its source: its compiled code (marshal, which the Python
    version in the key makes safe to load), else its source compiled."""
    local: dict[str, Any] = {}
    try:
        text = path.read_text(encoding="utf-8")
        try:
            code = marshal.loads(path.with_suffix(".code").read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            code = compile(text, str(path), "exec")
        exec(code, _namespace(), local)  # noqa: S102 -- our own printed text
    except Exception:  # noqa: BLE001 -- a missing or damaged entry is printed again
        return None, None
    f = local.get(_NAME)
    return (f, text) if callable(f) else (None, None)


def _global_names(code: CodeType) -> set[str]:
    """The names code (and the generators inside it, a Sum's) looks up as globals. lambdify
    also puts the expression's symbols in its namespace, but a function whose code reads none
    of them runs the same in NumPy's namespace alone."""
    names = {i.argval for i in dis.get_instructions(code)
             if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _global_names(const)
    return names


@cache
def _namespace() -> dict[str, Any]:
    """The namespace a kept function runs in: numpyspace's (lambdify's NumPy namespace less the
    submodules NumPy loads lazily), builtins and range; a function whose code reads any other
    name is simply not kept."""
    return {**numpyspace.namespace(), "builtins": builtins, "range": range}


def _prune(current: Path) -> None:
    """Folders of an older source go, as the kernel cache's stale files do."""
    for stale in current.parent.glob("lambdified-*"):
        if stale != current and stale.is_dir():
            for entry in [*stale.glob("*.py"), *stale.glob("*.code")]:
                entry.unlink(missing_ok=True)
            try:
                stale.rmdir()
            except OSError:
                pass
