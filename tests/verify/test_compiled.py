"""A problem's printed record (verify/compiled.py): the same numbers as the engine's own checks,
read back without SymPy, and never a pass it did not check — a damaged, foreign or stale record
is printed again, a wrong one fails the run's checks."""
from __future__ import annotations

import dataclasses
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derive import calculus, problems
from derive.calculus import check, scalar, window
from derive.verify import cases, compiled, derived, gradcheck, stored, values

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(scope="module")
def records() -> dict[str, tuple[calculus.Derivation, compiled.Compiled]]:
    out = {}
    for name in ("naive-softmax", "neg-sampling-repeated", "skip-gram", "leaky-relu"):
        d = calculus.derive(problems.get(name).make_loss())
        out[name] = (d, derived.compile(problems.get(name), d))
    return out


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), V=st.integers(2, 60), d=st.integers(1, 9))
def test_a_column_times_a_row_is_kept_as_its_factors(records, seed, V, d):
    """∂J/∂U = v_c(ŷ − y)ᵀ is printed as its two factors (an Outer), and its value (a Rank1)
    is the printed product's, entry for entry, in either layout; ∂J/∂v_c = U(ŷ − y), a
    column, is printed whole."""
    derivation, record = records["naive-softmax"]
    form, column = record.forms["U"], record.forms["v_c"]
    assert isinstance(form, values.Outer) and isinstance(column, values.Fn)
    whole = derived._form(derived._evaluated(), next(
        g.result for g in derivation.gradients if g.wrt.name == "U" and not g.case))
    rng = np.random.default_rng(seed)
    U, v, o = rng.normal(size=(V, d)), rng.normal(size=d), int(rng.integers(V))
    lazy = values.evaluate(form, U, v, o)
    assert isinstance(lazy, values.Rank1) and lazy.shape == (d, V) and lazy.T.shape == (V, d)
    expected = values.evaluate(whole, U, v, o)
    np.testing.assert_array_equal(np.asarray(lazy), expected)
    np.testing.assert_array_equal(np.asarray(lazy.T), expected.T)
    rs = [gradcheck.differences.draw(rng, (V, d)) for _ in range(2)]
    np.testing.assert_allclose(gradcheck.along(lazy.T, rs), gradcheck.along(expected.T, rs),
                               rtol=1e-12, atol=1e-14)


def test_outer_factors_split_a_product_where_its_inner_size_is_one():
    import sympy as sp

    from derive import notation as n

    v, y, U = n.v_c.matrix, n.y.matrix, n.U.matrix
    assert derived._outer_factors(sp.MatMul(v, y.T)) == (v, y.T)
    column, row = derived._outer_factors(sp.MatMul(-2, U, y, v.T))
    assert column == -2 * sp.MatMul(U, y) and row == v.T
    assert derived._outer_factors(sp.MatMul(U, y)) is None  # a column: kept whole
    assert derived._outer_factors(sp.MatMul(U, U.T)) is None  # no inner size of one
    assert derived._outer_factors(v) is None


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_the_points_are_drawn_as_the_engine_draws_them(records, seed):
    for name in ("naive-softmax", "neg-sampling-repeated"):
        derivation, record = records[name]
        at, engine = values.At(record.points, seed), check.NumericPoint(derivation.loss,
                                                                          seed=seed)
        for (arrays, o, V, d, K, params), p in zip(at.samples, engine.points, strict=True):
            assert (o, V, d, K) == (p.o, p.V, p.d, p.K) and params == p.params
            assert all(np.array_equal(a, b) for a, b in zip(arrays, p.arrays.values(),
                                                           strict=True))
    skipgram = records["skip-gram"][0]
    words = values.At(records["skip-gram"][1].points, seed).words
    assert all(np.array_equal(a, b) for a, b in
               zip(words, window.Checker(skipgram.loss.pair, seed=seed).words, strict=True))
    xs = values.At(records["leaky-relu"][1].points, seed).xs
    assert all(np.array_equal(a, b) for a, b in zip(xs, scalar.random_points(seed), strict=True))


