"""A channel's trained model as numbers: what scores a post's candidates, kept in the database between passes.

Training needs scikit-learn (bot/feedback/learned.py); scoring does not: a paper's vector is its tf-idf
word counts and its topic points, hashed as scikit-learn hashes them, and the model is a logistic
regression's weights over the columns its labelled papers have. So a pass whose models are all kept
scores in numpy and never imports scikit-learn (about 2 s a process). Stored as its arrays' bytes behind a JSON
head: no pickle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.domain import Paper
from bot.feedback.candidates import Candidates, Rows, read, side_by_side, sublinear, weighed
from bot.feedback.word_counts import N_WORDS, WORD_COUNTS

if TYPE_CHECKING:
    from bot.feedback.learned import Evidence

N_TOPICS = 2**10  # hashed topic columns, after the words'
TOPIC_WEIGHT = 0.5  # the topic part's share of a paper's vector, beside its words


def normalize(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row at unit length, in scikit-learn's `normalize` arithmetic (squares in the data's type, summed and
    divided in float64): the same vectors to the last bit. Rows of zeros stay zeros."""
    made = sparse.csr_matrix(matrix, copy=True)
    lengths = np.diff(made.indptr)
    rows = np.repeat(np.arange(made.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=made.data * made.data, minlength=made.shape[0]))
    norms[norms == 0] = 1
    made.data = (made.data / np.repeat(norms, lengths)).astype(made.dtype)
    return made


@lru_cache(maxsize=8192)
def topic_column(topic: str) -> int:
    """The column scikit-learn's FeatureHasher gives the topic (MurmurHash3, 32 bits, seed 0): topics are few,
    and computing it here keeps scoring free of scikit-learn."""
    data, mask = topic.encode(), 0xFFFFFFFF
    h, whole = 0, len(data) // 4 * 4
    for at in range(0, whole + 4, 4):
        if at == whole:
            k = int.from_bytes(data[whole:], "little")  # the tail: 0 to 3 bytes
            if whole == len(data):
                break
        else:
            k = int.from_bytes(data[at : at + 4], "little")
        k = (k * 0xCC9E2D51) & mask
        k = ((k << 15) | (k >> 17)) & mask
        h ^= (k * 0x1B873593) & mask
        if at < whole:
            h = ((h << 13) | (h >> 19)) & mask
            h = (h * 5 + 0xE6546B64) & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    signed = h - (1 << 32) if h >= 1 << 31 else h
    if signed == -(1 << 31):
        return (2147483647 - (N_TOPICS - 1)) % N_TOPICS
    return abs(signed) % N_TOPICS


def topics(papers: Sequence[Paper], evidence: Evidence) -> sparse.csr_matrix:
    """Each paper's topic points (log scale), hashed, at unit length."""
    rows: list[dict[int, float]] = []
    for paper in papers:
        row: dict[int, float] = {}
        for topic, (points, _) in evidence.get(paper.key, {}).items():
            column = topic_column(topic)
            row[column] = row.get(column, 0.0) + float(np.float32(math.log1p(points)))
        rows.append(row)
    indptr = np.r_[0, np.cumsum([len(row) for row in rows])]
    indices = np.fromiter((c for row in rows for c in sorted(row)), np.int32, count=int(indptr[-1]))
    data = np.fromiter((row[c] for row in rows for c in sorted(row)), np.float32, count=int(indptr[-1]))
    return normalize(sparse.csr_matrix((data, indices, indptr), shape=(len(papers), N_TOPICS)))


