"""`derive verify --against FILE`: someone's own word2vec.py, checked function by function.

The file is imported, so the code in it runs. Each of `sigmoid`, `naiveSoftmaxLossAndGradient`,
`negSamplingLossAndGradient` and `skipgram` that it defines is called with the course starter
code's signature at a random point, and its gradients are compared with central differences of
its own loss and with derive's functions (`derive.cs224n`) on the same inputs. Random state
(Python's and NumPy's) is restored before every call, as the course's gradcheck does, so negative
sampling draws the same samples each time. A wrong gradient is named with its worst entry and,
when the difference has a recognisable shape (sign, scale, transpose, a missing derived term, a
shifted or swapped row), the likely cause.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .. import cs224n
from . import gradcheck
from .diagnose import derived_terms, explain
from .report import Check, Report

FUNCTIONS = ("sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram")
GRADIENT_NAMES = ("gradCenterVec", "gradOutsideVecs")
SKIPGRAM_NAMES = ("gradCenterVecs", "gradOutsideVectors")


class UnusableModule(ValueError):
    """The file cannot be checked: it does not import, defines none of the functions, or a function
    raises or returns something other than the course's (loss, gradient, gradient)."""


class Dataset:
    """The course's dummy dataset: uniform samples over V words, random contexts."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens

    def sampleTokenIdx(self) -> int:  # the course's name
        return random.randint(0, len(self.tokens) - 1)

    def getRandomContext(self, C: int) -> tuple[str, list[str]]:
        tokens = self.tokens
        return (tokens[random.randint(0, len(tokens) - 1)],
                [tokens[random.randint(0, len(tokens) - 1)] for _ in range(2 * C)])


def load(path: Path) -> ModuleType:
    """Import the file at `path` (its folder first on sys.path, for its own imports)."""
    if not path.is_file():
        raise UnusableModule(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"_derive_against_{abs(hash(path))}", path)
    if spec is None or spec.loader is None:
        raise UnusableModule(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise UnusableModule(f"{path}, line {exc.lineno}: syntax error: {exc.msg}") from None
    except (Exception, SystemExit) as exc:
        raise UnusableModule(f"{path} raised {_where(exc, path)} when imported") from None
    finally:
        sys.path.remove(str(path.parent.resolve()))
    if not any(callable(getattr(module, name, None)) for name in FUNCTIONS):
        raise UnusableModule(f"{path} defines none of {', '.join(FUNCTIONS)}: nothing to check")
    return module


def _where(exc: BaseException, path: Path) -> str:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__)
             if Path(f.filename).resolve() == path.resolve()]
    at = f" at line {lines[-1]}" if lines else ""
    return f"{type(exc).__name__}: {exc}{at}"


def check_file(path: Path, *, vocab: int = 20, dim: int = 5, seed: int = 0) -> Report:
    """Every course function the file defines, checked. Raises UnusableModule for exit 2."""
    module = load(path)
    rng = np.random.default_rng(seed)
    point = _Point(rng.normal(size=(vocab, dim)), rng.normal(size=dim), int(rng.integers(vocab)),
                   seed)
    checks: list[Check] = []
    for name in FUNCTIONS:
        fn = getattr(module, name, None)
        if callable(fn):
            checks += _CHECKERS[name](path.name, name, fn, point)
    return Report(seed, tuple(checks))


class _Point:
    def __init__(self, U: np.ndarray, v: np.ndarray, o: int, seed: int) -> None:
        self.U, self.v, self.o, self.seed = U, v, o, seed
        self.tokens = [f"w{i}" for i in range(U.shape[0])]
        self.dataset = Dataset(self.tokens)

    @contextlib.contextmanager
    def fixed_random(self) -> Iterator[None]:
        """The same Python and NumPy random state for every call, as the course's gradcheck."""
        random.seed(self.seed)
        np.random.seed(self.seed)
        yield


def _call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return fn(*args, **kwargs)
    except Exception as exc:
        raise UnusableModule(f"{name} raised {type(exc).__name__}: {exc}") from None


def _triple(name: str, out: Any) -> tuple[float, np.ndarray, np.ndarray]:
    """(loss, grad, grad) as the course returns them, or a clear error."""
    if not isinstance(out, tuple | list) or len(out) != 3:
        got = type(out).__name__ + (f" of length {len(out)}" if hasattr(out, "__len__") else "")
        raise UnusableModule(f"{name} must return (loss, gradient, gradient); it returned {got}")
    loss = np.asarray(out[0], dtype=float)
    if loss.size != 1:
        raise UnusableModule(f"{name} must return a scalar loss; got shape {loss.shape}")
    return float(loss.reshape(())), np.asarray(out[1], dtype=float), np.asarray(out[2], dtype=float)


def _gradient_checks(file: str, name: str, wrt: str, user: np.ndarray, x: np.ndarray,
                     loss: Callable[[np.ndarray], float], ours: np.ndarray | None,
                     terms: list[tuple[str, np.ndarray]], o: int | None,
                     U: np.ndarray | None = None) -> list[Check]:
    if user.shape not in (x.shape, x.T.shape) or user.ndim != x.ndim:
        raise UnusableModule(f"{name}: {wrt} has shape {user.shape}; expected {x.shape}")
    tol = gradcheck.tolerance(np.float64, max(x.shape))
    numeric = gradcheck.numeric_gradient(loss, x)
    refs = [("vs finite differences", numeric)]
    if ours is not None:
        refs.append(("vs derive", ours))
    checks = []
    for label, ref in refs:
        if user.shape != ref.shape:
            cause = explain(user, ref, terms=terms, o=o, U=U)
            checks.append(Check(f"{file} {label}", name, wrt, "coordinate", float("inf"), tol,
                                False, None, cause))
            continue
        err, worst = _worst(user, ref)
        r = gradcheck.Result("coordinate" if ref is numeric else "exact", err, tol, worst)
        cause = None if r.passed else explain(user, ref, terms=terms, o=o, U=U)
        checks.append(Check(f"{file} {label}", name, wrt, r.mode, r.max_rel_error, tol, r.passed,
                            r.worst_index, cause))
    return checks


