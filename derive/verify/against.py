"""`derive verify --against FILE`: someone's own word2vec.py, checked function by function.

The file runs in a child process (`sandbox`, `runner`) with a time and a memory limit on every
call, so exit(), an endless loop or a huge allocation is a verdict, not the end of derive. Each of
`sigmoid`, `naiveSoftmaxLossAndGradient`, `negSamplingLossAndGradient` and `skipgram` is called
with the course starter code's signature and gets one verdict a checked value: pass; FAIL (with
the likely cause, `diagnose`); raised (type, message, line in the file); wrong shape; missing;
unfinished (nothing between YOUR CODE HERE and END YOUR CODE). Only a file that cannot be used
at all (does not import, defines none of the four) raises `UnusableModule`, for exit 2.

Nothing is left to luck: the dataset's draws are scripted (`point.py`) so that every check sees
a sample drawn twice, the outside word drawn (and drawn again, as getNegativeSamples does) and a
window with a repeated word and the centre word in it, whatever the seed.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from pathlib import Path

from . import skipgram_checks
from .judge import Judge, Stop, check_sigmoid, verdict
from .loss_checks import check_loss
from .point import Point
from .report import Check, Report
from .sandbox import MEMORY, Sandbox, Unusable

FUNCTIONS = ("sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram")
# `derive verify --against FILE PROBLEM`: the course function for each problem that has one.
BY_PROBLEM = {"sigmoid": "sigmoid", "naive-softmax": "naiveSoftmaxLossAndGradient",
              "neg-sampling": "negSamplingLossAndGradient", "skip-gram": "skipgram"}
UnusableModule = Unusable

CHECKERS: dict[str, Callable[[Judge, str], list[Check]]] = {
    "sigmoid": check_sigmoid,
    "naiveSoftmaxLossAndGradient": check_loss,
    "negSamplingLossAndGradient": check_loss,
    "skipgram": skipgram_checks.check,
}
STUB_START, STUB_END = "YOUR CODE HERE", "END YOUR CODE"


def check_file(path: Path, *, vocab: int = 20, dim: int = 5, seed: int = 0,
               functions: tuple[str, ...] = FUNCTIONS) -> Report:
    """A verdict for every function named (all four unless told). Raises UnusableModule."""
    return check_seeds(path, (seed,), vocab=vocab, dim=dim, functions=functions)[0]


def check_seeds(path: Path, seeds: Sequence[int], *, vocab: int = 20, dim: int = 5,
                functions: tuple[str, ...] = FUNCTIONS) -> list[Report]:
    """One Report a seed, with one child process for them all."""
    unknown = [f for f in functions if f not in FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown function {unknown[0]}; choose from {', '.join(FUNCTIONS)}")
    stubs = unfinished(path)
    reports = []
    # Room for the student's code: 1 GiB, or twenty copies of U when that is more.
    with Sandbox(path, memory=max(MEMORY, 20 * 8 * vocab * dim)) as box:
        if not any(name in box.functions for name in FUNCTIONS):
            raise Unusable(f"{path} defines none of {', '.join(FUNCTIONS)}: nothing to check")
        for seed in seeds:
            judge = Judge(box, path.name, Point.make(vocab, dim, seed))
            checks: list[Check] = []
            for name in dict.fromkeys(functions):
                checks += _one(judge, name, defined=name in box.functions, stub=name in stubs)
            reports.append(Report(seed, tuple(checks)))
    return reports


def _one(judge: Judge, name: str, *, defined: bool, stub: bool) -> list[Check]:
    if not defined:
        return [verdict(judge.file, name, "missing", f"{judge.file} does not define {name}")]
    try:
        checks = CHECKERS[name](judge, name)
    except Stop as stop:
        checks = [stop.check]
    if stub and not all(c.passed for c in checks):
        # The starter's body returns names it never set: its NameError is not the news.
        return [verdict(judge.file, name, "unfinished",
                        f"unfinished: nothing between {STUB_START} and {STUB_END}")]
    return checks


def unfinished(path: Path) -> set[str]:
    """The course functions whose every YOUR CODE HERE … END YOUR CODE region holds no code
    (read from the text, nothing run); empty when the file does not parse."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return set()
    lines = source.splitlines()
    out = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS:
            regions = _regions(lines[node.lineno - 1:node.end_lineno])
            if regions and not any(regions):
                out.add(node.name)
    return out


def _regions(lines: list[str]) -> list[bool]:
    """For each marked region, whether it holds a line of code (not blank, not a comment)."""
    regions, inside, code = [], False, False
    for line in lines:
        if STUB_END in line:
            if inside:
                regions.append(code)
            inside = False
        elif STUB_START in line:
            inside, code = True, False
        elif inside and line.strip() and not line.strip().startswith("#"):
            code = True
    return regions