class Idf:
    """A fitted TfidfTransformer's weights, kept small: its idf is one value for every column the labelled papers
    lack, so only the few thousand they have are kept. The same float32 operations as scikit-learn's `transform`."""

    def __init__(self, seen: np.ndarray, values: np.ndarray, absent: float) -> None:
        self.seen, self.values, self.absent = seen, values, absent

    @classmethod
    def fitted(cls, counts: sparse.csr_matrix) -> Idf:
        from sklearn.feature_extraction.text import TfidfTransformer

        fitted = TfidfTransformer(sublinear_tf=True).fit(counts)
        present = _present(counts)
        seen = np.flatnonzero(present).astype(counts.indices.dtype)
        absent = int(np.argmin(present))  # the first column no paper has
        return cls(seen, fitted.idf_[seen], fitted.idf_[absent])

    def transform(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        return self.weigh(sublinear(counts))

    def weigh(self, sublinear_counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Sublinear counts (bot/feedback/candidates.py) times this idf, at unit length."""
        made = sublinear_counts.copy()
        idf = np.full(made.shape[1], self.absent)  # looked up by column: a search per word cost a channel 10 ms
        idf[self.seen] = self.values
        made.data *= idf[made.indices]
        return normalize(made)


def vectors(
    papers: Sequence[Paper], evidence: Evidence, weights: Idf, counts: sparse.csr_matrix | None = None
) -> sparse.csr_matrix:
    """Each paper's vector: its words' tf-idf and, after them, its topic points (at TOPIC_WEIGHT)."""
    counts = WORD_COUNTS.counts(papers) if counts is None else counts
    words = normalize(weights.transform(counts))
    return sparse.hstack([words, TOPIC_WEIGHT * topics(papers, evidence)], format="csr")


def _present(matrix: sparse.csr_matrix) -> np.ndarray:
    """Which columns some row has: a mask as wide as the matrix, which numpy fills far faster than `np.unique`
    sorts (or hashes) a thousand papers' column numbers (25 ms a call)."""
    present = np.zeros(matrix.shape[1], dtype=bool)
    present[matrix.indices] = True
    return present


def taken_columns(matrix: sparse.csr_matrix) -> np.ndarray:
    """The columns some row has, in order: `np.unique(matrix.indices)`."""
    return np.flatnonzero(_present(matrix)).astype(matrix.indices.dtype)


def select_columns(matrix: sparse.csr_matrix, columns: np.ndarray) -> sparse.csr_matrix:
    """`matrix[:, columns]` for sorted, distinct columns: scipy's indexing builds a selection matrix as wide as
    the 263,168 hashed columns for every call, which made scoring a kept model cost more than training it."""
    place = np.full(matrix.shape[1], -1, dtype=np.int32)  # each column's place among `columns`: looked up, not
    place[columns] = np.arange(len(columns), dtype=np.int32)  # searched, for each of the candidates' words
    at = place[matrix.indices]
    kept = at >= 0
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))[kept]
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=matrix.shape[0]))]
    return sparse.csr_matrix((matrix.data[kept], at[kept], indptr), shape=(matrix.shape[0], len(columns)))


