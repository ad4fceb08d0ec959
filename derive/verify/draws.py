"""What every problem of a `derive verify` run draws alike, drawn once for the run: NumPy only,
so that a run can start drawing U before it imports SymPy (see `early`).

    Directions  the random directions of each shape, shared by every check of that shape
    Draws       those, and U, every problem's first draw from the seed
"""
from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import differences

# A wrong gradient disagrees along almost every direction; four make a miss vanishingly rare.
DIRECTIONS = 4
SCALAR = ("sigmoid", "leaky-relu")  # derivatives in one scalar x: no U
# Below this many entries U is drawn in milliseconds: no thread is worth starting for it.
EARLY = 1 << 20


class Directions:
    """k random unit directions for each shape, drawn once: checks of the same shape share them.

    A direction is r = q / ‖q‖ with q's entries uniform integers in [−128, 127], kept as int8: at
    V·d = 15 million, four directions in float64 would be four copies of U (480 MB); in int8 they
    are half of one, and drawn several times faster. Any spread of directions finds a wrong
    gradient: one is missed only where ⟨error, q⟩ = 0, for two equal entries of the error about
    1/256 a direction, so (1/256)⁴ for the four.
    """

    def __init__(self, rng: np.random.Generator, k: int = DIRECTIONS) -> None:
        self.rng, self.k = rng, k
        self._drawn: dict[tuple[int, ...], list[differences.Direction]] = {}

    def of(self, shape: tuple[int, ...]) -> list[differences.Direction]:
        if shape not in self._drawn:
            self._drawn[shape] = [differences.draw(self.rng, shape) for _ in range(self.k)]
        return self._drawn[shape]


_First = tuple[np.ndarray, Mapping[str, Any]]  # U, and the generator's state after drawing it


class Draws:
    """What every problem of a run draws alike, drawn once for the run.

    The random directions, by shape (every problem's U is (V, d); at V·d = 15 million drawing
    four for each problem costs more than their checks), from their own generator (seed, 1).
    And U: every problem starts with default_rng(seed).normal(size=(V, d)), the same numbers,
    so it is drawn once and each problem gets it with a generator where the draw left off.
    U is shared, not copied: whatever moves it in place puts it back (exactly in coordinate
    mode; within an ulp or two of an entry in directional mode, see differences.py)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.directions = Directions(np.random.default_rng([seed, 1]))
        self._first: _First | None = None
        self._early: tuple[tuple[int, int], threading.Thread, list[Any]] | None = None

    def prefetch(self, V: int, d: int) -> None:
        """Start drawing U in a thread, which NumPy's fill of a normal array leaves the GIL to:
        the SymPy import and the first derivation, pure Python, go on meanwhile on another
        core. The numbers are the same; start() waits for them."""
        box: list[Any] = []

        def draw() -> None:
            try:
                box.append(self._draw(V, d))
            except BaseException as exc:  # noqa: BLE001 -- raised where U is asked for
                box.append(exc)
        thread = threading.Thread(target=draw, name="derive verify: U", daemon=True)
        thread.start()
        self._early = ((V, d), thread, box)

    def _draw(self, V: int, d: int) -> _First:
        rng = np.random.default_rng(self.seed)
        U = rng.normal(size=(V, d))
        return U, rng.bit_generator.state

    def start(self, V: int, d: int) -> tuple[np.random.Generator, np.ndarray]:
        """(the problem's generator after its first draw, U)."""
        if self._first is None or self._first[0].shape != (V, d):
            self._first = None  # the old U goes before the new one is drawn
            early, self._early = self._early, None
            if early is not None:
                early[1].join()
                found = early[2][0] if early[0] == (V, d) else None
                del early
                if isinstance(found, BaseException):
                    raise found
            else:
                found = None
            self._first = found if found is not None else self._draw(V, d)
        U, state = self._first
        rng = np.random.default_rng(self.seed)
        rng.bit_generator.state = state
        return rng, U


def early(names: Sequence[str], seed: int, V: int, d: int) -> Draws:
    """A run's draws, U already being drawn when the run will need a large one (any problem
    but the scalar ones): for the command line, before it imports the checks (and SymPy)."""
    draws = Draws(seed)
    if V >= 1 and d >= 1 and V * d >= EARLY and (not names or set(names) - set(SCALAR)):
        draws.prefetch(V, d)
    return draws
