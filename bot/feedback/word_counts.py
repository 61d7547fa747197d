"""Each paper's hashed word counts (title twice, keywords, abstract), kept per process and stored per paper.

Counting a paper (its Snowball stems and word pairs, hashed) is most of what a channel's model costs; a pass
meets the same candidates in channel after channel, and a fresh process reads the stored counts back. Only a
paper no process counted yet needs scikit-learn's hasher: a pass whose models are kept imports none of it.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.domain import Paper

if TYPE_CHECKING:
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.feature_extraction.text import HashingVectorizer

N_WORDS = 2**18  # hashed word and word-pair columns


@lru_cache(maxsize=1)
def words_hasher() -> HashingVectorizer:
    """The words as find by meaning reads them (bot/retrieval/features.py: Snowball stems, function words out),
    and word pairs: one notion of which words two papers share, here and in `like:`."""
    from sklearn.feature_extraction.text import HashingVectorizer

    from bot.retrieval.features import stems_and_pairs

    return HashingVectorizer(
        n_features=N_WORDS, analyzer=stems_and_pairs, alternate_sign=False, norm=None, dtype=np.float32
    )


@lru_cache(maxsize=1)
def _pairs_hasher() -> FeatureHasher:
    """`words_hasher`'s hashing, fed (token, 1) pairs: the same columns and counts, from tokens made beforehand."""
    from sklearn.feature_extraction import FeatureHasher

    return FeatureHasher(n_features=N_WORDS, input_type="pair", alternate_sign=False, dtype=np.float32)


def count_words(texts: Sequence[str]) -> sparse.csr_matrix:
    """`words_hasher().transform(texts)`, the same matrix to the bit, at about half its cost: each piece of text
    stemmed once for the batch (`Stemmer`), and the tokens handed to the hasher without a generator per token."""
    from bot.retrieval.features import Stemmer

    stemmer = Stemmer()

    def tokens(text: str) -> Iterable[tuple[str, int]]:
        words = stemmer.stems(text)
        return zip(itertools.chain(words, map(" ".join, itertools.pairwise(words))), itertools.repeat(1))

    return _pairs_hasher().transform(map(tokens, texts))


def paper_texts(papers: Sequence[Paper]) -> list[str]:
    return [f"{p.title}. {p.title}. {' '.join(p.ai_keywords)} {p.abstract}" for p in papers]


class WordCounts:
    """Each paper's hashed word counts, kept for the papers used last: finding a paper's stems is most of what
    training and scoring cost (bench/feedback.py), and a pass meets the same papers in channel after channel.
    Counts made here are handed out (`fresh`) to be stored, and stored ones taken in (`recall`), so that a new
    process reads a paper's counts instead of stemming it again."""

    def __init__(self, size: int = 10_000) -> None:  # about 2.3 kB a paper: 23 MB at most
        self.size = size
        self._kept: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._fresh: dict[str, tuple[str, np.ndarray, np.ndarray]] = {}
        self._hashed: dict[tuple[str, str, str, tuple[str, ...]], str] = {}  # (key, title, abstract, keywords)
        self._guard = threading.Lock()

    def counts(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        names = self._names(papers)
        with self._guard:
            rows = [self._kept.get(name) for name in names]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            made = count_words(paper_texts([papers[i] for i in missing]))
            for at, i in enumerate(missing):
                start, end = made.indptr[at], made.indptr[at + 1]
                rows[i] = (made.indices[start:end].astype(np.int32), made.data[start:end].copy())
        with self._guard:
            for i in missing[: max(self.size - len(self._fresh), 0)]:  # a process that never stores them: bounded
                self._fresh[names[i][0]] = (names[i][1], *rows[i])  # type: ignore[misc]
            self._keep(zip(names, rows, strict=True))  # type: ignore[arg-type]
        kept = [row for row in rows if row is not None]
        indptr = np.r_[0, np.cumsum([len(indices) for indices, _ in kept])]
        indices = np.concatenate([i for i, _ in kept]) if kept else np.zeros(0, np.int32)
        data = np.concatenate([d for _, d in kept]) if kept else np.zeros(0, np.float32)
        return sparse.csr_matrix((data, indices, indptr), shape=(len(papers), N_WORDS))

    def missing(self, papers: Sequence[Paper]) -> list[Paper]:
        """The papers whose counts are not kept here (for their current text)."""
        names = self._names(papers)
        with self._guard:
            return [p for p, name in zip(papers, names, strict=True) if name not in self._kept]

    def _names(self, papers: Sequence[Paper]) -> list[tuple[str, str]]:
        """Each paper's (key, hash of its text). The hashes are kept by the text's own strings, whose Python
        hashes are cached: a pass asks for the same candidates in channel after channel, and hashing their
        texts again each time cost a channel with feedback more than its model's fit."""
        texts = [(p.key, p.title, p.abstract, tuple(p.ai_keywords)) for p in papers]
        with self._guard:
            known = [self._hashed.get(text) for text in texts]
        new = [i for i, digest in enumerate(known) if digest is None]
        if new:
            made = [text_hash(text) for text in paper_texts([papers[i] for i in new])]
            with self._guard:
                for i, digest in zip(new, made, strict=True):
                    known[i] = self._hashed[texts[i]] = digest
                while len(self._hashed) > self.size:
                    del self._hashed[next(iter(self._hashed))]  # the oldest first (dicts keep their order)
        return [(p.key, digest or "") for p, digest in zip(papers, known, strict=True)]

    def recall(self, stored: Mapping[str, tuple[str, bytes, bytes]]) -> None:
        """Take in stored counts: paper key -> (text hash, int32 columns, float32 counts)."""
        rows = (
            ((key, digest), (np.frombuffer(columns, np.int32), np.frombuffer(counts, np.float32)))
            for key, (digest, columns, counts) in stored.items()
        )
        with self._guard:
            self._keep(rows)

    def fresh(self) -> dict[str, tuple[str, bytes, bytes]]:
        """The counts made since the last call, to be stored: paper key -> (text hash, columns, counts)."""
        with self._guard:
            made, self._fresh = self._fresh, {}
        return {key: (digest, columns.tobytes(), counts.tobytes()) for key, (digest, columns, counts) in made.items()}

    def _keep(self, rows: Iterable[tuple[tuple[str, str], tuple[np.ndarray, np.ndarray]]]) -> None:
        for name, row in rows:
            self._kept[name] = row
            self._kept.move_to_end(name)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        with self._guard:
            self._kept.clear()
            self._fresh.clear()
            self._hashed.clear()


def text_hash(text: str) -> str:
    """Which text a paper's counts count, the same in every process (Python's own hash is salted per process)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


WORD_COUNTS = WordCounts()  # one per process, as the models (bot/feedback/kept.py)
