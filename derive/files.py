"""Where derive writes: output files atomically (a temp file in the same folder, then a rename),
and its cache folder."""
from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from collections.abc import Sequence
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); a handout or kernels.py should get the mode any
        # new file gets, 0666 less the umask, so that course staff can share what was built.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def keep(path: Path, data: str | bytes, newest: int) -> None:
    """Store `data` at `path` in a cache folder, keeping only the `newest` files of its suffix
    there (the oldest go first, so the folder stays small). A cache that cannot be written (a
    read-only home) is skipped: what it would hold is made again next time."""
    try:
        write_atomic(path, data)
        kept = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-newest]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def source_hash(package: Path, patterns: Sequence[str]) -> hashlib._Hash:
    """A hash, still open to more input, of what every cache of derive is keyed by besides its
    own inputs: the versions of SymPy, NumPy and Python, and the files under `package` that
    match `patterns` (their paths and bytes). A changed source misses every cache it feeds."""
    h = hashlib.sha256()
    for name in ("sympy", "numpy"):
        h.update(f"{name} {_version(name)}\0".encode())
    h.update(platform.python_version().encode() + b"\0")
    for pattern in patterns:
        for path in sorted(package.glob(pattern)):
            h.update(path.relative_to(package).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h


def _version(name: str) -> str:
    """An installed distribution's version, from its dist-info folder's name beside the package:
    without importing it (a stored report is shown without SymPy) and without importlib.metadata,
    whose import and scan of every distribution cost 0.07 s of each derive command."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin is not None:
        folders = sorted(Path(spec.origin).parent.parent.glob(f"{name}-*.dist-info"))
        if len(folders) == 1:
            return folders[0].name[len(name) + 1:-len(".dist-info")]
    from importlib import metadata  # an unusual install: ask the distributions

    return metadata.version(name)


def cache_dir() -> Path:
    """$DERIVE_CACHE_DIR, else $XDG_CACHE_HOME/derive, else ~/.cache/derive."""
    if "DERIVE_CACHE_DIR" in os.environ:
        return Path(os.environ["DERIVE_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "derive"
