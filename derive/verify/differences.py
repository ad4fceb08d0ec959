"""Central differences of a loss, the numeric half of every gradient check: NumPy only, since the
child process that runs a student's code (runner) uses them and must not import SymPy.

    coordinates  every coordinate of x, each moved by ±h in turn;
    directional  along random directions r, x moved by ±h r in place and put back.

A direction's step is h' = c·‖q‖, with c the power of two nearest h/‖q‖ (so h' is within a factor
√2 of h): its entries s = c·q are exact, so x + s and x − s round only where they are not
representable (an entry smaller than the step, or one crossing a power of two), and x comes back
from x + s − 2s + s unchanged in every other entry and within an ulp or two in those (the + s
and the next direction's + s′ are one pass, adding s + s′, itself exact). That is
what lets a (V, d) x be moved in place: a moved copy would be one more copy of U, and a drift of
1e-16 changes no difference the checks could see.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Entries moved at once: a small buffer, rather than a float64 temporary of x's size.
CHUNK = 1 << 16


def coordinates(f: Callable[[np.ndarray], float], x: np.ndarray, *, h: float) -> np.ndarray:
    """(f(x + h e_i) − f(x − h e_i)) / 2h for every coordinate i, in float64. x (float64, which
    the caller gives as its own copy) is moved one entry at a time and put back."""
    out = np.empty_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        out[idx] = (plus - minus) / (2 * h)
    return out


@dataclass(frozen=True)
class Direction:
    """The unit direction q / ‖q‖; q holds int8 entries in [−128, 127]."""
    q: np.ndarray
    norm: float


def draw(rng: np.random.Generator, shape: tuple[int, ...]) -> Direction:
    while True:  # q = 0 (only likely for a handful of entries) has no direction
        # Raw bytes, each a uniform int8: a quarter of the time of rng.integers at V·d = 15 M.
        # They are rng.bytes(size) — NumPy makes those as these uint32s, little-endian, then
        # copies them twice (tests/verify/test_differences.py holds them equal, state included).
        size = math.prod(shape)
        words = rng.integers(0, 1 << 32, size=(size - 1) // 4 + 1, dtype=np.uint32)
        q = words.astype("<u4", copy=False).view(np.int8)[:size].reshape(shape)
        norm = math.sqrt(float(np.einsum(q, list(range(q.ndim)), q, list(range(q.ndim)), [],
                                         dtype=np.float64)))
        if norm > 0:
            return Direction(q, norm)


def inner(a: np.ndarray, r: Direction) -> float:
    """⟨a, q / ‖q‖⟩ in float64, with no float64 copy of a or q (einsum casts as it goes)."""
    a = np.asarray(a)
    axes = list(range(a.ndim))
    return float(np.einsum(a, axes, r.q, axes, [], dtype=np.float64)) / r.norm


def restricted(r: Direction, rows: np.ndarray) -> Direction:
    """r's rows `rows` alone, with r's norm: the same unit direction, seen by a function that
    reads only those rows of x (moving the rest of x would change nothing it reads)."""
    return Direction(r.q[rows], r.norm)


def inners(a: np.ndarray, rs: list[Direction]) -> np.ndarray:
    """⟨a, q / ‖q‖⟩ for every direction, in float64, reading a once: a block of rows at a time is
    cast to float64 and multiplied by the directions' rows (one matrix-vector product), so no
    float64 copy of a or of q is made, and a strided a (a transpose) is read as it lies."""
    a = np.asarray(a)
    if a.ndim < 2 or a.size < CHUNK:
        return np.array([inner(a, r) for r in rs])
    width = a[0].size
    rows = max(1, CHUNK // width)
    # A C-contiguous float64 a is read where it lies; any other is copied a block at a time.
    direct = a.dtype == np.float64 and a.flags.c_contiguous
    block = np.empty((0 if direct else rows, width))
    qs = np.empty((len(rs), rows, width))
    out = np.zeros(len(rs))
    for start in range(0, a.shape[0], rows):
        m = min(rows, a.shape[0] - start)
        if direct:
            part = a[start:start + m].reshape(-1)
        else:
            np.copyto(block[:m], a[start:start + m].reshape(m, width))
            part = block[:m].reshape(-1)
        # A block of zeros adds exactly +0 (out never holds −0): its directions go unread. A
        # gradient of rows (negative sampling's, the centre vectors') is mostly such blocks.
        if not part.any():
            continue
        for t, r in enumerate(rs):
            np.copyto(qs[t, :m], r.q[start:start + m].reshape(m, width))
        out += qs[:, :m].reshape(len(rs), -1) @ part
    return out / np.array([r.norm for r in rs])


def outer_inners(a: np.ndarray, b: np.ndarray, rs: list[Direction]) -> np.ndarray:
    """⟨a·bᵀ, q / ‖q‖⟩ = aᵀ q b / ‖q‖ for every direction (q of shape (a.size, b.size)), in
    float64, with the matrix a·bᵀ never made: a block of q's rows at a time is cast to float64
    and multiplied by b. A pass over the int8 q alone, where `inners` of the matrix would read
    eight times as many bytes, after writing them."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    rows = max(1, CHUNK // max(1, b.size))
    block = np.empty((min(rows, a.size), b.size))
    out = np.zeros(len(rs))
    for t, r in enumerate(rs):
        q = r.q.reshape(a.size, b.size)
        for start in range(0, a.size, rows):
            m = min(rows, a.size - start)
            np.copyto(block[:m], q[start:start + m])
            out[t] += a[start:start + m] @ (block[:m] @ b)
    return out / np.array([r.norm for r in rs])


