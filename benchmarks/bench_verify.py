"""Wall time and peak memory of the built-in `derive verify` at a large size, as a whole process.

Run: python benchmarks/bench_verify.py [--vocab 50000 --dim 300 --repeat 3], from the checkout
(the children run `python -m derive`, which takes the tree in the working directory).
Runs `derive verify --vocab V --dim d --mode directional` in a child process, float64 and
float32, with a warm kernel cache and a cold one (DERIVE_CACHE_DIR in a fresh temporary folder),
and prints the median wall and CPU (user + system) times and the largest peak RSS (from wait4)
of each, with the 1-minute load average when the row was measured (a figure taken at load 3 on
two cores is not one taken idle; the CPU time moves less). The cold rows start with an empty
cache folder: no kernels, no printed step-check functions (derive.calculus.lambdified), no
kept derivations (derive.verify.stored) and no printed records (derive.verify.compiled), what a
first run after installing costs; one more float64 row has a warm cache but derives and prints
afresh, with SymPy (DERIVE_VERIFY_CACHE=off), to show what the kept records save. References
measured in the same run, since the machine's load moves every absolute figure:
  - U, the bytes of one (V, d) float64 array: the peak is also printed in copies of U;
  - a child that imports NumPy, draws U and copies it once (a floor: two copies of U);
  - a child that only imports what a warm run imports: derive's verify and kernels, NumPy
    (its fixed cost; a warm run loads no SymPy);
  - a child that only imports SymPy (what a run that derives pays besides).
Goal (issue #23): under 2 s and under 500 MB (about 4 copies of U) at V = 50 000, d = 300.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

FLOOR = ("import numpy as np, sys; V, d = int(sys.argv[1]), int(sys.argv[2]); "
         "U = np.random.default_rng(0).normal(size=(V, d)); W = U.copy()")
IMPORTS = "import derive.verify.cases, derive.kernels"
SYMPY = "import sympy"


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds: user + system) of one child process; it must
    exit 0. On a loaded machine the CPU time moves less than the wall time."""
    t = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}: {err[-500:]}")
    # ru_maxrss is in KiB on Linux; MB here
    return wall, usage.ru_maxrss * 1024 / 1e6, usage.ru_utime + usage.ru_stime


def series(argv: list[str], env: dict[str, str], repeat: int, cold: bool = False
           ) -> tuple[float, float, float]:
    walls, peaks, cpus = [], [], []
    for _ in range(repeat):
        run_env = dict(env)
        with tempfile.TemporaryDirectory() as cache:
            if cold:
                run_env["DERIVE_CACHE_DIR"] = cache
            wall, peak, cpu = measure(argv, run_env)
        walls.append(wall)
        peaks.append(peak)
        cpus.append(cpu)
    return statistics.median(walls), max(peaks), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab", type=int, default=50_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    V, d = args.vocab, args.dim
    env = dict(os.environ)
    warm = tempfile.mkdtemp(prefix="derive-bench-cache-")
    env["DERIVE_CACHE_DIR"] = warm
    python = sys.executable
    u_mb = V * d * 8 / 1e6
    # Fills the warm cache: kernels, and (at the default sizes: none of it depends on them) the
    # printed step-check functions, the kept derivations and the printed records.
    measure([python, "-m", "derive", "verify", "--seed", "5"], env)
    floor = series([python, "-c", FLOOR, str(V), str(d)], env, args.repeat)
    imports = series([python, "-c", IMPORTS], env, args.repeat)
    sympy = series([python, "-c", SYMPY], env, args.repeat)
    print(f"V = {V}, d = {d}: U is {u_mb:.0f} MB in float64; medians of {args.repeat} runs")
    print(f"{'run':38s} {'wall s':>7s} {'cpu s':>6s} {'peak MB':>8s} {'copies of U':>12s} "
          f"{'load':>5s}")

    def row(label: str, wall: float, peak: float, cpu: float) -> None:
        print(f"{label:38s} {wall:7.2f} {cpu:6.2f} {peak:8.0f} {peak / u_mb:12.2f} "
              f"{os.getloadavg()[0]:5.2f}")

    row("floor: draw U, copy it once", *floor)
    row("imports only (verify, kernels, NumPy)", *imports)
    row("import SymPy alone", *sympy)
    for dtype in ("float64", "float32"):
        argv = [python, "-m", "derive", "verify", "--vocab", str(V), "--dim", str(d),
                "--mode", "directional", "--seed", "5", "--dtype", dtype]
        runs = [("warm", False, env), ("cold", True, env)]
        if dtype == "float64":
            runs.append(("warm, derived", False, {**env, "DERIVE_VERIFY_CACHE": "off"}))
        for cache, cold, run_env in runs:
            wall, peak, cpu = series(argv, run_env, args.repeat, cold=cold)
            row(f"verify {dtype}, {cache} cache", wall, peak, cpu)
            print(f"{'':38s} {wall / floor[0]:6.1f}× the floor's time, "
                  f"{wall - imports[0]:.2f} s past the imports")


if __name__ == "__main__":
    main()
