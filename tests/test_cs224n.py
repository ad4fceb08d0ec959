"""derive.cs224n dropped into the course's own sanity run (word2vec.py's test_word2vec): the
expected values the course publishes for its seeded dummy setup must come out.

The harness below is ours, written to the course's published behaviour: gradcheck_naive saves
Python's random state once and restores it before every evaluation (so after it the state has
moved on by exactly one evaluation), and word2vec_sgd_wrapper draws a window size and a context
50 times. The negative-sampling values depend on every draw before them, so the whole run is
reproduced in order.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from derive import cs224n
from derive.verify.gradcheck import relative_error

TOKENS = ["a", "b", "c", "d", "e"]
WORD2IND = {t: i for i, t in enumerate(TOKENS)}


class DummyDataset:
    def sampleTokenIdx(self) -> int:  # the course's names
        return random.randint(0, 4)

    def getRandomContext(self, C: int) -> tuple[str, list[str]]:
        return TOKENS[random.randint(0, 4)], [TOKENS[random.randint(0, 4)] for _ in range(2 * C)]


def sgd_wrapper(vectors, dataset, window, inner):
    batch, loss = 50, 0.0
    grad = np.zeros(vectors.shape)
    half = vectors.shape[0] // 2
    for _ in range(batch):
        size = random.randint(1, window)
        centre, context = dataset.getRandomContext(size)
        c, g_in, g_out = cs224n.skipgram(centre, size, context, WORD2IND, vectors[:half],
                                         vectors[half:], dataset, inner)
        loss += c / batch
        grad[:half] += g_in / batch
        grad[half:] += g_out / batch
    return loss, grad


def course_gradcheck(f, x):
    """The course's check: every coordinate, h = 1e-4, relative error ≤ 1e-5; returns the worst."""
    state = random.getstate()
    random.setstate(state)
    _, grad = f(x)
    worst = 0.0
    for ix in np.ndindex(x.shape):
        x[ix] += 1e-4
        random.setstate(state)
        plus, _ = f(x)
        x[ix] -= 2e-4
        random.setstate(state)
        minus, _ = f(x)
        x[ix] += 1e-4
        worst = max(worst, float(relative_error(grad[ix], (plus - minus) / 2e-4)))
    return worst


NAIVE = [  # (centre, window, outside words, loss, gradCenterVecs row, gradOutsideVectors)
    ("c", 3, ["a", "b", "e", "d", "b", "c"],
     11.16610900153398, [-1.26947339, -1.36873189, 2.45158957],
     [[-0.41045956, 0.18834851, 1.43272264], [0.38202831, -0.17530219, -1.33348241],
      [0.07009355, -0.03216399, -0.24466386], [0.09472154, -0.04346509, -0.33062865],
      [-0.13638384, 0.06258276, 0.47605228]]),
    ("b", 3, ["a", "b", "e", "d", "b", "c"],
     9.87714910003414, [-0.14586705, -1.34158321, -0.29291951],
     [[-0.30342672, 0.19808298, 0.19587419], [-0.41359958, 0.27000601, 0.26699522],
      [-0.08192272, 0.05348078, 0.05288442], [0.6981188, -0.4557458, -0.45066387],
      [0.10083022, -0.06582396, -0.06508997]]),
    ("a", 3, ["a", "b", "e", "d", "b", "c"],
     10.810758628593335, [-1.1790274, -1.35861865, 1.53590492],
     [[-7.96035953e-01, -1.79609012e-02, 2.07761330e-01],
      [1.40175316e+00, 3.16276545e-02, -3.65850437e-01],
      [-1.99691259e-01, -4.50561933e-03, 5.21184016e-02],
      [2.02560028e-02, 4.57034715e-04, -5.28671357e-03],
      [-4.26281954e-01, -9.61816867e-03, 1.11257419e-01]]),
]
NEG = [
    ("c", 1, ["a", "b"], 16.15119285363322, [-4.54650789, -1.85942252, 0.76397441],
     [[-0.69148188, 0.31730185, 2.41364029], [-0.22716495, 0.10423969, 0.79292674],
      [-0.45528438, 0.20891737, 1.58918512], [-0.31602611, 0.14501561, 1.10309954],
      [-0.80620296, 0.36994417, 2.81407799]]),
    ("c", 2, ["a", "b", "c", "a"], 28.653567707668795, [-6.42994865, -2.16396482, -1.89240934],
     [[-0.80413277, 0.36899421, 2.80685192], [-0.9277269, 0.42570813, 3.23826131],
      [-0.7511534, 0.34468345, 2.62192569], [-0.94807832, 0.43504684, 3.30929863],
      [-1.12868414, 0.51792184, 3.93970919]]),
    ("a", 3, ["a", "b", "e", "d", "b", "c"],
     60.648705494891914,
     [-17.89425315, -7.36940626, -1.23364121],
     [[-6.4780819, -0.14616449, 1.69074639], [-0.86337952, -0.01948037, 0.22533766],
      [-9.59525734, -0.21649709, 2.5043133], [-6.02261515, -0.13588783, 1.57187189],
      [-9.69010072, -0.21863704, 2.52906694]]),
]


