"""The child process that runs a student's code (sandbox.py, runner.py): whatever the code does,
the parent gets an answer, and the next call still works."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derive.verify.runner import Draws, Fn
from derive.verify.sandbox import Sandbox, Unusable

SOURCE = """\
import os, sys, time
import numpy as np

def double(x):
    print("noise on stdout")
    return 2 * x

def pair(x):
    return x, [1, 2]

def odd():
    return object()

def ask():
    return input()

def leave(code):
    sys.exit(code)

def spin():
    while True:
        pass

def hog():
    a = np.ones((40000, 40000))
    return a.sum()

def vanish():
    os._exit(7)

def draw(dataset, n):
    return [dataset.sampleTokenIdx() for _ in range(n)]

def call(f, x):
    return f(x)

def loss(x):
    return float(np.sum(x ** 3)), None

def scale(x, y, k):
    x *= k
    return 0.0

def reshape(x):
    x.shape = (x.size, 1)
    return 0.0

def sigmoid(x):
    return x

def squash(x):
    return sigmoid(x)
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    path = tmp_path_factory.mktemp("box") / "student.py"
    path.write_text(SOURCE)
    with Sandbox(path, timeout=1.0, memory=512 << 20) as sandbox:
        yield sandbox


def test_values_come_back_as_arrays_and_stdout_is_not_the_channel(box):
    out = box.call("double", np.arange(3.0), seed=0)
    assert out.ok and np.array_equal(out.value, [0.0, 2.0, 4.0])
    first, second = box.call("pair", np.ones(2), seed=0).value
    assert np.array_equal(second, [1, 2])
    assert box.call("odd", seed=0).value == ("unusable", "object")


def test_input_reads_nothing_instead_of_the_protocol(box):
    out = box.call("ask", seed=0)
    assert out.kind == "raised" and out.error.startswith("EOFError")
    assert box.call("double", 1.0, seed=0).ok


@pytest.mark.parametrize(("name", "args", "kind", "message"), [
    ("leave", (3,), "exit", "leave called exit() / sys.exit(3) at line 18 of student.py"),
    ("spin", (), "timeout", "spin did not return within"),
    ("hog", (), "raised", "hog raised MemoryError"),
    ("vanish", (), "died", "vanish ended the process: exit status 7"),
])
def test_every_way_out_is_an_outcome_and_the_next_call_works(box, name, args, kind, message):
    out = box.call(name, *args, seed=0)
    assert out.kind == kind
    assert out.describe(name, "student.py").startswith(message)
    assert box.call("double", 2.0, seed=0).value == 4.0
    if name == "hog":
        assert out.error.endswith("(more than the 512 MiB allowed)")


def test_scripted_draws_are_logged_and_functions_are_resolved(box):
    out = box.call("draw", Draws(("a", "b", "c"), (2, 0)), 5, seed=0)
    assert out.value.tolist() == [2, 0, 2, 0, 2] and out.draws == (2, 0, 2, 0, 2)
    assert box.call("call", Fn("student", "double"), 3.0, seed=0).value == 6.0
    assert box.call("call", Fn("derive", "sigmoid"), 0.0, seed=0).value == 0.5


def test_differences_are_made_in_the_child(box):
    x = np.array([1.0, -2.0])
    out = box.differences("loss", x, at=0, h=1e-5, seed=0, calls=4)
    assert np.allclose(out.value, 3 * x ** 2, rtol=1e-8)


@pytest.mark.parametrize(("source", "message"), [
    ("import nosuchmodule\n",
     "raised ModuleNotFoundError: No module named 'nosuchmodule' at line 1 when imported; "
     "check it where its own imports are found"),
    ("import os\nos._exit(0)\n", "ended the process while importing: exit status 0"),
])
def test_a_file_that_cannot_be_imported_is_unusable(tmp_path, source, message):
    path = tmp_path / "student.py"
    path.write_text(source)
    with pytest.raises(Unusable, match=r"student\.py .*" + message.replace("(", r"\(")):
        Sandbox(path)


def test_inputs_changed_in_place_do_not_leak_into_the_next_difference(tmp_path):
    path = tmp_path / "student.py"
    path.write_text("import numpy as np\n\ndef loss(x, U):\n    U *= 2\n"
                    "    return float(x @ U @ x), None\n")
    with Sandbox(path) as box:
        x, U = np.array([1.0, 2.0]), np.eye(2)
        out = box.differences("loss", x, U, at=0, h=1e-5, seed=0, calls=4)
    assert np.allclose(out.value, 2 * (2 * U) @ x, rtol=1e-8)  # U doubled once, not each call


@settings(max_examples=20, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e3, 1e3)),
       k=st.sampled_from([0.0, 1.0, -1.0, 2.0]))
def test_an_argument_written_into_is_reported_and_a_new_shape_is_not(box, x, k):
    out = box.call("scale", x, np.ones(2), k, seed=0)
    changed = not np.array_equal(x * k, x)
    assert out.ok and out.changed == ((0,) if changed else ())
    assert box.call("reshape", x, seed=0).changed == ()


def test_a_patched_name_is_used_for_that_call_only(box):
    assert box.call("squash", 0.0, seed=0, patch={"sigmoid": Fn("derive", "sigmoid")}).value == 0.5
    assert box.call("squash", 0.0, seed=0).value == 0.0
