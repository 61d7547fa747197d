"""Each candidate's part of a vector that no model changes, built once per pass and shared by every channel.

A paper's vector for a model (bot/feedback/taste.py) is its sublinear word counts (1 + log of each count)
times the model's idf, at unit length, and its topic points hashed at unit length: only the idf is the
model's. A pass meets the same candidates in channel after channel, so it keeps the rest here, per paper;
each channel then only weighs those rows by its model's idf and picks its model's columns (numpy over a few
thousand numbers). Building them (the word counts recalled or made, the topic points hashed) was most of what
a channel with a kept model cost a pass. A preview builds its own, used once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.domain import Paper
from bot.feedback.word_counts import N_WORDS, WORD_COUNTS

if TYPE_CHECKING:
    from bot.feedback.learned import Evidence

Row = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # word columns, 1 + log counts, topic columns, topic part


def sublinear(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """1 + log of each count, in float32 (scikit-learn's `sublinear_tf`, the same operations as its `transform`)."""
    made = counts.astype(np.float32, copy=True)
    np.log(made.data, made.data)
    made.data += 1.0
    return made


def _stacked(parts: Sequence[tuple[np.ndarray, np.ndarray]], width: int, dtype: type) -> sparse.csr_matrix:
    indptr = np.r_[0, np.cumsum([len(indices) for indices, _ in parts])]
    indices = np.concatenate([i for i, _ in parts]) if parts else np.zeros(0, np.int32)
    data = np.concatenate([d for _, d in parts]) if parts else np.zeros(0, dtype)
    return sparse.csr_matrix((data.astype(dtype, copy=False), indices, indptr), shape=(len(parts), width))


class Candidates:
    """The model-free part of each paper's vector, by paper key: a pass's papers keep their text and topic points
    for the whole pass, so the key names the row."""

    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}
        self._guard = threading.Lock()
        self._building = threading.Lock()
        self.built = 0  # how many papers' rows were built (a test reads it)

    def missing(self, papers: Sequence[Paper]) -> list[Paper]:
        """The papers whose rows are not built yet: only they need their counts and topic points."""
        with self._guard:
            return [p for p in papers if p.key not in self._rows]

    def rows(self, papers: Sequence[Paper], evidence: Evidence) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """The papers' sublinear word counts and their topic parts (at TOPIC_WEIGHT), built for those not kept."""
        from bot.feedback.taste import N_TOPICS, TOPIC_WEIGHT, topics  # here: taste.py builds its vectors with these

        if self.missing(papers):
            with self._building:  # channels in other threads meet the same new papers: one builds, the rest wait
                new = list({p.key: p for p in self.missing(papers)}.values())
                if new:
                    words = sublinear(WORD_COUNTS.counts(new))
                    topical = sparse.csr_matrix(TOPIC_WEIGHT * topics(new, evidence))
                    made = {p.key: (*_row(words, i), *_row(topical, i)) for i, p in enumerate(new)}
                    with self._guard:
                        self.built += len(made)
                        self._rows.update(made)
        with self._guard:
            kept = [self._rows[p.key] for p in papers]
        words = _stacked([(r[0], r[1]) for r in kept], N_WORDS, np.float32)
        return words, _stacked([(r[2], r[3]) for r in kept], N_TOPICS, np.float32)


def _row(matrix: sparse.csr_matrix, i: int) -> tuple[np.ndarray, np.ndarray]:
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return matrix.indices[start:end].astype(np.int32), matrix.data[start:end].copy()


__all__ = ["Candidates", "sublinear"]
