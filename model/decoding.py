"""Constrained decoding of word-level tag probabilities into valid IOB2.

Taking each word's most probable tag can yield ``O I-X`` or ``B-X I-Y``,
which a lenient reader turns into wrong span boundaries. Viterbi decoding over
the transitions IOB2 allows returns the most probable *valid* sequence.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from .schema import may_follow


@lru_cache(maxsize=8)
def _allowed(tags: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(start_allowed[n], transition_allowed[n, n]) for IOB2 over ``tags``."""
    start = np.array([may_follow(tag, None) for tag in tags])
    transition = np.array([[may_follow(tag, previous) for tag in tags] for previous in tags])
    return start, transition


def viterbi(probabilities: np.ndarray, tags: Sequence[str]) -> list[int]:
    """Indices of the most probable valid IOB2 tag sequence; ``probabilities`` is [words, tags]."""
    if len(probabilities) == 0:
        return []
    start_ok, transition_ok = _allowed(tuple(tags))
    log_probs = np.log(np.clip(probabilities, 1e-12, 1.0))
    forbidden = -1e9
    transition = np.where(transition_ok, 0.0, forbidden)
    score = log_probs[0] + np.where(start_ok, 0.0, forbidden)
    back = np.zeros(probabilities.shape, dtype=np.int64)
    for i in range(1, len(probabilities)):
        candidates = score[:, None] + transition
        back[i] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[i]
    path = [int(score.argmax())]
    for i in range(len(probabilities) - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]
