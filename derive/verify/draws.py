"""What every problem of a `derive verify` run draws alike, drawn once for the run: NumPy only,
so that a run can start drawing before it imports SymPy (see `early`).

    Directions  the random directions of each shape, shared by every check of that shape
    Draws       those, and U (every problem's first draw from the seed), also in a kernel's dtype
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import differences

# A wrong gradient disagrees along almost every direction; four make a miss vanishingly rare.
DIRECTIONS = 4
SCALAR = ("sigmoid", "leaky-relu")  # derivatives in one scalar x: no U
# Below this many entries U is drawn in milliseconds: no thread is worth starting for it.
EARLY = 1 << 20


class _Later:
    """A value another thread is making: `get` waits for it (and raises what making it raised)."""

    def __init__(self) -> None:
        self._done, self._box = threading.Event(), []  # type: ignore[var-annotated]

    def make(self, make: Callable[[], Any]) -> None:
        try:
            self._box.append(make())
        except BaseException as exc:  # noqa: BLE001 -- raised where the value is asked for
            self._box.append(exc)
        self._done.set()

    def get(self) -> Any:
        self._done.wait()
        value = self._box[0]
        if isinstance(value, BaseException):
            raise value
        return value


class Directions:
    """k random unit directions for each shape, drawn once: checks of the same shape share them.

    A direction is r = q / ‖q‖ with q's entries uniform integers in [−128, 127], kept as int8: at
    V·d = 15 million, four directions in float64 would be four copies of U (480 MB); in int8 they
    are half of one, and drawn several times faster. Any spread of directions finds a wrong
    gradient: one is missed only where ⟨error, q⟩ = 0, for two equal entries of the error about
    1/256 a direction, so (1/256)⁴ for the four.

    From `rng` the shapes are drawn in the order they are asked for; with `seed` each shape has
    its own generator, default_rng([seed, 1, *shape]), so that its directions are the same
    whatever was asked before, and a thread can draw them ahead (`ahead`).
    """

    def __init__(self, rng: np.random.Generator | None = None, k: int = DIRECTIONS, *,
                 seed: int | None = None) -> None:
        if (rng is None) == (seed is None):
            raise TypeError("Directions needs rng or seed")
        self.rng, self.k, self.seed = rng, k, seed
        self._drawn: dict[tuple[int, ...], list[differences.Direction]] = {}
        self._ahead: dict[tuple[int, ...], _Later] = {}

    def of(self, shape: tuple[int, ...]) -> list[differences.Direction]:
        if shape not in self._drawn:
            ahead = self._ahead.pop(shape, None)
            self._drawn[shape] = ahead.get() if ahead is not None else self.draw(shape)
        return self._drawn[shape]

    def draw(self, shape: tuple[int, ...]) -> list[differences.Direction]:
        """The directions of `shape`, drawn afresh (`of` keeps them)."""
        rng = self.rng if self.seed is None else np.random.default_rng([self.seed, 1, *shape])
        assert rng is not None
        return [differences.draw(rng, shape) for _ in range(self.k)]

    def ahead(self, shape: tuple[int, ...], later: _Later) -> None:
        """`of(shape)` waits for `later` (a thread drawing them, with `draw`) when first asked."""
        if self.seed is None:
            raise TypeError("directions drawn in order cannot be drawn ahead")
        self._ahead[shape] = later


_First = tuple[np.ndarray, Mapping[str, Any]]  # U, and the generator's state after drawing it


class Draws:
    """What every problem of a run draws alike, drawn once for the run.

    The random directions, by shape (every problem's U is (V, d); at V·d = 15 million drawing
    four for each problem costs more than their checks), each shape from its own generator.
    And U: every problem starts with default_rng(seed).normal(size=(V, d)), the same numbers,
    so it is drawn once and each problem gets it with a generator where the draw left off.
    U is shared, not copied: whatever moves it in place puts it back (exactly in coordinate
    mode; within an ulp or two of an entry in directional mode, see differences.py)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.directions = Directions(seed=seed)
        self._first: _First | None = None
        self._converted: dict[np.dtype, np.ndarray] = {}
        self._early: dict[str, tuple[tuple[int, int], _Later]] = {}

    def prefetch(self, V: int, d: int, *, directions: bool = False) -> None:
        """Start drawing U in a thread, which NumPy's fill of a normal array leaves the GIL to:
        the imports (and, on a cold cache, the SymPy import and the first derivation, pure
        Python) go on meanwhile; and, in another, the directions of U's shape (`directions`).
        The numbers are the same; whatever asks for them waits for them."""
        first = _Later()
        self._early["first"] = ((V, d), first)
        _start(first, lambda: self._draw(V, d))
        if directions:
            # From a generator of their own: drawn on the other core while U is, rather than
            # after it (the first differences need both).
            later = _Later()
            self.directions.ahead((V, d), later)
            _start(later, lambda: self.directions.draw((V, d)))

    def _draw(self, V: int, d: int) -> _First:
        rng = np.random.default_rng(self.seed)
        U = rng.normal(size=(V, d))
        return U, rng.bit_generator.state

    def start(self, V: int, d: int) -> tuple[np.random.Generator, np.ndarray]:
        """(the problem's generator after its first draw, U)."""
        if self._first is None or self._first[0].shape != (V, d):
            self._first = None  # the old U goes before the new one is drawn
            self._converted.clear()
            early = self._early.pop("first", None)
            found = early[1].get() if early is not None else None
            if early is not None and early[0] != (V, d):
                found = None
            del early
            self._first = found if found is not None else self._draw(V, d)
        U, state = self._first
        return _at(state), U


    def converted(self, V: int, d: int, dtype: np.dtype) -> Callable[[], np.ndarray]:
        """U in a kernel's dtype, as a function that makes it when first called and keeps it for
        the run (U itself when it has that dtype): each problem's kernels read U when nothing
        has moved it (whatever moves it puts it back, see the class's note), so one copy
        serves every kernel of the run — at V·d = 15 million a float32 copy of U costs more
        to make than a loss, and its first touch of fresh pages more again."""
        U = self.start(V, d)[1]

        def read() -> np.ndarray:
            if U.dtype == dtype:
                return U
            if self._first is None or self._first[0] is not U:
                return U.astype(dtype)  # another U has been drawn since: not kept
            if dtype not in self._converted:
                self._converted[dtype] = U.astype(dtype)
            return self._converted[dtype]
        return read


def _start(later: _Later, make: Callable[[], Any]) -> None:
    """A thread that makes `later`'s value."""
    threading.Thread(target=later.make, args=(make,), name="derive verify: draws",
                     daemon=True).start()


def _at(state: Mapping[str, Any]) -> np.random.Generator:
    """A generator (PCG64, default_rng's) in `state`."""
    rng = np.random.default_rng()
    rng.bit_generator.state = state
    return rng


def early(names: Sequence[str], seed: int, V: int, d: int, mode: str = "auto") -> Draws:
    """A run's draws, U already being drawn when the run will need a large one (any problem
    but the scalar ones), with its directions unless every check is by coordinates: for the
    command line, before it imports the checks (and SymPy)."""
    draws = Draws(seed)
    if V >= 1 and d >= 1 and V * d >= EARLY and (not names or set(names) - set(SCALAR)):
        draws.prefetch(V, d, directions=mode != "coordinate")
    return draws
