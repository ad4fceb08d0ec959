"""Time negative sampling (K = 10) against naive softmax at V = 50 000, and against a hand-written
NumPy negative-sampling reference, in one run: one centre word, then batches of B words.

Run: python benchmarks/bench_neg_sampling.py [--repeat N]
Pairs are timed alternately so machine noise hits both alike; medians are printed with ratios.
Negative sampling writes a dense (V, d) grad_U, as the course's function returns one: its cost is
then the zeroing of that array, not the K + 1 dot products. "rows only" times the derived kernel
itself (the K + 1 rows' gradients, before they are scattered into grad_U).
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from derive import kernels


def numpy_reference(v: np.ndarray, o: int, U: np.ndarray, neg: np.ndarray):
    """Hand-written negative sampling, U as rows: σ via tanh, log σ via logaddexp."""
    u_o, u_k = U[o], U[neg]
    s_o = 0.5 * (1 + np.tanh(0.5 * (u_o @ v)))
    s_k = 0.5 * (1 + np.tanh(0.5 * (u_k @ v)))
    loss = np.logaddexp(0, -(u_o @ v)) + np.logaddexp(0, u_k @ v).sum()
    grad_U = np.zeros(U.shape, U.dtype)  # as the kernel: pages the OS zeroes when first touched
    grad_U[o] -= (1 - s_o) * v
    np.add.at(grad_U, neg, np.outer(s_k, v))
    return loss, -(1 - s_o) * u_o + s_k @ u_k, grad_U


def numpy_batch_reference(V_c: np.ndarray, o: np.ndarray, U: np.ndarray, neg: np.ndarray):
    """Hand-written batched negative sampling: V_c (B, d), o (B,), neg (B, K); loss summed."""
    d_o = np.einsum("bi,bi->b", U[o], V_c)
    U_k = U[neg]                                   # (B, K, d)
    d_k = np.einsum("bki,bi->bk", U_k, V_c)
    s_o, s_k = 0.5 * (1 + np.tanh(0.5 * d_o)), 0.5 * (1 + np.tanh(0.5 * d_k))
    loss = np.logaddexp(0, -d_o).sum() + np.logaddexp(0, d_k).sum()
    grad_V = -(1 - s_o)[:, None] * U[o] + np.einsum("bk,bki->bi", s_k, U_k)
    grad_U = np.zeros(U.shape, U.dtype)  # as the kernel: pages the OS zeroes when first touched
    np.add.at(grad_U, o, -(1 - s_o)[:, None] * V_c)
    np.add.at(grad_U, neg.ravel(), (s_k[:, :, None] * V_c[:, None, :]).reshape(-1, U.shape[1]))
    return loss, grad_V, grad_U


def timed_pair(a: Callable[[], object], b: Callable[[], object], repeat: int
               ) -> tuple[float, float]:
    ta, tb = [], []
    for _ in range(repeat):
        for f, out in ((a, ta), (b, tb)):
            start = time.perf_counter()
            f()
            out.append(time.perf_counter() - start)
    return statistics.median(ta), statistics.median(tb)


def row(V: int, d: int, dtype: type, rng: np.random.Generator, repeat: int) -> str:
    kernel = kernels._ns["_neg_sampling_kernel"]
    U = rng.normal(size=(V, d)).astype(dtype)
    v = rng.normal(size=d).astype(dtype)
    o, neg = 7, rng.integers(V, size=10)
    ours, ref = timed_pair(lambda: kernels.neg_sampling(v, o, U, neg),
                           lambda: numpy_reference(v, o, U, neg), repeat)
    naive, _ = timed_pair(lambda: kernels.naive_softmax(v, o, U), lambda: None, repeat)
    rows, _ = timed_pair(lambda: kernel(v[None, :, None], U[o][None, :, None], U[neg].T[None]),
                         lambda: None, repeat)
    return (f"{V:>6} {d:>4} {np.dtype(dtype).name:8} {ours * 1e3:>10.3f} ms "
            f"{ref * 1e3:>7.3f} ms {ours / ref:>6.2f} {naive * 1e3:>11.3f} ms "
            f"{naive / ours:>9.1f} {rows * 1e6:>7.1f} µs {naive / rows:>10.0f}")


def batch_row(V: int, d: int, B: int, dtype: type, rng: np.random.Generator, repeat: int) -> str:
    U = rng.normal(size=(V, d)).astype(dtype)
    V_c = rng.normal(size=(B, d)).astype(dtype)
    o, neg = rng.integers(V, size=B), rng.integers(V, size=(B, 10))
    ours, ref = timed_pair(lambda: kernels.neg_sampling_batch(V_c, o, U, neg),
                           lambda: numpy_batch_reference(V_c, o, U, neg), repeat)
    naive, _ = timed_pair(lambda: kernels.naive_softmax_batch(V_c, o, U), lambda: None, repeat)
    return (f"{V:>6} {d:>4} {B:>4} {np.dtype(dtype).name:8} {ours * 1e3:>12.3f} ms "
            f"{ref * 1e3:>7.3f} ms {ours / ref:>6.2f} {naive * 1e3:>11.3f} ms {naive / ours:>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'V':>6} {'d':>4} {'dtype':8} {'neg_sampling':>13} {'reference':>10} {'ratio':>6} "
          f"{'naive_softmax':>14} {'naive/neg':>9} {'rows only':>10} {'naive/rows':>10}")
    for V, d in ((10_000, 100), (50_000, 300)):
        for dtype in (np.float32, np.float64):
            print(row(V, d, dtype, rng, args.repeat))
    print(f"\n{'V':>6} {'d':>4} {'B':>4} {'dtype':8} {'neg_sampling_batch':>15} {'reference':>10} "
          f"{'ratio':>6} {'naive_batch':>14} {'naive/neg':>9}")
    for V, d in ((10_000, 100), (50_000, 300)):
        for B in (64, 512):
            for dtype in (np.float32, np.float64):
                print(batch_row(V, d, B, dtype, rng, args.repeat))


if __name__ == "__main__":
    main()
