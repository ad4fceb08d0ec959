from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(31415)


@pytest.fixture(scope="session")
def naive():
    from derive import engine, problems

    return engine.derive(problems.get("naive-softmax").make_loss())


@pytest.fixture(autouse=True)
def _derive_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """`derive show` and `derive verify` derive every time in tests: a stored report or
    derivation is keyed by the source on disk, which cannot see an engine a test has changed in
    memory (tests/render/test_stored.py and tests/verify/test_stored.py turn them back on)."""
    monkeypatch.setenv("DERIVE_SHOW_CACHE", "off")
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "off")
