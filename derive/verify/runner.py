"""The child process of `derive verify --against`: imports the student's file and calls its
functions on request, so that nothing the file does (exit(), an endless loop, a huge allocation,
a crash in C) can end or stall derive. Run as `python -m derive.verify.runner FILE MEMORY_BYTES`.

Protocol: pickled frames (see `send`/`receive`) on the process's original stdin and stdout, which
are moved to private descriptors first; the student's code sees /dev/null on fds 0 and 1, so its
prints and input() cannot corrupt a frame. One request is a `Call`; one answer a tuple
("ok", value) | ("raised", type, message, line) | ("exit", code), the value with every array
made a plain ndarray. The parent (`sandbox.py`) owns the time limit; the memory limit is an
address-space rlimit set here, after the imports, so MemoryError arrives as an answer.
"""
from __future__ import annotations

import os
import pickle
import random
import struct
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import differences


@dataclass(frozen=True)
class Fn:
    """A function named in a request: the student's ("student") or derive's ("derive")."""
    owner: str
    name: str


@dataclass(frozen=True)
class Call:
    name: str                          # a function of the student's file
    args: tuple[Any, ...]              # Fn and Draws are resolved in the child
    seed: int                          # Python's and NumPy's random state before the call
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Central differences of the loss (the result's first entry) in args[perturb], step h, all
    # in the child: one request instead of two a coordinate.
    perturb: int | None = None
    h: float = 0.0
    # Names of the student's module replaced, for this call only, by these functions (derive's
    # sigmoid inside the student's loss: is the error there or in the loss?).
    patch: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Draws:
    """The course's dummy dataset, with sampleTokenIdx scripted: the parent chooses the draws so
    that repeated samples and draws of the outside word occur whatever the seed."""
    tokens: tuple[str, ...]
    script: tuple[int, ...]


class Dataset:
    """What a student's code is given as `dataset`; it logs the indices it hands out."""

    def __init__(self, draws: Draws) -> None:
        self.tokens, self._script, self.log = list(draws.tokens), draws.script, []  # type: ignore[var-annotated]

    def sampleTokenIdx(self) -> int:  # the course's name
        index = self._script[len(self.log) % len(self._script)]
        self.log.append(index)
        return index

    def getRandomContext(self, C: int) -> tuple[str, list[str]]:  # the course's name
        t = self.tokens
        return t[random.randint(0, len(t) - 1)], [t[random.randint(0, len(t) - 1)]
                                                  for _ in range(2 * C)]


def send(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    (size,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(size))  # noqa: S301 - our own frames, from our own process


def _plain(value: Any) -> Any:
    """Arrays, numbers and tuples of them as NumPy values; anything else by its type name, so an
    odd return value is judged by the parent instead of failing to pickle."""
    if isinstance(value, list):  # a list of numbers is an array; [loss, grad, grad] a tuple
        try:
            return np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            return tuple(_plain(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    try:
        arr = np.array(value)
    except Exception:  # noqa: BLE001 - a student's object whose conversion raises
        return ("unusable", type(value).__name__)
    if arr.dtype == object:
        return ("unusable", type(value).__name__)
    return arr


def _line(exc: BaseException, path: Path) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if Path(f.filename).resolve() == path]
    return lines[-1] if lines else None


def _resolve(arg: Any, module: Any, dataset: Dataset) -> Any:
    if isinstance(arg, Fn):
        if arg.owner == "student":
            return getattr(module, arg.name)
        from .. import cs224n
        return getattr(cs224n, arg.name)
    return dataset if isinstance(arg, Draws) else arg


def _answer(call: Call, module: Any, path: Path) -> tuple[Any, ...]:
    draws = next((a for a in call.args if isinstance(a, Draws)), Draws(("w0",), (0,)))
    dataset = Dataset(draws)
    args = [_resolve(a, module, dataset) for a in call.args]
    kwargs = {k: _resolve(a, module, dataset) for k, a in call.kwargs.items()}
    fn = getattr(module, call.name)
    # The arrays as given: a function that writes into its inputs is told so (`changed`).
    given = [a.copy() if isinstance(a, np.ndarray) else None for a in args]
    saved = {name: vars(module).get(name) for name in call.patch if hasattr(module, name)}
    for name in saved:
        setattr(module, name, _resolve(call.patch[name], module, dataset))

    def run(*args: Any) -> Any:
        random.seed(call.seed)
        np.random.seed(call.seed % 2**32)
        dataset.log.clear()
        return fn(*args, **kwargs)

    try:
        with np.errstate(all="ignore"):
            if call.perturb is None:
                value = _plain(run(*args))
            else:
                value = _differences(run, args, call.perturb, call.h)
        return ("ok", value, tuple(dataset.log), _changed(args, given))
    except SystemExit as exc:
        return ("exit", exc.code, _line(exc, path))
    except BaseException as exc:  # noqa: BLE001 - every student failure is an answer
        return ("raised", type(exc).__name__, str(exc)[:300], _line(exc, path))
    finally:
        for name, original in saved.items():
            setattr(module, name, original)


def _changed(args: list[Any], given: list[np.ndarray | None]) -> tuple[int, ...]:
    """The positions of the array arguments whose values the call changed (a new shape given
    to the same values, `v.shape = (d, 1)`, is no change)."""
    return tuple(i for i, (a, g) in enumerate(zip(args, given, strict=True))
                 if g is not None and isinstance(a, np.ndarray) and not (
                     a.size == g.size and np.array_equal(a.reshape(-1), g.reshape(-1),
                                                         equal_nan=True)))


def _differences(run: Any, args: list[Any], at: int, h: float) -> np.ndarray:
    x = np.array(args[at], dtype=np.float64)

    def loss(y: np.ndarray) -> float:
        # Fresh copies every call: code that changes its inputs in place (`U -= …`,
        # `v.shape = (d, 1)`) must not change the next call's.
        fresh = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        fresh[at] = y.copy()
        return float(np.asarray(run(*fresh)[0], dtype=np.float64).reshape(()))

    return differences.coordinates(loss, x, h=h)


def _private_streams() -> tuple[IO[bytes], IO[bytes]]:
    """The protocol moves off fds 0 and 1; the student's code gets /dev/null there."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    return requests, answers


def _limit_memory(extra: int) -> None:
    import resource

    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))


def _import(path: Path) -> tuple[Any, tuple[Any, ...]]:
    import importlib.util

    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("word2vec_under_test", path)
    if spec is None or spec.loader is None:
        return None, ("unusable", f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules["word2vec_under_test"] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        return None, ("unusable", f"{path}, line {exc.lineno}: syntax error: {exc.msg}")
    except SystemExit as exc:
        return None, ("unusable", f"{path} raised SystemExit: {exc.code}{_at(exc, path)} "
                                  "when imported")
    except BaseException as exc:  # noqa: BLE001
        hint = ("; check it where its own imports are found (the assignment folder, next to "
                "utils/)" if isinstance(exc, ImportError) else "")
        return None, ("unusable", f"{path} raised {type(exc).__name__}: {exc}{_at(exc, path)} "
                                  f"when imported{hint}")
    names = tuple(n for n in vars(module) if callable(getattr(module, n)))
    return module, ("ready", names)


def _at(exc: BaseException, path: Path) -> str:
    line = _line(exc, path)
    return f" at line {line}" if line else ""


def main(argv: list[str]) -> None:
    path, memory = Path(argv[0]).resolve(), int(argv[1])
    requests, answers = _private_streams()
    from .. import cs224n  # noqa: F401 - imported before the limit: derive's own memory
    module, status = _import(path)
    send(answers, status)
    if module is None:
        return
    _limit_memory(memory)
    while True:
        try:
            call = receive(requests)
        except EOFError:
            return
        send(answers, _answer(call, module, path))


if __name__ == "__main__":
    # Through the package's copy of this module, so unpickled Fn/Draws/Call are its classes.
    from derive.verify import runner
    runner.main(sys.argv[1:])