def test_every_step_has_the_engines_values(records):
    """Each step's printed value at the run's points is the engine's value of that step."""
    derivation, record = records["naive-softmax"]
    at, engine = values.At(record.points, 7), check.NumericPoint(derivation.loss, seed=7)
    chains = [((), derivation.loss_steps)] + [(g.index, g.steps) for g in derivation.gradients
                                             if not g.case]
    assert len(chains) == len(record.chains)
    for (index, steps), chain in zip(chains, record.chains, strict=True):
        for step, (rule, spec) in zip(steps, chain.steps, strict=True):
            assert rule == step.rule
            mine, theirs = at.values(spec), engine.values(step, index)
            assert all(np.array_equal(a, b) for a, b in zip(mine, theirs, strict=True))
    skipgram, record = records["skip-gram"]
    at, checker = values.At(record.points, 7), window.Checker(skipgram.loss.pair, seed=7)
    for g, chain in zip(skipgram.gradients, record.chains[1:], strict=True):
        for step, (_, spec) in zip(g.steps, chain.steps, strict=True):
            assert all(np.array_equal(a, b) for a, b in
                       zip(at.values(spec), checker.values(step.expr), strict=True))


arrays = hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 3)),
                    elements=st.floats(-1e3, 1e3) | st.just(float("nan")))


@given(a=arrays, b=arrays)
def test_the_relative_errors_are_the_engines(a, b):
    assert gradcheck.max_error([a], [b]) == pytest.approx(check.max_error([a], [b]),
                                                            nan_ok=True)
    assert gradcheck.compare([a], [b]) == check.compare([a], [b])
    if a.shape == b.shape:
        np.testing.assert_array_equal(gradcheck.relative_error(a, b), check.relative_error(a, b))


def test_a_warm_run_loads_no_sympy(tmp_path):
    env = {**os.environ, "DERIVE_CACHE_DIR": str(tmp_path), "DERIVE_VERIFY_CACHE": "on",
           "PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-c", "import sys\nfrom derive import cli\nrc = cli.main(sys.argv[1:])"
           "\nprint('sympy' in sys.modules, file=sys.stderr)\nsys.exit(rc)",
           "verify", "--seed", "3", "--json"]
    cold = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    warm = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert cold.returncode == warm.returncode == 0
    assert cold.stderr.strip() == "True" and warm.stderr.strip() == "False"
    assert warm.stdout == cold.stdout and '"passed": true' in warm.stdout


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DERIVE_VERIFY_CACHE", "on")
    return tmp_path / "cache" / "compiled"


