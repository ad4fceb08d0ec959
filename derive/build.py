"""`derive build` and `derive handout`: every output made in memory first, then written.

Nothing is written until everything has succeeded — derivations verified, checks passed, handouts
rendered and compiled — and then each file goes in by a rename, so a failed build leaves the
previous outputs as they were.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import verify
from .codegen import cache
from .errors import BuildError, HandoutError, TexError
from .files import write_atomic
from .render import handout, tex

# A fixed seed, so the same sources give the same verification.json, byte for byte.
BUILD_SEED = 224


@dataclass
class Outputs:
    """Files to write (name → bytes) and notes for the summary."""

    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def write(self, folder: Path) -> list[Path]:
        written = []
        for name, data in self.files.items():
            path = folder / name
            write_atomic(path, data)
            written.append(path)
        return written


def handouts(kinds: Iterable[str], *, pdf: bool | None = None, templates: Path | None = None,
             title: str = handout.DEFAULT_TITLE, course: str = handout.DEFAULT_COURSE,
             derivations: dict | None = None) -> Outputs:
    """The .tex of each handout kind, and its PDF when `pdf` (None: when TeX is installed)."""
    if templates is not None and not templates.is_dir():
        raise ValueError(f"--templates {templates}: no such folder")
    engine = tex.find_engine()
    if pdf and not engine.available:
        raise ValueError("--pdf needs a TeX engine (pdflatex); on Debian/Ubuntu install: "
                         f"apt-get install {' '.join(tex.DEBIAN_PACKAGES)}")
    try:
        ctx = handout.context(derivations or handout.derivations(), title=title, course=course)
        env = handout.environment(templates)
        sources = {kind: handout.render(kind, ctx, env) for kind in kinds}
    except HandoutError as exc:
        raise BuildError(str(exc)) from None
    out = Outputs({f"{kind}.tex": src.encode() for kind, src in sources.items()})
    if pdf is False:
        return out
    if not engine.available:
        out.notes.append("no TeX engine found, so no PDF: on Debian/Ubuntu, "
                         f"apt-get install {' '.join(tex.DEBIAN_PACKAGES)}")
        return out
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {kind: pool.submit(tex.compile_pdf, src, engine=engine)
                   for kind, src in sources.items()}
        for kind, future in futures.items():
            try:
                out.files[f"{kind}.pdf"] = future.result()
            except TexError as exc:
                raise BuildError(f"TeX failed on {kind}.tex:\n{exc.excerpt}") from None
    return out


def build(*, pdf: bool | None = None) -> Outputs:
    """The main job: derive and verify every problem, export the kernels, typeset both handouts.
    Each problem is derived once, and the kernels and checks reuse those derivations."""
    try:
        derivations = handout.derivations()
    except HandoutError as exc:
        raise BuildError(str(exc)) from None
    # Stored in the kernel cache when it is cold, so the checks' kernels are these derivations'.
    kernels_source = cache.cached_source(derivations)
    report = verify.verify([], seed=BUILD_SEED, derivations=derivations)
    if not report.passed:
        raise BuildError("verification failed; nothing written:\n" + verify.table(report))
    out = handouts(handout.KINDS, pdf=pdf, derivations=derivations)
    out.files["kernels.py"] = kernels_source.encode()
    out.files["verification.json"] = (json.dumps(report.as_json(), indent=2) + "\n").encode()
    checks = len(report.checks)
    problems = "1 problem" if len(derivations) == 1 else f"{len(derivations)} problems"
    out.notes.insert(0, f"{problems} derived and typeset; all {checks} verification checks "
                        f"passed (seed {BUILD_SEED})")
    return out
