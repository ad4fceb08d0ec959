"""Shared by the codegen tests: whether derive's compiled loops are there to be tested."""
from __future__ import annotations

import os

import pytest


def require_loops(loops: object) -> None:
    """Skip a test of derive.codegen._loops where it was not built (no C compiler at install);
    under CI, which builds it (pip install -e .), its absence fails instead."""
    if loops is not None:
        return
    if os.environ.get("CI"):
        raise AssertionError("derive.codegen._loops is not built: pip install -e . compiles it")
    pytest.skip("derive.codegen._loops is not built (no C compiler at install)")
