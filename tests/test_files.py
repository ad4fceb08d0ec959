"""Atomic writes: the whole file or the old one, with the mode a new file normally gets."""
from __future__ import annotations

import os
import stat

import pytest

from derive import files


@pytest.fixture
def umask():
    def set_mask(mask: int) -> None:
        os.umask(mask)
    old = os.umask(0o022)
    yield set_mask
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_gets_the_mode_the_umask_gives_new_files(tmp_path, umask, mask, mode):
    umask(mask)
    path = tmp_path / "out" / "solutions.tex"
    files.write_atomic(path, "x")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert path.read_text() == "x"


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "kernels.py"
    path.write_text("old")
    with pytest.raises(TypeError, match=r"^a bytes-like object is required, not 'int'$"):
        files.write_atomic(path, 3)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["kernels.py"]


@pytest.mark.parametrize("name", ["sympy", "numpy"])
def test_a_version_is_read_as_the_distributions_report_it(name: str) -> None:
    from importlib import metadata

    from derive.files import _version

    assert _version(name) == metadata.version(name)
