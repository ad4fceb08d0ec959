"""Where `derive verify --against` evaluates a student's functions, chosen so that the verdict
does not depend on the seed: the values are random, the structure is not.

Negative sampling gets a scripted stream of draws (`runner.Draws`): the outside word o is drawn
twice (getNegativeSamples must draw again) and the K = 10 samples hold three words, each drawn
several times, so a sample counted once instead of twice is always seen. skipgram gets a window
of five words with one word twice and the centre word itself among them, and a stream in which
every window word is drawn, so one term's outside word is another term's negative sample.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from .runner import Dataset, Draws

K = 10  # the course's default number of negative samples


@dataclass(frozen=True)
class Point:
    U: np.ndarray            # outsideVectors (V, d)
    v: np.ndarray            # centerWordVec (d,)
    o: int                   # outsideWordIdx
    seed: int
    draws: Draws             # the loss functions' dataset
    C: np.ndarray            # skipgram's centerWordVectors (V, d)
    centre: str              # skipgram's currentCenterWord
    window: tuple[str, ...]  # skipgram's outsideWords
    window_draws: Draws      # skipgram's dataset

    @classmethod
    def make(cls, vocab: int, dim: int, seed: int) -> Point:
        rng = np.random.default_rng(seed)
        tokens = tuple(f"w{i}" for i in range(vocab))
        U, v = rng.normal(size=(vocab, dim)), rng.normal(size=dim)
        o = int(rng.integers(vocab))
        a, b, c = _distinct(rng, vocab, exclude=o, n=3)
        # 12 draws give K = 10 samples: o twice redrawn; a ×4, b ×3, c ×3.
        script = (a, o, a, b, c, o, c, b, a, b, c, a)
        centre, w1, w2, w3 = (int(i) for i in rng.permutation(vocab)[:4]) if vocab >= 4 else (
            0, 1, 2, 1)
        window = (w1, w2, centre, w1, w3)
        stream = (w2, w1, w2, centre, w1, w3, w3, w1, centre, w2, w1, w3, w2)
        return cls(U, v, o, seed, Draws(tokens, script), rng.normal(size=(vocab, dim)),
                   tokens[centre], tuple(tokens[w] for w in window), Draws(tokens, stream))

    @property
    def word2ind(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.draws.tokens)}

    def dataset(self, draws: Draws) -> Dataset:
        """The stream as the child gives it, with the random state the child sets before a call:
        derive's own functions, run here on it, draw what the student's drew there."""
        random.seed(self.seed)
        np.random.seed(self.seed % 2**32)
        return Dataset(draws)

    def negatives(self) -> list[int]:
        """The K samples getNegativeSamples draws from the loss functions' stream."""
        from .. import cs224n
        return cs224n.getNegativeSamples(self.o, self.dataset(self.draws), K)


def _distinct(rng: np.random.Generator, vocab: int, *, exclude: int, n: int) -> list[int]:
    others = [w for w in range(vocab) if w != exclude]
    return [int(w) for w in rng.choice(others, size=n, replace=len(others) < n)]
