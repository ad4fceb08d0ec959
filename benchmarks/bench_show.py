"""`derive show LOSS.tex` as a whole process, for every loss file of the corpus (issue #19's goal:
under 1.5 s cold), first time and again.

Run: python benchmarks/bench_show.py [--repeat 3] [FILES...]   (default: tests/data/losses/*.tex)
For each file, the wall time of a fresh process that derives it with every step checked
(DERIVE_SHOW_CACHE=off: no report stored before), and of one that prints the report a first run
stored. References measured in the same run, rotated with the files so that the machine's load hits
all alike: a process that only imports SymPy and NumPy (the floor of any first derivation: SymPy
alone is most of it) and one that starts Python and does nothing.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
# The import reference ends as derive's program does (cli.run: os._exit, no teardown of
# SymPy's objects), so that it is the floor of a first show and not 0.3 s above it.
REFERENCES = {"python": ["-c", "pass"],
              "import sympy, numpy": ["-c", "import os, sympy, numpy, sympy.tensor.tensor; "
                                            "os._exit(0)"]}


def wall(args: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    run = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {run.returncode}: {run.stderr[-400:]}")
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = args.files or sorted((ROOT / "tests" / "data" / "losses").glob("*.tex"))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DERIVE_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
        fresh = {**env, "DERIVE_SHOW_CACHE": "off"}
        refs: dict[str, list[float]] = {k: [] for k in REFERENCES}
        first: dict[Path, list[float]] = {f: [] for f in files}
        again: dict[Path, list[float]] = {f: [] for f in files}
        for f in files:  # a stored report for each, and the kernel cache warm
            wall(["-m", "derive", "show", str(f)], env)
        for _ in range(args.repeat):
            for f in files:
                for name, argv in REFERENCES.items():
                    refs[name].append(wall(argv, env))
                first[f].append(wall(["-m", "derive", "show", str(f)], fresh))
                again[f].append(wall(["-m", "derive", "show", str(f)], env))
    load = os.getloadavg()[0]
    ref = {k: statistics.median(v) for k, v in refs.items()}
    print(f"load average {load:.2f}; medians of {args.repeat}; "
          + ", ".join(f"{k}: {v:.2f} s" for k, v in ref.items()))
    print(f"{'file':28} {'first s':>8} {'again s':>8} {'first / import':>15}")
    for f in files:
        a, b = statistics.median(first[f]), statistics.median(again[f])
        print(f"{f.name:28} {a:8.2f} {b:8.2f} {a / ref['import sympy, numpy']:15.2f}")
    firsts = [statistics.median(v) for v in first.values()]
    agains = [statistics.median(v) for v in again.values()]
    print(f"{'all files':28} {statistics.median(firsts):8.2f} {statistics.median(agains):8.2f}"
          f"   (max {max(firsts):.2f} first, {max(agains):.2f} again)")


if __name__ == "__main__":
    main()
