"""`derive verify` keeps the derivations it made and uses them again, under a key that any change
of derive's code changes; what depends on the run is still checked at the run's points."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from derive import calculus, problems
from derive.calculus.records import Step
from derive.errors import DerivationError
from derive.verify import cases, derived, stored


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "on")
    return tmp_path / "cache" / "derived"


def _count_derivations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The losses verify derives from here on (not the kernels', which a cold kernel cache
    derives too)."""
    made: list[str] = []
    derive = calculus.derive

    def counted(loss, **kwargs):
        if sys._getframe(1).f_code.co_filename == derived.__file__:
            made.append(loss.name)
        return derive(loss, **kwargs)
    monkeypatch.setattr(calculus, "derive", counted)
    return made


def _run(names: list[str], seed: int = 3) -> dict:
    return cases.verify(names, seed=seed, mode="coordinate").as_json()


def test_a_second_run_derives_nothing_and_reports_the_same(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = _count_derivations(monkeypatch)
    first = _run(["naive-softmax", "skip-gram", "sigmoid"])
    assert made == ["naive-softmax", "skip-gram", "sigmoid"]
    assert len(list(cache.glob("*.pickle"))) == 3
    second = _run(["naive-softmax", "skip-gram", "sigmoid"])
    assert made == ["naive-softmax", "skip-gram", "sigmoid"]  # none derived again
    assert second == first and first["passed"]


def test_another_seed_checks_the_kept_derivation_at_its_own_points(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _run(["naive-softmax"], seed=3)
    made = _count_derivations(monkeypatch)
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "off")
    fresh = _run(["naive-softmax"], seed=4)
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "on")
    kept = _run(["naive-softmax"], seed=4)
    assert made == ["naive-softmax"]  # the fresh run's; the kept one derived nothing
    assert kept == fresh and kept["seed"] == 4


def test_a_changed_source_derives_again(cache: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "package"
    (package / "calculus").mkdir(parents=True)
    rules = package / "calculus" / "rules.py"
    rules.write_text("RULES = 1\n")
    monkeypatch.setattr(stored, "_PACKAGE", package)
    made = _count_derivations(monkeypatch)
    _run(["naive-softmax"])
    _run(["naive-softmax"])
    assert made == ["naive-softmax"]
    rules.write_text("RULES = 2\n")
    stored._source.cache_clear()  # a new process hashes the sources anew
    _run(["naive-softmax"])
    assert made == ["naive-softmax", "naive-softmax"]
    assert len(list(cache.glob("*.pickle"))) == 2


def test_the_off_switch_derives_every_time_and_stores_nothing(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "off")
    made = _count_derivations(monkeypatch)
    _run(["cross-entropy"])
    _run(["cross-entropy"])
    assert made == ["cross-entropy", "cross-entropy"]
    assert not cache.exists()


def test_a_damaged_entry_is_derived_again(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _run(["neg-sampling"])
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"\x80\x05 not a pickle")
    # and its printed record, which a run reads before the derivation (test_compiled.py)
    (record,) = (cache.parent / "compiled").glob("*.pickle")
    record.unlink()
    made = _count_derivations(monkeypatch)
    assert _run(["neg-sampling"]) == first
    assert made == ["neg-sampling"]
    assert entry.read_bytes() != b"\x80\x05 not a pickle"


def test_a_wrong_kept_derivation_fails_the_run_checks(cache: Path) -> None:
    """No false pass from the cache: a kept result is still checked at the run's points."""
    loss = problems.get("naive-softmax").make_loss()
    right = calculus.derive(loss, check=False)
    grad = next(g for g in right.gradients if g.wrt.name == "U" and not g.case)
    wrong_grad = dataclasses.replace(grad, steps=(*grad.steps, Step(
        -grad.result, "a sign lost", matrix=True)))
    wrong = dataclasses.replace(right, gradients=tuple(
        wrong_grad if g is grad else g for g in right.gradients))
    data = stored._dump(wrong)
    assert data is not None
    cache.mkdir(parents=True)
    (cache / f"{stored.key('naive-softmax', 'unchecked')}.pickle").write_bytes(data)
    with pytest.raises(DerivationError, match=r"^dJ/dU = .* disagrees with the elementwise"):
        _run(["naive-softmax"])


def test_a_derivation_made_elsewhere_is_not_a_key(cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A window loss derived from a pair derivation the cache did not make (one derive build
    passes in) is derived each time, not looked up: no key could say what it was made from."""
    pair = calculus.derive(problems.get("naive-softmax").make_loss())
    made = _count_derivations(monkeypatch)
    for _ in range(2):
        cases.verify(["naive-softmax", "skip-gram"], seed=3, mode="coordinate",
                     derivations={"naive-softmax": pair})
    assert made == ["skip-gram", "skip-gram"]
    assert not cache.exists()