def _expect(out, centre, loss, centre_row, outside):
    got_loss, grad_centres, grad_outside = out
    expected_centres = np.zeros((5, 3))
    expected_centres[WORD2IND[centre]] = centre_row
    assert np.isclose(got_loss, loss, rtol=1e-10)
    np.testing.assert_allclose(grad_centres, expected_centres, atol=1e-8)
    np.testing.assert_allclose(grad_outside, outside, atol=1e-8)


@pytest.fixture(scope="module")
def course_run():
    """The course's sanity run, in its order, with our functions; what each step gave."""
    dataset = DummyDataset()
    random.seed(31415)
    np.random.seed(9265)
    vectors = np.random.randn(10, 3)
    vectors /= np.sqrt((vectors ** 2).sum(axis=1, keepdims=True))  # normalizeRows
    results = {"naive_check": course_gradcheck(
        lambda x: sgd_wrapper(x, dataset, 5, cs224n.naiveSoftmaxLossAndGradient), vectors)}
    results["naive"] = [cs224n.skipgram(c, w, words, WORD2IND, vectors[:5], vectors[5:], dataset)
                        for c, w, words, *_ in NAIVE]
    results["neg_check"] = course_gradcheck(
        lambda x: sgd_wrapper(x, dataset, 5, cs224n.negSamplingLossAndGradient), vectors)
    results["neg"] = [cs224n.skipgram(c, w, words, WORD2IND, vectors[:5], vectors[5:], dataset,
                                      cs224n.negSamplingLossAndGradient)
                      for c, w, words, *_ in NEG]
    return results


def test_course_gradient_checks_pass(course_run):
    assert course_run["naive_check"] <= 1e-5
    assert course_run["neg_check"] <= 1e-5


@pytest.mark.parametrize("case", range(3))
def test_course_naive_softmax_skipgram_values(course_run, case):
    centre, _, _, loss, row, outside = NAIVE[case]
    _expect(course_run["naive"][case], centre, loss, row, outside)


@pytest.mark.parametrize("case", range(3))
def test_course_negative_sampling_skipgram_values(course_run, case):
    centre, _, _, loss, row, outside = NEG[case]
    _expect(course_run["neg"][case], centre, loss, row, outside)


def test_get_negative_samples_never_draws_o_and_keeps_the_course_order():
    random.seed(3)
    drawn = cs224n.getNegativeSamples(2, DummyDataset(), 50)
    random.seed(3)
    course = []
    while len(course) < 50:
        x = random.randint(0, 4)
        if x != 2:
            course.append(x)
    assert drawn == course and 2 not in drawn


def test_repeated_negative_samples_count_twice():
    rng = np.random.default_rng(0)
    U, v = rng.normal(size=(6, 3)), rng.normal(size=3)

    class Fixed:
        draws = iter([4, 4, 1])

        def sampleTokenIdx(self):
            return next(self.draws)

    _, _, grad = cs224n.negSamplingLossAndGradient(v, 0, U, Fixed(), K=3)
    sig = 1 / (1 + np.exp(-(U[4] @ v)))
    np.testing.assert_allclose(grad[4], 2 * sig * v, rtol=1e-12)  # σ(u_kᵀv_c) v_c, twice


@pytest.mark.parametrize("shape", [(6, 1), (1, 6)])
def test_a_centre_vector_as_a_column_or_row_gets_its_gradient_in_that_shape(shape):
    rng = np.random.default_rng(3)
    v, U = rng.normal(size=6), rng.normal(size=(9, 6))
    loss, grad_v, grad_U = cs224n.naiveSoftmaxLossAndGradient(v, 2, U, None)
    loss2, grad_v2, grad_U2 = cs224n.naiveSoftmaxLossAndGradient(v.reshape(shape), 2, U, None)
    assert loss2 == loss and grad_v2.shape == shape
    np.testing.assert_array_equal(grad_v2.reshape(-1), grad_v)
    np.testing.assert_array_equal(grad_U2, grad_U)
