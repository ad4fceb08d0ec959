"""Directional differences of a loss that reads a large U only through products w @ U, taken
from those products: NumPy only, like differences.py.

Naive softmax's J and skip-gram's read U (handout layout, d×V; a (V, d) rows array x passed as
x.T) only as the logits v_c @ U. Moving U to U ± c·q (q a direction's int8 entries, c a power
of two) changes a product to w @ U ± c·(w @ q), by linearity: so the product with x is made once,
the product with each direction once, and every difference is taken from them, where moving x
in place costs two passes over it a direction and each J one more (a 3-row batch about three).
That the loss reads U in no other way is not assumed: U is passed as an object (`Moved`) that
answers `w @ U` alone. NumPy defers that product to it and refuses it every ufunc, its
__array__ raises, and it has no indexing or arithmetic, so a J that reads U otherwise raises
TypeError, and the caller (gradcheck.numeric_directional_many) moves x instead.

A loss that reads a small x (v_c, a batch's V_c) at a fixed U is taken the same way in the
other direction (`stacked`): J is first called at each moved point with U's products
recorded and not made (zeros), then the recorded rows are multiplied by U in one product, and
J is called again at each point, reading them: one pass over U for the 2·k points rather than
one a point.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .differences import CHUNK, Direction

_Key = tuple[tuple[int, ...], bytes]


def _key(w: np.ndarray) -> _Key:
    return w.shape, np.ascontiguousarray(w).tobytes()


def _rows(w: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(w).reshape(-1, w.shape[-1])


class Products:
    """A (V, d) float64 x and directions of its shape, with every product w @ x.T (and
    w @ q.T) kept by w's value: J's reads of the same w at another point are found again."""

    def __init__(self, x: np.ndarray, qs: list[np.ndarray] | None = None) -> None:
        self.x, self.qs = np.ascontiguousarray(x, dtype=np.float64), qs or []
        self._of: dict[_Key, np.ndarray] = {}
        self._along: dict[tuple[int, _Key], np.ndarray] = {}
        self.record: list[np.ndarray] | None = None  # rows asked for while recording

    def of(self, w: np.ndarray) -> np.ndarray:
        """w @ x.T, for w of shape (d,) or (m, d); zeros while recording (`fill` makes it)."""
        key = _key(w)
        if key not in self._of:
            if self.record is not None:
                self.record.append(w.copy())
                return np.broadcast_to(0.0, (*w.shape[:-1], self.x.shape[0]))
            self._of[key] = self._shaped(w, _rows(w) @ self.x.T)
        return self._of[key]

    def fill(self, ws: list[np.ndarray]) -> None:
        """w @ x.T for every w given, made in one product (one pass over x)."""
        if not ws:
            return
        # W @ x.T rather than (x @ W.T).T: the same product, but OpenBLAS's tall-skinny path
        # for the latter takes 50 MB of working memory at V·d = 15 million.
        made, at = np.concatenate([_rows(w) for w in ws]) @ self.x.T, 0
        for w in ws:
            m = len(_rows(w))
            self._of.setdefault(_key(w), self._shaped(w, made[at:at + m]))
            at += m

    def _shaped(self, w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return rows.reshape(*w.shape[:-1], self.x.shape[0])

    def along(self, w: np.ndarray, t: int) -> np.ndarray:
        """w @ q_t.T in float64, for every w asked of `of` so far at once: each direction's
        int8 rows are cast a block at a time (no float64 copy of q) and read once."""
        key = _key(w)
        if (t, key) not in self._along:
            seen = [(k, self._as_rows(k)) for k in self._of]
            if key not in self._of:
                seen.append((key, _rows(w)))
            W = np.concatenate([rows for _, rows in seen]).T  # (d, m)
            q, out = self.qs[t], np.empty((self.x.shape[0], W.shape[1]))
            step = max(1, CHUNK // max(1, q.shape[1]))
            block = np.empty((step, q.shape[1]))
            for a in range(0, q.shape[0], step):
                m = min(step, q.shape[0] - a)
                np.copyto(block[:m], q[a:a + m])
                np.matmul(block[:m], W, out=out[a:a + m])
            at = 0
            for k, rows in seen:
                part = out[:, at:at + len(rows)].T
                self._along[(t, k)] = part.reshape(*k[0][:-1], self.x.shape[0])
                at += len(rows)
        return self._along[(t, key)]

    @staticmethod
    def _as_rows(key: _Key) -> np.ndarray:
        shape, data = key
        return np.frombuffer(data, dtype=np.float64).reshape(-1, shape[-1])

    def clear(self) -> None:
        self._of.clear()
        self._along.clear()


class Moved:
    """x + c·q_t (x itself for t None), as a loss that reads it only through products sees it;
    `.T` is the handout's layout (d×V), which the losses take."""
    __array_ufunc__ = None  # NumPy defers `w @ moved.T` to __rmatmul__, refuses ufuncs

    def __init__(self, products: Products, t: int | None = None, c: float = 0.0,
                 handout: bool = False) -> None:
        self.products, self.t, self.c, self.handout = products, t, c, handout
        V, d = products.x.shape
        self.shape = (d, V) if handout else (V, d)
        self.ndim = 2

    @property
    def T(self) -> Moved:
        return Moved(self.products, self.t, self.c, not self.handout)

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError("a moved U is read only as w @ U")  # np.asarray, np.sum, … refuse it

    def __rmatmul__(self, w: Any) -> np.ndarray:
        w = np.asarray(w)
        if not self.handout or w.dtype != np.float64 or w.ndim not in (1, 2) \
                or w.shape[-1] != self.shape[0]:
            raise TypeError("a moved U is read only as w @ U, w float64 of U's height")
        base = self.products.of(w)
        if self.t is None or self.products.record is not None:
            return base
        return base + self.c * self.products.along(w, self.t)