@dataclass
class Taste:
    """A trained model for one channel, and the liked papers that explain it."""

    coef: np.ndarray  # the logistic regression's weight of each of `columns`
    intercept: float
    weights: Idf
    liked_keys: tuple[str, ...]
    liked_titles: tuple[str, ...]
    columns: np.ndarray  # the hashed features the labelled papers have: the only ones the model can weigh
    liked_vectors: sparse.csr_matrix
    signals: int
    kind: np.ndarray  # each liked paper's interest (bot/feedback/interests.py), -1 for one not kept
    spoken: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # each interest's weights, a column each

    def __post_init__(self) -> None:
        if self.interests > 1 and self.spoken.shape != (len(self.columns), self.interests):
            from bot.feedback.interests import spoken  # made once, when trained: a kept model stores it

            self.spoken = spoken(self.coef, self.liked_vectors, self.kind)

    @property
    def interests(self) -> int:
        return int(self.kind.max(initial=-1)) + 1

    @property
    def likes(self) -> int:
        return len(self.liked_keys)

    def vectors(
        self, papers: Sequence[Paper], evidence: Evidence, candidates: Candidates | None = None
    ) -> sparse.csr_matrix:
        """The papers' vectors over this model's columns (those `vectors` gives, picked): the model-free rows come
        from `candidates` (a pass's, each paper's built once for every channel)."""
        return self.weighed((candidates or Candidates()).rows(papers, evidence))

    def weighed(self, rows: Rows) -> sparse.csr_matrix:
        """Model-free rows (`Candidates.rows`) weighed by this idf into the vectors over this model's columns."""
        words, topical = rows
        split = int(np.searchsorted(self.columns, N_WORDS))
        idf = self.weights
        picked = weighed(words, idf.seen, idf.values, idf.absent, self.columns[:split])
        return side_by_side(picked, select_columns(topical, self.columns[split:] - N_WORDS))

    def liking(self, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
        """The probability that the channel likes each paper of `rows` (`Candidates.rows`; LogisticRegression's
        `predict_proba`), and how much each interest speaks for it (bot/feedback/interests.py: a column an
        interest, none with one interest): `weighed(rows) @ coef` and `@ spoken`, without building the vectors."""
        words, topical = rows
        idf = self.weights
        weights = np.column_stack([self.coef, self.spoken]) if self.interests > 1 else self.coef[:, None]
        made = read(words, topical, (idf.seen, idf.values, idf.absent), self.columns, weights)
        decision = made[:, 0] + self.intercept
        return 1.0 / (1.0 + np.exp(-decision)), made[:, 1:]

    def alike(self, vectors: sparse.csr_matrix, least: float = 0.1) -> list[list[int]]:
        """For each paper, the liked papers (indexes into `liked_keys`) it resembles most, most alike first."""
        similar = (vectors @ self.liked_vectors.T).toarray()
        return [[int(i) for i in np.argsort(-row)[:3] if row[i] >= least] for row in similar]

    def dump(self) -> bytes:
        """The model as bytes: a JSON head (the texts and numbers, and each array's type and shape), then the
        arrays' own bytes. Loading needs no pickle, and reads each array in place (`np.load` of an archive of
        fifteen arrays cost a pass 2 ms a channel)."""
        liked = self.liked_vectors
        arrays = {
            "coef": self.coef,
            "seen": self.weights.seen,
            "values": self.weights.values,
            "columns": self.columns,
            "liked_data": liked.data,
            "liked_indices": liked.indices,
            "liked_indptr": liked.indptr,
            "kind": self.kind,
            "spoken": self.spoken,
        }
        head = {
            "intercept": float(self.intercept),
            "absent": float(self.weights.absent),
            "signals": int(self.signals),
            "liked_keys": self.liked_keys,
            "liked_titles": self.liked_titles,
            "arrays": [(name, a.dtype.str, a.shape) for name, a in arrays.items()],
        }
        return pack(head, list(arrays.values()))

    @classmethod
    def load(cls, stored: bytes) -> Taste:
        head, found = unpack(stored)
        columns = found["columns"]
        liked = sparse.csr_matrix(
            (found["liked_data"], found["liked_indices"], found["liked_indptr"]),
            shape=(len(found["liked_indptr"]) - 1, len(columns)),
        )
        return cls(
            found["coef"],
            float(head["intercept"]),
            Idf(found["seen"], found["values"], float(head["absent"])),
            tuple(head["liked_keys"]),
            tuple(head["liked_titles"]),
            columns,
            liked,
            int(head["signals"]),
            found["kind"],
            found["spoken"],
        )


def pack(head: dict, arrays: list[np.ndarray]) -> bytes:
    """`head` as JSON (its length first, 4 bytes), then each array's bytes, each starting at a multiple of 8."""
    text = json.dumps(head, ensure_ascii=False).encode()
    parts = [len(text).to_bytes(4, "little"), text]
    size = 4 + len(text)
    for array in arrays:
        parts.append(bytes(-size % 8))
        size += -size % 8
        made = np.ascontiguousarray(array).tobytes()
        parts.append(made)
        size += len(made)
    return b"".join(parts)


def unpack(stored: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """What `pack` packed: the head, and its arrays by name (read-only views of `stored`)."""
    length = int.from_bytes(stored[:4], "little")
    head = json.loads(stored[4 : 4 + length])
    at, found = 4 + length, {}
    for name, kind, shape in head["arrays"]:
        at += -at % 8
        dtype = np.dtype(kind)
        count = math.prod(shape)
        found[name] = np.frombuffer(stored, dtype, count=count, offset=at).reshape(shape)
        at += count * dtype.itemsize
    return head, found


__all__ = ["N_WORDS", "TOPIC_WEIGHT", "Idf", "Taste", "normalize", "topic_column", "topics", "vectors"]
