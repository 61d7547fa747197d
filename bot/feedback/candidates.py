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


Rows = tuple[sparse.csr_matrix, sparse.csr_matrix]  # papers' sublinear word counts, and their topic parts


def sublinear(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """1 + log of each count, in float32 (scikit-learn's `sublinear_tf`, the same operations as its `transform`)."""
    made = counts.astype(np.float32, copy=True)
    np.log(made.data, made.data)
    made.data += 1.0
    return made


class Candidates:
    """The model-free part of each paper's vector, by paper key: a pass's papers keep their text and topic points
    for the whole pass, so the key names the row. The rows are kept stacked, and a channel's are taken from the
    stack by row numbers in one call (gathering each paper's arrays in Python cost a channel 2 ms)."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}  # paper key -> its row in the stack
        self._parts: list[tuple[sparse.csr_matrix, sparse.csr_matrix]] = []  # words and topic parts, in row order
        self._guard = threading.Lock()
        self._building = threading.Lock()
        self.built = 0  # how many papers' rows were built (a test reads it)

    def missing(self, papers: Sequence[Paper]) -> list[Paper]:
        """The papers whose rows are not built yet: only they need their counts and topic points."""
        with self._guard:
            return [p for p in papers if p.key not in self._index]

    def rows(self, papers: Sequence[Paper], evidence: Evidence) -> Rows:
        """The papers' sublinear word counts and their topic parts (at TOPIC_WEIGHT), built for those not kept."""
        from bot.feedback.taste import TOPIC_WEIGHT, topics  # here: taste.py builds its vectors with these

        if self.missing(papers):
            with self._building:  # channels in other threads meet the same new papers: one builds, the rest wait
                new = list({p.key: p for p in self.missing(papers)}.values())
                if new:
                    words = sublinear(WORD_COUNTS.counts(new))
                    topical = sparse.csr_matrix(TOPIC_WEIGHT * topics(new, evidence))
                    with self._guard:
                        first = len(self._index)
                        self._index.update((p.key, first + i) for i, p in enumerate(new))
                        self._parts.append((words, topical))
                        self.built += len(new)
        with self._guard:
            at = np.fromiter((self._index[p.key] for p in papers), np.int64, count=len(papers))
            if len(self._parts) > 1:  # stacked again only after new papers came
                self._parts = [(sparse.vstack([w for w, _ in self._parts]), sparse.vstack([t for _, t in self._parts]))]
            words, topical = self._parts[0] if self._parts else _empty()
        return words[at], topical[at]


def _empty() -> Rows:
    from bot.feedback.taste import N_TOPICS

    return sparse.csr_matrix((0, N_WORDS), dtype=np.float32), sparse.csr_matrix((0, N_TOPICS), dtype=np.float32)


class _Places(threading.local):
    """Tables as wide as the hashed word columns, one per thread and reused by every model: filled at a model's
    few thousand columns (with their places, or weights), read, and emptied again."""

    def __init__(self) -> None:
        self.place = np.full(N_WORDS, -1, dtype=np.int32)
        self.weight = np.zeros(N_WORDS)


_PLACES = _Places()


def weighed(
    words: sparse.csr_matrix, seen: np.ndarray, values: np.ndarray, absent: float, picked: np.ndarray
) -> sparse.csr_matrix:
    """Sublinear counts times a model's idf (`values` at its `seen` columns, `absent` elsewhere), each row at unit
    length twice over (as the model was trained: scikit-learn's tf-idf normalises, then the model's vectors do),
    and only the `picked` columns kept (sorted, distinct, under N_WORDS). The very numbers bot/feedback/taste.py's
    `normalize` and `select_columns` give, in the same float32 and float64 steps, in fewer passes over the
    candidates' words: each step writes its float32 result at once instead of a float64 copy first."""
    count = words.shape[0]
    lengths = np.diff(words.indptr)
    rows = np.repeat(np.arange(count), lengths)
    at = _places(seen, words.indices)  # each word's place among the model's columns, -1 for one it lacks
    data = np.empty_like(words.data)
    idf = np.r_[values, absent]  # at -1: `absent`
    np.multiply(words.data, idf[at], out=data, casting="same_kind")  # in float64, kept in float32
    for _ in range(2):
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=count))
        norms[norms == 0] = 1
        np.divide(data, norms[rows], out=data, casting="same_kind")
    if not np.array_equal(picked, seen):  # a model picks the columns its papers have: these are the same
        at = _places(picked, words.indices)
    kept = np.flatnonzero(at >= 0)
    indptr = np.searchsorted(kept, words.indptr).astype(np.int32)  # kept entries before each row's start
    return sparse.csr_matrix((data[kept], at[kept], indptr), shape=(count, len(picked)))


