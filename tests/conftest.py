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
