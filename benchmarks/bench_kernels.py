"""Time the derived kernels against a hand-written NumPy reference (and PyTorch, JAX if installed:
jax.value_and_grad of the loss written by hand beside derive's own exported jax kernel).

Run: python benchmarks/bench_kernels.py [--quick] [--repeat N] [--numpy-only] [--printed-only]
[--passes] (and --size, --dtype, --batch for targeted rows; see --help)
Pairs are timed alternately (ours, reference, ours, …) so machine noise hits both alike; the table
shows medians, the ratio to the NumPy reference, and the ratio to the memory floor: the bytes that
must move (U read, grad_U written) over the bandwidth of a plain np.copyto of U, timed in the same
rotation. A second table times the kernels derive prints for loss files (derive.compile: the
shipped derive/steps/losses and some of tests/data/losses) against hand NumPy (hand_losses.py),
each checked equal to its reference first. Install the optional baselines with
`pip install torch==2.13.0 jax jaxlib`; with them in the run every call waits 20 ms first, so
their spinning thread pools are idle when it starts.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from hand_losses import CASES, values

import derive
from derive import kernels


def numpy_reference(V_c: np.ndarray, o: np.ndarray, U: np.ndarray):
    """Hand-written stable batched naive softmax, U as rows (V, d)."""
    logits = V_c @ U.T
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    z = e.sum(axis=1, keepdims=True)
    rows = np.arange(len(o))
    loss = (m[:, 0] + np.log(z[:, 0]) - logits[rows, o]).sum()
    delta = e / z
    delta[rows, o] -= 1
    return loss, delta @ U, delta.T @ V_c


def torch_baseline() -> Callable | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)

    def run(V_c, o, U):
        Vt = torch.from_numpy(V_c).requires_grad_()
        Ut = torch.from_numpy(U).requires_grad_()
        loss = torch.nn.functional.cross_entropy(Vt @ Ut.T, torch.from_numpy(o), reduction="sum")
        loss.backward()
        return loss.item(), Vt.grad, Ut.grad
    return run


def jax_baseline() -> Callable | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def loss(V_c, o, U):
        logits = V_c @ U.T
        return (jax.nn.logsumexp(logits, axis=1) - logits[jnp.arange(o.shape[0]), o]).sum()
    f = jax.jit(jax.value_and_grad(loss, argnums=(0, 2)))

    def run(V_c, o, U):
        value, grads = f(V_c, o, U)
        return jax.block_until_ready((value, grads))
    return run


def jax_kernel() -> Callable | None:
    """derive's own jax kernel of the same loss: the shipped naive-softmax loss file exported
    with --backend jax --batch v_c,o, under jax.jit (U is d×V there, as the handout writes it)."""
    try:
        import jax
    except ImportError:
        return None
    from pathlib import Path

    import derive

    jax.config.update("jax_enable_x64", True)
    path = Path(derive.__file__).parent / "steps" / "losses" / "naive-softmax.tex"
    f = jax.jit(derive.compile(path, backend="jax", batch=("v_c", "o")))

    def run(V_c, o, U):
        return jax.block_until_ready(f({"U": U.T, "v_c": V_c, "o": o}))
    return run


def alternate(fns: dict[str, Callable], args: tuple, repeat: int, settle: float = 0.0,
              min_time: float = 0.0, max_rounds: int = 200) -> dict[str, float]:
    """Median time of each fn, called in turn. The order is shuffled every round, so no call
    always follows the same one (JAX frees its outputs on a thread of its own, into the next call;
    rotating the order would keep the same neighbours, only starting elsewhere); and
    `settle` seconds of sleep before each call let the thread pools of PyTorch and JAX, which spin
    for a while after their work, go idle instead of taking the cores from the next call.

    At least `repeat` rounds run, and more (up to `max_rounds`) until every fn has run for
    `min_time` seconds in all: a few-millisecond call needs many samples for a steady median."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(*args)  # warm up (and jit)
    names = list(fns)
    order = random.Random(0)
    r = 0
    while r < repeat or (r < max_rounds and min(map(sum, times.values())) < min_time):
        r += 1
        order.shuffle(names)
        for name in names:
            fn = fns[name]
            time.sleep(settle)
            t = time.perf_counter()
            fn(*args)
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def printed_kernels(quick: bool, repeat: int, min_time: float) -> None:
    """The general printed kernels (float64) beside the hand NumPy of the same loss: the kernel
    is the whole loss_and_gradients, its input checks included, as a user calls it."""
    rng = np.random.default_rng(1)
    sizes = [(10_000, 100)] if quick else [(1_000, 50), (10_000, 100), (50_000, 300)]
    print(f"\n{'printed kernel':24} {'V':>6} {'d':>4} {'derive ms':>10} {'numpy ms':>9} "
          f"{'ratio':>6}")
    for case in CASES:
        kernel = derive.compile(case.path, batch=case.batch)
        names = {row[0] for row in kernel.__globals__["INPUTS"]}
        for V, d in sizes:
            given = {k: v for k, v in values(case, V, d, rng).items() if k in names}
            loss, grads = kernel(given)
            want_loss, want = case.reference(given)
            np.testing.assert_allclose(float(loss), want_loss, rtol=1e-9)
            for name, g in want.items():
                np.testing.assert_allclose(grads[name], g, rtol=1e-8, atol=1e-12)
            t = alternate({"derive": kernel, "numpy": case.reference}, (given,), repeat,
                          min_time=min_time)
            print(f"{case.name:24} {V:>6} {d:>4} {t['derive'] * 1e3:>10.3f} "
                  f"{t['numpy'] * 1e3:>9.3f} {t['derive'] / t['numpy']:>6.2f}", flush=True)
    print("ratio = derive.compile(loss file) / hand NumPy of the same loss, float64.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="V=10k, d=100 only")
    parser.add_argument("--repeat", type=int, default=7, help="at least this many rounds")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="more rounds (up to 200) until each call has run this many seconds")
    parser.add_argument("--numpy-only", action="store_true",
                        help="skip PyTorch and JAX even when installed")
    parser.add_argument("--printed-only", action="store_true",
                        help="only the table of kernels printed for loss files")
    parser.add_argument("--builtin-only", action="store_true",
                        help="only the table of the built-in kernels")
    parser.add_argument("--blas-threads", type=int, default=0,
                        help="run OpenBLAS with this many threads (0: its default, one a core). "
                             "On a machine others load, a threaded product waits for a thread "
                             "the scheduler has put aside, and the single-threaded copy floor "
                             "does not: 1 keeps the floor ratio about the kernel")
    parser.add_argument("--size", action="append", metavar="V,d",
                        help="only this size of U in the built-in table (repeat for more)")
    parser.add_argument("--dtype", choices=["float32", "float64"], action="append",
                        help="only this dtype in the built-in table (repeat for both)")
    parser.add_argument("--batch", type=int, action="append", metavar="B",
                        help="only this batch size in the built-in table (1, 64, 512; repeat)")
    parser.add_argument("--passes", action="store_true",
                        help="for one word, also time a read of U alone (the logits U v_c) and a "
                             "write of U's size alone (a fill of the out= buffer), in floors: "
                             "what a kernel that reads U, then writes grad_U, cannot go below")
    args = parser.parse_args()
    if args.blas_threads and os.environ.get("OPENBLAS_NUM_THREADS") != str(args.blas_threads):
        # OpenBLAS reads its thread count once, when NumPy loads it: start again with it set.
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.blas_threads)
        os.execv(sys.executable, [sys.executable, *sys.argv])
    print(f"# load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; OpenBLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; NumPy {np.__version__}",
          flush=True)
    if args.repeat < 1 or args.min_time < 0:
        parser.error(f"--repeat must be at least 1 and --min-time at least 0; got {args.repeat} "
                     f"and {args.min_time}")
    bad = [size for size in args.size or () if not re.fullmatch(r"[1-9]\d*,[1-9]\d*", size)]
    if bad or any(B < 1 for B in args.batch or ()):
        parser.error(f"--size takes V,d (two positive ints) and --batch a positive int; got "
                     f"{bad[0] if bad else args.batch}")
    if not args.printed_only:
        builtin_kernels(args)
    if not args.builtin_only:
        printed_kernels(args.quick, args.repeat, args.min_time)