def _printed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The problems a run prints (derived.compile) from here on."""
    made: list[str] = []
    real = derived.compile

    def counted(problem, derivation, **kw):
        made.append(problem.name)
        return real(problem, derivation, **kw)
    monkeypatch.setattr(derived, "compile", counted)
    return made


def _run(names: list[str], seed: int = 3) -> dict:
    return cases.verify(names, seed=seed, mode="coordinate").as_json()


def test_a_kept_record_is_read_and_every_check_still_made(cache, monkeypatch):
    first = _run(["naive-softmax", "sigmoid"])
    made = _printed(monkeypatch)
    calls = []
    real = values.At.values
    monkeypatch.setattr(values.At, "values", lambda self, s: calls.append(s) or real(self, s))
    again = _run(["naive-softmax", "sigmoid"])
    assert made == [] and again == first and first["passed"]
    assert calls  # the trace steps were evaluated at this run's points
    other = _run(["naive-softmax", "sigmoid"], seed=4)
    assert made == [] and other["seed"] == 4 and other != first


@pytest.mark.parametrize("damage", ["truncated", "foreign", "another problem's"])
def test_a_damaged_or_foreign_record_is_printed_again(cache, monkeypatch, damage):
    first = _run(["naive-softmax"])
    (entry,) = cache.glob("*.pickle")
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:-40])
    elif damage == "foreign":  # names a function outside the record's classes: never called
        entry.write_bytes(b"\x80\x04cos\nsystem\n(Vtrue\ntR.")
    else:
        entry.write_bytes(pickle.dumps(compiled.Compiled("cross-entropy", {})))
    made = _printed(monkeypatch)
    assert compiled.load("naive-softmax", ()) is None
    assert _run(["naive-softmax"]) == first
    assert made == ["naive-softmax"]
    assert compiled.load("naive-softmax", ()) is not None  # kept again


def test_a_record_of_other_code_is_not_read(cache, monkeypatch, tmp_path):
    package = tmp_path / "package"
    (package / "calculus").mkdir(parents=True)
    rules = package / "calculus" / "rules.py"
    rules.write_text("RULES = 1\n")
    monkeypatch.setattr(stored, "_PACKAGE", package)
    made = _printed(monkeypatch)
    _run(["sigmoid"])
    _run(["sigmoid"])
    assert made == ["sigmoid"]
    rules.write_text("RULES = 2\n")
    stored._source.cache_clear()  # a new process hashes the sources anew
    assert compiled.load("sigmoid", ()) is None
    _run(["sigmoid"])
    assert made == ["sigmoid", "sigmoid"]
    stored._source.cache_clear()


def test_a_wrong_record_fails_the_run_checks(cache):
    """No false pass from the cache: a kept record is still checked at the run's points — a
    wrong derived form fails its check, a wrong step its trace check, a wrong result the
    check against SymPy's derivative (DerivationError, as a derivation would raise)."""
    from derive.errors import DerivationError

    assert _run(["naive-softmax"])["passed"]
    (entry,) = cache.glob("*.pickle")
    record = compiled.load("naive-softmax", ())
    assert record is not None
    right = record.forms["U"]
    assert isinstance(right, values.Outer)  # v_c (ŷ − y)ᵀ: its factors, printed apart
    doubled = dataclasses.replace(right, row=values._function(
        right.row.source.replace("return ", "return 2*", 1), right.row.names))
    entry.write_bytes(pickle.dumps(dataclasses.replace(record, forms={**record.forms,
                                                                       "U": doubled})))
    failed = {(c["target"], c["wrt"]) for c in _run(["naive-softmax"])["checks"]
              if not c["passed"]}
    assert failed == {("naive-softmax: derived expression", "U")}
    chain = record.chains[-1]
    rule, spec = chain.steps[-1]
    wrong = dataclasses.replace(spec, of=dataclasses.replace(spec.of, fs=tuple(
        values._function(f.source.replace("return ", "return 2*", 1), f.names)
        for f in spec.of.fs)))
    steps = (*chain.steps[:-1], (rule, wrong))
    chains = (*record.chains[:-1], dataclasses.replace(chain, steps=steps))
    entry.write_bytes(pickle.dumps(dataclasses.replace(record, chains=chains, checks=())))
    failed = {(c["target"], c["function"]) for c in _run(["naive-softmax"])["checks"]
              if not c["passed"]}
    assert ("naive-softmax: trace", f"{chain.label}: {rule}") in failed
    checks = tuple(dataclasses.replace(c, result=wrong) if isinstance(c, compiled.AgainstDiff)
                   and c.chain == "U" else c for c in record.checks)
    entry.write_bytes(pickle.dumps(dataclasses.replace(record, checks=checks)))
    with pytest.raises(DerivationError, match=r"^dJ/dU = .* disagrees with the elementwise"):
        _run(["naive-softmax"])


def test_a_function_without_its_source_keeps_no_record(cache):
    record = compiled.Compiled("sigmoid", {"x": "?"}, forms={"J": values.Fn(np.sin)})
    compiled.store(record, ())
    assert not cache.exists() or not list(cache.glob("*.pickle"))
