from __future__ import annotations

import io
import json
import sys
from dataclasses import replace

import numpy as np
import pytest

from derive import cli, engine, kernels, problems, verify
from derive import notation as n
from derive.cli import main


def test_all_checks_pass_and_cover_every_target():
    report = verify.verify([], seed=11)
    assert report.passed
    targets = {(c.target, c.function, c.wrt) for c in report.checks}
    assert ("naive-softmax: kernel", "naive_softmax_batch", "V_c") in targets
    assert ("naive-softmax: derived expression", "dJ/dU = v_c(ŷ - y)ᵀ", "U") in targets
    assert ("naive-softmax: trace", "dJ/dv_c: chain rule", "v_c") in targets
    assert all(c.max_rel_error < c.tolerance for c in report.checks)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auto_switches_to_directional_for_large_inputs(dtype, seed):
    report = verify.verify([], vocab=3000, dim=8, batch=2, dtype=dtype, seed=seed)
    modes = {(c.function, c.wrt): c.mode for c in report.checks}
    assert modes[("naive_softmax", "U")] == "directional"
    assert modes[("naive_softmax", "v_c")] == "coordinate"
    assert report.passed


def test_a_wrong_kernel_fails_and_is_named(monkeypatch):
    real = kernels.naive_softmax_batch

    def sign_flipped(V_c, o, U, **kw):
        loss, gV, gU = real(V_c, o, U, **kw)
        return loss, -gV, gU

    monkeypatch.setattr(kernels, "naive_softmax_batch", sign_flipped)
    report = verify.verify([], seed=4)
    failed = [(c.function, c.wrt) for c in report.checks if not c.passed]
    assert failed == [("naive_softmax_batch", "V_c")]
    assert main(["verify", "--seed", "4"]) == 1


def test_derivations_passed_in_are_the_ones_checked():
    # derive build hands verify the handouts' derivations: a wrong one given must be the one caught.
    naive = engine.derive(problems.get("naive-softmax").make_loss())
    doubled = tuple(
        replace(g, steps=(*g.steps, engine.Step(2 * g.result, "doubled", matrix=True)))
        if g.wrt is n.v_c else g for g in naive.gradients)
    report = verify.verify(["naive-softmax"], seed=4,
                           derivations={"naive-softmax": replace(naive, gradients=doubled)})
    failed = {(c.target, c.wrt) for c in report.checks if not c.passed}
    assert failed == {("naive-softmax: derived expression", "v_c"), ("naive-softmax: trace", "v_c")}
    assert verify.verify(["naive-softmax"], seed=4, derivations={"naive-softmax": naive}).passed