def builtin_kernels(args: argparse.Namespace) -> None:
    """The built-in kernels (derive.kernels) beside hand NumPy, the copy floor, PyTorch, JAX."""
    rng = np.random.default_rng(0)
    extra = {} if args.numpy_only else {"torch": torch_baseline(), "jax": jax_baseline(),
                                        "jax kernel": jax_kernel()}
    extra = {k: v for k, v in extra.items() if v is not None}
    both_jax = "jax" in extra and "jax kernel" in extra
    sizes = [(10_000, 100)] if args.quick else [(10_000, 100), (10_000, 300), (50_000, 100),
                                                (50_000, 300)]
    if args.size:  # targeted rows: the table's other rows are not run
        sizes = [tuple(int(x) for x in size.split(",")) for size in args.size]
    print(f"{'dtype':8} {'V':>6} {'d':>4} {'B':>4} {'derive ms':>10} {'numpy ms':>9} "
          f"{'ratio':>6} {'floor×':>7}" + "".join(f" {k + ' ×':>8}" for k in extra)
          + (f" {'jk/vg':>6}" if both_jax else ""))
    for dtype in [np.dtype(t).type for t in args.dtype or ("float32", "float64")]:
        for V, d in sizes:
            U = rng.normal(size=(V, d)).astype(dtype)
            dst = np.empty_like(U)
            for B in args.batch or (1, 64, 512):
                V_c = rng.normal(size=(B, d)).astype(dtype)
                o = rng.integers(V, size=B)
                fns = {"derive": kernels.naive_softmax_batch, "numpy": numpy_reference, **extra,
                       # U read and grad_U written: the bytes np.copyto moves, timed in turn
                       # with the kernels so that noise hits the floor too.
                       "floor": lambda V_c, o, U, dst=dst: np.copyto(dst, U)}
                if B == 1:
                    buf = (np.empty(d, dtype), np.empty_like(U))
                    fns["derive"] = lambda V_c, o, U: kernels.naive_softmax(V_c[0], int(o[0]), U)
                    fns["out="] = lambda V_c, o, U, buf=buf: kernels.naive_softmax(
                        V_c[0], int(o[0]), U, out=buf)
                    if args.passes:  # each alone, in the same rounds, on the same buffers
                        logits = np.empty(V, dtype)
                        fns["read"] = lambda V_c, o, U, s=logits: np.matmul(U, V_c[0], out=s)
                        fns["write"] = lambda V_c, o, U, buf=buf: buf[1].fill(1.0)
                t = alternate(fns, (V_c, o, U), args.repeat, settle=0.02 if extra else 0.0,
                              min_time=args.min_time)
                floor = t["floor"]
                line = (f"{np.dtype(dtype).name:8} {V:>6} {d:>4} {B:>4} {t['derive'] * 1e3:>10.2f} "
                        f"{t['numpy'] * 1e3:>9.2f} {t['derive'] / t['numpy']:>6.2f} "
                        f"{t['derive'] / floor:>7.2f}")
                line += "".join(f" {t[k] / t['derive']:>8.2f}" for k in extra)
                if both_jax:  # derive's jax kernel over jax's own value_and_grad, same run
                    line += f" {t['jax kernel'] / t['jax']:>6.2f}"
                if "out=" in t:
                    line += f"   out=: {t['out='] * 1e3:.2f} ms, {t['out='] / floor:.2f}× floor"
                if "read" in t:
                    line += f"; read {t['read'] / floor:.2f} + write {t['write'] / floor:.2f}"
                print(line, flush=True)
    print("ratio = derive / numpy (≤ 1.00 is the target); floor× = derive / np.copyto(U) time; "
          "torch ×, jax × = their time / derive's (> 1: derive is faster; jax is "
          "jax.value_and_grad of the loss written by hand, jax kernel derive's own jax export of "
          "it, both jitted on CPU; jk/vg = jax kernel / jax, ≤ 1: derive's jax kernel is the "
          "faster); out= reuses "
          "gradient buffers (single word)"
          + ("; read, write (--passes) = U v_c alone and a fill of the out= buffer alone, in "
             "floors." if args.passes else "."))


if __name__ == "__main__":
    main()
