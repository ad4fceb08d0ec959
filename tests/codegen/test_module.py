"""Every loss of the corpus, exported as a kernel (printed by SymPy) and run: its loss and each
gradient match the hand-written NumPy ones, with both backends; its inputs are validated."""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

from derive.calculus import derive
from derive.calculus.records import Derivation
from derive.calculus.sample import Points
from derive.codegen import module
from derive.steps.lossmath import read_loss
from tests.calculus.corpus.losses import CASES
from tests.calculus.corpus.test_corpus import _arrays

FILES = sorted((Path(__file__).parent.parent / "data" / "losses").glob("*.tex"))
BY_NAME = {c.name: c for c in CASES}


@functools.cache
def derivation(stem: str) -> tuple[Derivation, tuple[str, ...]]:
    """The file's derivation, and its inputs' names as derive show --format json lists them."""
    path = next(f for f in FILES if f.stem == stem)
    lf = read_loss(path.read_text(encoding="utf-8"), stem)
    return derive(lf.loss), tuple(i.name.lstrip("\\") for i in lf.inputs)


def _check_against_hand(stem: str, backend: str) -> None:
    d, names = derivation(stem)
    case = BY_NAME[stem]
    fn = module.compile(d, backend=backend)
    points = Points(d.loss)
    for at in range(len(points.points)):
        values = {k: v for k, v in _arrays(points, at).items() if k in names}
        loss, grads = fn(values)
        np.testing.assert_allclose(float(loss), case.value(values), rtol=1e-9, atol=1e-12)
        assert set(grads) == set(case.grads)
        for name, grad in grads.items():
            want = case.grads[name](values)
            assert np.shape(grad) == want.shape, name
            np.testing.assert_allclose(np.asarray(grad), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("stem", [f.stem for f in FILES])
def test_numpy_kernel_matches_the_hand_gradient(stem: str) -> None:
    _check_against_hand(stem, "numpy")


def _jax():  # type: ignore[no-untyped-def]
    """jax with x64 on; the test skips only where jax is not installed and CI is not set."""
    try:
        import jax
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("jax is not installed (pip install 'derive[jax]')")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.mark.parametrize("stem", [f.stem for f in FILES])
def test_jax_kernel_under_jit_matches_numpy_and_the_hand_gradient(stem: str) -> None:
    jax = _jax()
    _check_against_hand(stem, "jax")
    d, names = derivation(stem)
    jitted = jax.jit(module.compile(d, backend="jax"))
    reference = module.compile(d)
    points = Points(d.loss)
    values = {k: v for k, v in _arrays(points, 0).items() if k in names}
    loss, grads = jitted(values)
    want_loss, want = reference(values)
    np.testing.assert_allclose(float(loss), want_loss, rtol=1e-6)
    for name, grad in want.items():
        np.testing.assert_allclose(np.asarray(grads[name]), grad, rtol=1e-6, atol=1e-12)