def read(
    words: sparse.csr_matrix,
    topical: sparse.csr_matrix,
    idf: tuple[np.ndarray, np.ndarray, float],
    columns: np.ndarray,
    weights: np.ndarray,
) -> np.ndarray:
    """`side_by_side(weighed(words, *idf, word columns), topical's columns) @ weights`, the vectors never built:
    each row's words weighed by the model's columns' idf times `weights`, over the row's length (the length of all
    its words times the idf, `absent` for a word the model lacks), and its topic part times theirs. The same
    numbers to about 1e-7 (float64 throughout, where the vectors round each step to float32), at a fraction of
    the cost: a few products of sparse rows and a dense column, where building the vectors took a pass over every
    word of every candidate for each step."""
    seen, values, absent = idf
    split = int(np.searchsorted(columns, N_WORDS))
    table = _PLACES.weight
    squares = sparse.csr_matrix((np.square(words.data, dtype=np.float64), words.indices, words.indptr), words.shape)
    try:
        table[seen] = np.square(values) - absent * absent  # each word's idf squared, less `absent`'s (added below)
        squared = squares @ table + absent * absent * np.asarray(squares.sum(axis=1)).ravel()
        lengths = np.sqrt(np.maximum(squared, 0.0))  # a difference of sums: never below 0 by rounding
        table[seen] = 0.0
        lengths[lengths == 0] = 1.0
        own = _idf_at(columns[:split], seen, values, absent)
        made = np.empty((words.shape[0], weights.shape[1]))
        for k in range(weights.shape[1]):
            table[columns[:split]] = own * weights[:split, k]
            made[:, k] = words @ table / lengths
            table[columns[:split]] = 0.0
    finally:
        table[seen] = 0.0
        table[columns[:split]] = 0.0
    topic = np.zeros((topical.shape[1], weights.shape[1]))
    topic[columns[split:] - N_WORDS] = weights[split:]
    return made + topical @ topic


def _idf_at(columns: np.ndarray, seen: np.ndarray, values: np.ndarray, absent: float) -> np.ndarray:
    """The idf of each of `columns` (sorted): `values` at those among `seen`, `absent` at the rest."""
    at = np.minimum(np.searchsorted(seen, columns), max(len(seen) - 1, 0))
    known = seen[at] == columns if len(seen) else np.zeros(len(columns), dtype=bool)
    return np.where(known, values[at] if len(seen) else absent, absent)


def _places(columns: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Each of `indices`' place among `columns` (sorted, distinct), -1 for one not among them: looked up in a
    table, not searched (a `searchsorted` of every candidate word cost a channel 3 ms)."""
    places = _PLACES.place
    places[columns] = np.arange(len(columns), dtype=np.int32)
    try:
        return places[indices]
    finally:
        places[columns] = -1


def side_by_side(left: sparse.csr_matrix, right: sparse.csr_matrix) -> sparse.csr_matrix:
    """`sparse.hstack([left, right], format="csr")`, each row's entries in the same order, without scipy's detour
    through coordinates."""
    indptr = left.indptr + right.indptr
    size = int(indptr[-1])
    rows_left = np.repeat(np.arange(left.shape[0]), np.diff(left.indptr))
    rows_right = np.repeat(np.arange(right.shape[0]), np.diff(right.indptr))
    at_left = np.arange(left.nnz) + right.indptr[rows_left]
    at_right = np.arange(right.nnz) + left.indptr[rows_right + 1]
    indices = np.empty(size, dtype=np.int32)
    data = np.empty(size, dtype=np.result_type(left.dtype, right.dtype))
    indices[at_left], indices[at_right] = left.indices, right.indices + left.shape[1]
    data[at_left], data[at_right] = left.data, right.data
    return sparse.csr_matrix((data, indices, indptr), shape=(left.shape[0], left.shape[1] + right.shape[1]))


__all__ = ["Candidates", "Rows", "read", "side_by_side", "sublinear", "weighed"]
