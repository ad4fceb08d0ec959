"""The parent side of `derive verify --against`'s child process (`runner.py`).

A `Sandbox` starts the child, which imports the student's file, then sends it one `Call` at a
time and waits at most `timeout` seconds for each answer. A call that overruns, or a child that
dies (os._exit, a signal, a crash in C), becomes an `Outcome` naming what happened; the child is
started again for the next call, so one bad function cannot hide the verdicts of the others.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .runner import Call, receive, send

TIMEOUT = 5.0            # seconds a single call may take (a gradient check makes hundreds)
MEMORY = 1 << 30         # bytes of address space the student's code may add (1 GiB)


class Unusable(ValueError):
    """The file as a whole cannot be checked: it does not import, or the child cannot start."""


@dataclass(frozen=True)
class Outcome:
    """What one call did: kind "ok" (value, draws, the positions of the array arguments it
    changed), "raised" (type, message, line), "exit" (code, line), "timeout" or "died" (how)."""
    kind: str
    value: Any = None
    draws: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()
    error: str | None = None
    line: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"

    def describe(self, name: str, file: str) -> str:
        at = f" at line {self.line} of {file}" if self.line else ""
        if self.kind == "raised":
            return f"{name} raised {self.error}{at}"
        if self.kind == "exit":
            return f"{name} called exit() / sys.exit({self.error}){at}: a check cannot pass"
        if self.kind == "timeout":
            return f"{name} did not return within {TIMEOUT:g} s (an endless loop?)"
        return f"{name} ended the process: {self.error}"


class Sandbox:
    def __init__(self, path: Path, *, timeout: float = TIMEOUT, memory: int = MEMORY) -> None:
        if not path.is_file():
            raise Unusable(f"{path}: no such file")
        self.path, self.timeout, self.memory = path.resolve(), timeout, memory
        self.functions: tuple[str, ...] = ()
        self._child: subprocess.Popen[bytes] | None = None
        self._start()

    def _start(self) -> None:
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        # derive itself must be importable in the child as it is here (a checkout on sys.path).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self._child = subprocess.Popen(
            [sys.executable, "-m", "derive.verify.runner", str(self.path), str(self.memory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, cwd=str(self.path.parent), start_new_session=True)
        status = self._answer(max(self.timeout, 30.0))  # the import, with NumPy and derive's
        if status.kind != "ok":
            what = {"timeout": "did not finish importing within 30 s"}.get(
                status.kind, f"ended the process while importing: {status.error}")
            raise Unusable(f"{self.path} {what}")
        kind, detail = status.value
        if kind == "unusable":
            raise Unusable(detail)
        self.functions = detail

    def _answer(self, timeout: float) -> Outcome:
        child = self._child
        assert child is not None and child.stdout is not None  # noqa: S101 - set by _start
        ready, _, _ = select.select([child.stdout], [], [], timeout)
        if not ready:
            self._kill()
            return Outcome("timeout")
        try:
            frame = receive(child.stdout)
        except (EOFError, OSError, ValueError):
            code = child.wait()
            self._child = None
            how = (f"killed by signal {signal.Signals(-code).name}" if code < 0
                   else f"exit status {code}")
            return Outcome("died", error=how + _memory_hint(code))
        if frame[0] == "ok" and len(frame) == 4:
            return Outcome("ok", frame[1], draws=frame[2], changed=frame[3])
        if frame[0] in ("ready", "unusable"):
            return Outcome("ok", frame)
        if frame[0] == "exit":
            return Outcome("exit", error=str(frame[1]), line=frame[2])
        error = f"{frame[1]}: {frame[2]}".rstrip(": ")
        if frame[1] == "MemoryError":
            error += f" (more than the {self.memory >> 20} MiB allowed)"
        return Outcome("raised", error=error, line=frame[3])

    def call(self, name: str, *args: Any, seed: int, patch: dict[str, Any] | None = None,
             **kwargs: Any) -> Outcome:
        return self._send(Call(name, args, seed, kwargs, patch=patch or {}), self.timeout)

    def differences(self, name: str, *args: Any, at: int, h: float, seed: int,
                    calls: int) -> Outcome:
        """Central differences of name's loss in args[at], made in the child: `calls` calls,
        each allowed the time limit, the whole bounded by the time limit plus a tenth of a
        second a call (student code at these sizes takes well under a millisecond)."""
        return self._send(Call(name, args, seed, {}, perturb=at, h=h),
                          self.timeout + 0.1 * calls)

    def _send(self, request: Call, timeout: float) -> Outcome:
        if self._child is None:
            self._start()
        child = self._child
        assert child is not None and child.stdin is not None  # noqa: S101
        try:
            send(child.stdin, request)
        except (BrokenPipeError, OSError):
            self._kill()
            return Outcome("died", error="the process was gone")
        return self._answer(timeout)

    def _kill(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child.wait()
            self._child = None

    def close(self) -> None:
        if self._child is not None and self._child.stdin is not None:
            self._child.stdin.close()
            try:
                self._child.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self._kill()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _memory_hint(code: int) -> str:
    return " (out of memory?)" if code == -signal.SIGKILL else ""