def directional(f: Callable[[Any], Any], products: Products, rs: list[Direction], *,
                h: float) -> np.ndarray:
    """differences.directional of f at products.x along rs (products.qs are rs' q), from the
    products alone: x is not moved. Raises TypeError when f reads x other than as w @ x.T."""
    f(Moved(products))  # at x: the products f reads, made before the directions' are
    out: np.ndarray | None = None
    for t, r in enumerate(rs):
        c = 2.0 ** round(math.log2(h / r.norm))  # the step differences.directional takes
        plus, minus = f(Moved(products, t, c)), f(Moved(products, t, -c))
        if out is None:
            out = np.empty((len(rs), *np.shape(plus)))
        out[t] = (np.asarray(plus) - minus) / (2 * c * r.norm)
    return out if out is not None else np.empty(0)


def stacked(f: Callable[[np.ndarray], Any], x: np.ndarray, rs: list[Direction],
            products: Products, *, h: float) -> np.ndarray:
    """differences.directional of f at a small x, f reading a fixed U as Moved(products):
    every point's products with U made in one product (see the module's note), then dropped."""
    x = np.asarray(x, dtype=np.float64)
    steps = [(2.0 ** round(math.log2(h / r.norm)), r) for r in rs]
    points = [(x + c * r.q, x - c * r.q) for c, r in steps]  # the points directional moves to
    products.record = []
    try:
        for plus, minus in points:
            f(plus)
            f(minus)
        recorded = products.record
    finally:
        products.record = None
    try:
        products.fill(recorded)
        out: np.ndarray | None = None
        for t, ((c, r), (plus, minus)) in enumerate(zip(steps, points, strict=True)):
            high, low = f(plus), f(minus)
            if out is None:
                out = np.empty((len(rs), *np.shape(high)))
            out[t] = (np.asarray(high) - low) / (2 * c * r.norm)
    finally:
        products.clear()
    return out if out is not None else np.empty(0)
