"""How long `derive build` and deriving naive softmax take; the derivation does not grow with V, d.

Run: python benchmarks/bench_derive.py
Prints the cold-process times of `derive build`, of `derive --help` and of import + full verified
derivation, then the in-process derivation time with checks off, its results sized at V = d = 10.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

COLD = "import time; t=time.perf_counter(); from derive import problems, engine; " \
       "engine.derive(problems.get('naive-softmax').make_loss()); print(time.perf_counter()-t)"


def cold(args: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def symbolic_time(V: int, d: int, repeat: int = 3) -> float:
    from derive import engine, problems
    from derive import notation as n

    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        derivation = engine.derive(problems.get("naive-softmax").make_loss(), check=False)
        # The matrix forms at a concrete size: what a user of V, d would substitute.
        [g.result.subs({n.V: V, n.d: d}) for g in derivation.gradients]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def build_time(repeat: int = 3) -> float:
    """`derive build` in a cold process, with both PDFs when TeX is installed (target < 15 s)."""
    with tempfile.TemporaryDirectory() as out:
        return cold(["-m", "derive", "build", "-o", out], repeat=repeat)


def main() -> None:
    print(f"derive build (PDFs included), cold process:  {build_time():.3f} s")
    print(f"derive --help, cold process:                 {cold(['-m', 'derive', '--help']):.3f} s")
    print(f"import + verified derivation, cold process:  {cold(['-c', COLD]):.3f} s (wall)")
    # No V = 10⁶ row: V and d never enter derive() (sizes stay symbolic), so its time is this one.
    print(f"derivation (symbolic), V=10, d=10:           {symbolic_time(10, 10):.3f} s")


if __name__ == "__main__":
    main()