def directional(f: Callable[[np.ndarray], float | np.ndarray], x: np.ndarray,
                rs: list[Direction], *, h: float) -> np.ndarray:
    """(f(x + h' r) − f(x − h' r)) / 2h' along each direction r (h' as in the module's note), in
    float64. A C-contiguous float64 x is moved in place and put back, also when f raises. f may
    return an array (several losses of the same x, which then share each move of x): the
    result is (directions, *f's shape)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    flat = x.reshape(-1)
    buffer = np.empty((2, min(CHUNK, flat.size)))
    out: np.ndarray | None = None
    # x is x₀ + c·q for the (q, c) held here: each pass over x that moves it to the next
    # direction also takes the last one's move back (a pass over all of a (V, d) x costs more
    # than the loss), and the pass in `finally` puts x back, also when f raises.
    held: tuple[np.ndarray, float] | None = None
    try:
        for t, r in enumerate(rs):
            c = 2.0 ** round(math.log2(h / r.norm))
            q = r.q.reshape(-1)
            _shift(flat, q, c, buffer, held)
            held = (q, c)
            plus = f(x)
            _shift(flat, q, -2 * c, buffer)
            held = (q, -c)
            minus = f(x)
            if out is None:
                out = np.empty((len(rs), *np.shape(plus)))
            out[t] = (np.asarray(plus) - minus) / (2 * c * r.norm)
    finally:
        if held is not None:
            _shift(flat, held[0], -held[1], buffer)
    return out if out is not None else np.empty(0)


def _shift(flat: np.ndarray, q: np.ndarray, c: float, buffer: np.ndarray,
           undo: tuple[np.ndarray, float] | None = None) -> None:
    """flat += c·q (less c'·q' for undo = (q', c')), a chunk at a time in `buffer`'s two rows.
    c·q and c'·q' are int8s times powers of two, and so exact, as is their difference."""
    size = buffer.shape[1]
    for a in range(0, flat.size, size):
        part = flat[a:a + size]
        step = np.multiply(q[a:a + size], c, out=buffer[0, :part.size])
        if undo is not None:
            step -= np.multiply(undo[0][a:a + size], undo[1], out=buffer[1, :part.size])
        part += step