def test_cli_table_and_exit_codes(capsys):
    assert main(["verify", "naive-softmax", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["target", "function", "wrt", "mode", "max", "rel", "err",
                                           "tol", "result", "worst"]
    assert out.rstrip().endswith("all 22 checks passed (seed 5; replay with --seed 5)")


def test_cli_json(capsys):
    assert main(["verify", "--seed", "5", "--json", "--mode", "directional"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and data["seed"] == 5
    check = data["checks"][0]
    assert set(check) == {"target", "function", "wrt", "mode", "max_rel_error", "tolerance",
                          "passed", "worst_index", "cause"}
    assert check["mode"] == "directional" and check["worst_index"] is None


@pytest.mark.parametrize(("argv", "message"), [
    (["verify", "nope"], r"^derive verify: unknown problem 'nope'"),
    (["verify", "--vocab", "0"], r"^derive verify: --vocab must be a positive integer; got 0"),
])
def test_cli_usage_errors_exit_2(argv, message, capsys):
    import re

    assert main(argv) == 2
    assert re.match(message, capsys.readouterr().err)


def test_seed_is_printed_when_not_given(capsys):
    assert main(["verify", "--mode", "directional"]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    seed = int(last.split("--seed ")[1].rstrip(")"))
    assert np.iinfo(np.int32).max >= seed >= 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_line_only_on_a_terminal_after_a_second(monkeypatch, capsys):
    clock = iter(range(0, 1000, 2))  # every reading two seconds later than the last
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(["verify", "--seed", "5"]) == 0
    shown = terminal.getvalue()
    assert "\rverifying naive-softmax: kernel naive_softmax_batch ∂/∂U …" in shown.replace(
        "\033[K", "")
    assert shown.endswith("\r\033[K")  # erased: the table on stdout is all that stays
    assert "verifying" not in capsys.readouterr().out


def test_no_progress_line_when_stderr_is_not_a_terminal(capsys):
    assert main(["verify", "--seed", "5"]) == 0
    assert capsys.readouterr().err == ""


# verify's trace checks take the run's seed: they rerun each step at points other than the ones
# the derivation itself was checked at, so a step wrong only away from those points still fails.

def test_window_and_scalar_trace_points_follow_the_seed():
    from derive.calculus import scalar, window

    pair = problems.get("skip-gram").make_loss().pair
    words = [window.Checker(pair, seed=s).words for s in (1, 2)]
    assert any((a != b).any() for a, b in zip(*words, strict=True))
    default = window.Checker(pair)
    assert all((a == b).all() for a, b in zip(default.words,
                                              window.Checker(pair, seed=window.SEED).words,
                                              strict=True))
    assert not np.array_equal(scalar.random_points(1)[0], scalar.random_points(2)[0])
    assert np.array_equal(scalar.random_points()[0], scalar.random_points(scalar.SEED)[0])


def test_verify_hands_its_seed_to_the_window_trace_points(monkeypatch):
    from derive.verify import values

    real, seeds = values.At, []

    def recording(points, seed):
        seeds.append(seed)
        return real(points, seed)

    skipgram = engine.derive(problems.get("skip-gram").make_loss())
    monkeypatch.setattr(values, "At", recording)
    report = verify.verify(["skip-gram"], vocab=4, dim=2, seed=5,
                           derivations={"skip-gram": skipgram})
    assert seeds == [5]
    assert report.passed and any(c.target == "skip-gram: trace" for c in report.checks)


def test_a_step_wrong_only_away_from_the_derivations_points_fails_verify(monkeypatch):
    from sympy.utilities.lambdify import implemented_function

    from derive.calculus import scalar

    # 0 at the x the derivation checks its steps at, 1 anywhere else.
    own = scalar.random_points()[0]
    off_own = implemented_function("off_own", lambda x: (~np.isin(x, own)).astype(float))
    wrong = ("wrong away from the derivation's points", lambda e: e + off_own(n.x_scalar))
    monkeypatch.setattr(scalar, "GRADIENT_RULES", [*scalar.GRADIENT_RULES, wrong])
    sigmoid = engine.derive(problems.get("sigmoid").make_loss())  # its own checks pass it
    before, after = sigmoid.gradients[0].steps[-2:]
    assert after.rule == wrong[0] and after.expr == before.expr + off_own(n.x_scalar)
    assert scalar.step_error(before, after) == 0.0
    assert scalar.step_error(before, after, seed=5) > 0.5  # off by 1 where |dJ/dx| < 1
    report = verify.verify(["sigmoid"], seed=5, derivations={"sigmoid": sigmoid})
    failed = {(c.target, c.function) for c in report.checks if not c.passed}
    assert ("sigmoid: trace", f"dJ/dx: {wrong[0]}") in failed


# The path large sizes take (directional: shared differences, x moved in place, gradients made
# one at a time) must still catch a wrong gradient; sizes here are small enough to be quick.

@pytest.fixture(scope="module")
def derived_problems():
    return {name: engine.derive(problems.get(name).make_loss())
            for name in ("naive-softmax", "neg-sampling", "skip-gram")}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("kernel", "problem"), [
    ("naive_softmax", "naive-softmax"), ("naive_softmax_batch", "naive-softmax"),
    ("skipgram", "skip-gram"), ("neg_sampling", "neg-sampling"),
    ("neg_sampling_batch", "neg-sampling")])
def test_directional_at_a_larger_size_catches_one_wrong_row(monkeypatch, derived_problems,
                                                           kernel, problem, dtype):
    def run():
        return verify.verify([problem], vocab=400, dim=16, batch=2, seed=3, mode="directional",
                             dtype=dtype, derivations=derived_problems)

    assert run().passed
    real = getattr(kernels, kernel)

    def mutant(*args, **kw):
        loss, g_v, g_U = real(*args, **kw)
        g_U = np.array(g_U)
        # The largest row (u_o's, as a wrong w = o case would be) off by half. Directional
        # differences see an error of O(1) in ⟨grad, r⟩; a row of size 1e-4 (ŷ_w small) is
        # below the course's tolerance along any unit direction.
        g_U[np.argmax(np.abs(g_U).sum(axis=1))] *= 1.5
        return loss, g_v, g_U

    monkeypatch.setattr(kernels, kernel, mutant)
    failed = {(c.function.split(" ")[0], c.wrt, c.mode) for c in run().checks if not c.passed}
    assert failed and failed <= {(kernel, "U", "directional")}, failed


def test_directional_catches_a_doubled_derived_gradient():
    naive = engine.derive(problems.get("naive-softmax").make_loss())
    doubled = tuple(
        replace(g, steps=(*g.steps, engine.Step(2 * g.result, "doubled", matrix=True)))
        if g.wrt is n.U and not g.case else g for g in naive.gradients)
    report = verify.verify(["naive-softmax"], vocab=500, dim=12, seed=4, mode="directional",
                           derivations={"naive-softmax": replace(naive, gradients=doubled)})
    failed = {(c.target, c.wrt, c.mode) for c in report.checks if not c.passed}
    assert ("naive-softmax: derived expression", "U", "directional") in failed


def test_the_skipgram_centre_vectors_check_catches_a_nonzero_v_w(derived_problems):
    skipgram = derived_problems["skip-gram"]
    grad_v = next(g for g in skipgram.gradients if g.wrt is n.v_c)
    wrong = tuple(
        replace(g, steps=(*g.steps, engine.Step(grad_v.result, "v_c's gradient", matrix=True)))
        if g.wrt is n.v_w else g for g in skipgram.gradients)
    report = verify.verify(["skip-gram"], vocab=300, dim=8, seed=6, mode="directional",
                           derivations={"skip-gram": replace(skipgram, gradients=wrong)})
    failed = {(c.target, c.wrt, c.mode) for c in report.checks if not c.passed}
    assert ("skip-gram: derived expression", "centre vectors", "directional") in failed


def test_every_term_of_a_window_sum_is_evaluated(monkeypatch, derived_problems):
    from derive.verify import values

    real = values.evaluate

    def off(expr, U, v, o, *yhat):  # each outside word's term a little off
        return np.asarray(real(expr, U, v, o, *yhat)) + 1e-3

    monkeypatch.setattr(values, "evaluate", off)
    report = verify.verify(["skip-gram"], vocab=300, dim=8, seed=6, mode="directional",
                           derivations=derived_problems)
    failed = {(c.function.split(" =")[0], c.wrt) for c in report.checks if not c.passed}
    assert failed == {("dJ/dv_c", "v_c"), ("dJ/dU", "U"), ("dJ/dv_w", "centre vectors")}


def test_peak_memory_at_a_larger_size_is_a_few_copies_of_U():
    import tracemalloc

    V, d = 20_000, 40
    verify.verify(["naive-softmax"], vocab=50, dim=4, seed=1)  # kernels and SymPy loaded first
    tracemalloc.start()
    try:
        report = verify.verify(["naive-softmax", "skip-gram"], vocab=V, dim=d, seed=1,
                               mode="directional")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.passed
    # tracemalloc counts np.zeros whole, pages untouched or not; skip-gram's check of the centre
    # vectors holds U, the centre vectors, their (zero) gradient and the kernel's grad_U. It was
    # 13.2 copies before the large-size path was reworked, naive softmax alone 12.1.
    copies = peak / (V * d * 8)
    assert copies < 4.6, copies


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize(("kernel", "problem"), [
    ("naive_softmax", "naive-softmax"), ("naive_softmax_batch", "naive-softmax"),
    ("skipgram", "skip-gram"), ("neg_sampling", "neg-sampling"),
    ("neg_sampling_batch", "neg-sampling")])
def test_directional_fails_a_kernel_whose_own_loss_is_wrong(monkeypatch, derived_problems,
                                                             kernel, problem, seed):
    """Directional differences are J's, not the kernel's loss: a kernel whose gradients are
    right but whose loss is off (here by 1e-3 relative) still fails, at every seed."""
    real = getattr(kernels, kernel)

    def mutant(*args, **kw):
        loss, g_v, g_U = real(*args, **kw)
        return loss * (1 + 1e-3), g_v, g_U

    monkeypatch.setattr(kernels, kernel, mutant)
    report = verify.verify([problem], vocab=300, dim=8, batch=2, seed=seed, mode="directional",
                           derivations=derived_problems)
    failed = {(c.target, c.function.split(" ")[0]) for c in report.checks if not c.passed}
    assert failed and failed <= {(f"{problem}: kernel", kernel)}, failed
    assert any(c.function.split(" ")[0] == kernel for c in report.checks if not c.passed)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_directional_catches_one_wrong_row_at_every_seed(monkeypatch, derived_problems, seed):
    real = kernels.naive_softmax

    def mutant(*args, **kw):
        loss, g_v, g_U = real(*args, **kw)
        g_U = np.array(g_U)
        g_U[np.argmax(np.abs(g_U).sum(axis=1))] *= 1.5
        return loss, g_v, g_U

    monkeypatch.setattr(kernels, "naive_softmax", mutant)
    report = verify.verify(["naive-softmax"], vocab=400, dim=16, batch=2, seed=seed,
                           mode="directional", derivations=derived_problems)
    failed = {(c.function, c.wrt) for c in report.checks if not c.passed}
    assert failed == {("naive_softmax", "U")}


def test_directional_differences_are_of_the_loss_alone(monkeypatch, derived_problems):
    """At large sizes each loss is evaluated as J alone: the kernels are called for their
    gradients only, once a point, not eight times a direction pair."""
    calls = []
    real = kernels.naive_softmax

    def counted(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(kernels, "naive_softmax", counted)
    report = verify.verify(["naive-softmax"], vocab=300, dim=8, batch=2, seed=1,
                           mode="directional", derivations=derived_problems)
    assert report.passed
    assert len(calls) == 1  # the gradients (v_c, U) and the loss compared with J, one call


def test_verify_refuses_draws_made_for_another_seed():
    from derive.verify.draws import Draws

    with pytest.raises(ValueError, match="^the draws are for seed 1, not 2$"):
        verify.verify(["sigmoid"], seed=2, draws=Draws(1))


def test_a_derived_form_equal_to_one_read_at_the_same_point_is_not_made_again(monkeypatch):
    """Cross-entropy's derived forms are naive softmax's, at the same point: in directional mode
    they are evaluated once. One that differs (here doubled) is evaluated and fails."""
    from derive.verify import values

    calls = []
    real = values.evaluate

    def counted(expr, *args):
        calls.append(expr)
        return real(expr, *args)

    monkeypatch.setattr(values, "evaluate", counted)
    names = ["naive-softmax", "cross-entropy"]
    report = verify.verify(names, vocab=300, dim=8, seed=2, mode="directional")
    assert report.passed and len(calls) == 2
    assert sum(c.target == "cross-entropy: derived expression" for c in report.checks) == 2
    cross = engine.derive(problems.get("cross-entropy").make_loss())
    doubled = tuple(
        replace(g, steps=(*g.steps, engine.Step(2 * g.result, "doubled", matrix=True)))
        if g.wrt is n.U and not g.case else g for g in cross.gradients)
    calls.clear()
    report = verify.verify(names, vocab=300, dim=8, seed=2, mode="directional",
                           derivations={"cross-entropy": replace(cross, gradients=doubled)})
    failed = {(c.target, c.wrt) for c in report.checks if not c.passed}
    assert ("cross-entropy: derived expression", "U") in failed and len(calls) == 3
    assert not any(target.startswith("naive-softmax") for target, _ in failed)