def _worst(a: np.ndarray, b: np.ndarray) -> tuple[float, tuple[int, ...] | None]:
    err = gradcheck.relative_error(a, b)
    if err.size == 0:
        return 0.0, None
    idx = np.unravel_index(int(np.nanargmax(np.where(np.isnan(err), np.inf, err))), err.shape)
    return float(err[idx]) if not np.isnan(err[idx]) else float("nan"), tuple(int(i) for i in idx)


def _check_sigmoid(file: str, name: str, fn: Callable[..., Any], p: _Point) -> list[Check]:
    x = np.concatenate([np.linspace(-30, 30, 61), [-1000.0, 1000.0], p.v])
    with np.errstate(all="ignore"):
        got = np.asarray(_call(name, fn, x.copy()), dtype=float)
    if got.shape != x.shape:
        raise UnusableModule(f"sigmoid returned shape {got.shape} for input shape {x.shape}")
    ours = cs224n.sigmoid(x)
    err, worst = _worst(got, ours)
    tol = gradcheck.TOL64
    cause = None
    if not err <= tol:
        cause = explain(got, ours, terms=[("σ(−x)", cs224n.sigmoid(-x))])
    return [Check(f"{file} vs derive", name, "value", "exact", err, tol, bool(err <= tol),
                  worst, cause)]


def _check_loss(file: str, name: str, fn: Callable[..., Any], p: _Point) -> list[Check]:
    """naiveSoftmaxLossAndGradient / negSamplingLossAndGradient (centerWordVec, outsideWordIdx,
    outsideVectors, dataset) → (loss, gradCenterVec, gradOutsideVecs)."""
    def run(v: np.ndarray, U: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        with p.fixed_random():
            return _triple(name, _call(name, fn, v.copy(), p.o, U.copy(), p.dataset))

    loss, gv, gU = run(p.v, p.U)
    reference = getattr(cs224n, name, None)
    ours_v = ours_U = None
    checks = []
    if reference is not None:
        with p.fixed_random():
            ours_loss, ours_v, ours_U = reference(p.v.copy(), p.o, p.U.copy(), p.dataset)
        err, _ = _worst(np.array(loss), np.array(ours_loss))
        checks.append(Check(f"{file} vs derive", name, "loss", "exact", err,
                            gradcheck.TOL64, bool(err <= gradcheck.TOL64), None))
    problem = "naive-softmax" if name.startswith("naive") else "neg-sampling"
    terms = derived_terms(problem, p.U, p.v, p.o)
    by_v = _gradient_checks(file, name, GRADIENT_NAMES[0], gv, p.v,
                            lambda x: run(x, p.U)[0], ours_v, terms.get("v_c", []), p.o, p.U)
    by_U = _gradient_checks(file, name, GRADIENT_NAMES[1], gU, p.U,
                            lambda x: run(p.v, x)[0], ours_U, terms.get("U", []), p.o)
    return checks + by_v + by_U


def _check_skipgram(file: str, name: str, fn: Callable[..., Any], p: _Point) -> list[Check]:
    """skipgram(currentCenterWord, windowSize, outsideWords, word2Ind, centerWordVectors,
    outsideVectors, dataset, word2vecLossAndGradient) with derive's naive softmax inside, so that
    only the window sum is under test."""
    word2ind = {t: i for i, t in enumerate(p.tokens)}
    rng = np.random.default_rng(p.seed + 1)
    centre = p.tokens[int(rng.integers(len(p.tokens)))]
    outside = [p.tokens[int(i)] for i in rng.integers(len(p.tokens), size=4)]
    C = rng.normal(size=p.U.shape)

    def run(impl: Callable[..., Any], centres: np.ndarray, U: np.ndarray
            ) -> tuple[float, np.ndarray, np.ndarray]:
        with p.fixed_random():
            out = _call(name, impl, centre, 2, outside, word2ind, centres.copy(), U.copy(),
                        p.dataset, cs224n.naiveSoftmaxLossAndGradient)
        return _triple(name, out)

    _, gC, gU = run(fn, C, p.U)
    reference = getattr(cs224n, "skipgram", None)
    ours = run(reference, C, p.U) if reference is not None else (None, None, None)
    return (_gradient_checks(file, name, SKIPGRAM_NAMES[0], gC, C,
                             lambda x: run(fn, x, p.U)[0], ours[1], [], None)
            + _gradient_checks(file, name, SKIPGRAM_NAMES[1], gU, p.U,
                               lambda x: run(fn, C, x)[0], ours[2], [], None))


_CHECKERS: dict[str, Callable[[str, str, Callable[..., Any], _Point], list[Check]]] = {
    "sigmoid": _check_sigmoid,
    "naiveSoftmaxLossAndGradient": _check_loss,
    "negSamplingLossAndGradient": _check_loss,
    "skipgram": _check_skipgram,
}
