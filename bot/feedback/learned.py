"""A channel's taste learned from its feedback: a linear model over tf-idf of title and abstract and topic evidence.

In the manner of arxiv-sanity: each paper is a sparse vector (hashed word and word-pair counts of
its title, twice, and abstract, tf-idf weighted; plus its stored topic evidence), and a logistic
regression learns the channel's likes against its dislikes and what it was shown and ignored; a channel
that only liked and was shown nothing yet learns its likes against a sample of the post's other candidates
(arxiv-sanity's "every other paper"). Tried as a tenth-weight negative beside dislikes too, that sample
pulled the liked kind of paper down with its own unshown candidates (tests/test_learned_ranking.py).
Hashing needs no vocabulary, so training and scoring cost only the papers involved.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from bot.domain import Paper
from bot.feedback.interests import centroids, kinds
from bot.feedback.signals import Labels
from bot.retrieval.features import stems_and_pairs

Evidence = Mapping[str, Mapping[str, tuple[float, tuple[str, ...]]]]  # paper key -> topic -> (points, why)

# The words as find by meaning reads them (bot/retrieval/features.py: Snowball stems, function words out),
# and word pairs: one notion of which words two papers share, here and in `like:`.
WORDS = HashingVectorizer(n_features=2**18, analyzer=stems_and_pairs, alternate_sign=False, norm=None, dtype=np.float32)
TOPICS = FeatureHasher(n_features=2**10, input_type="dict", alternate_sign=False, dtype=np.float32)
TOPIC_WEIGHT = 0.5  # the topic part's share of a paper's vector, beside its words
IGNORED_WEIGHT = 0.3  # shown and ignored is weaker evidence than a dislike: many ignore what they would like
C = 4.0  # little regularisation: the words that set a liked paper apart are few and should count


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
            made = WORDS.transform(paper_texts([papers[i] for i in missing]))
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
        return sparse.csr_matrix((data, indices, indptr), shape=(len(papers), WORDS.n_features))

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


WORD_COUNTS = WordCounts()  # one per process, as the models (bot/feedback/rerank.py)


class Idf:
    """A fitted TfidfTransformer's weights, kept small: its idf is one value for every column the labelled papers
    lack, so only the few thousand they have are kept (the full array, a megabyte a model, made 512 kept models a
    pass's largest memory). The same float32 operations as scikit-learn's `transform`: the same vectors."""

    def __init__(self, counts: sparse.csr_matrix) -> None:
        fitted = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.seen = np.unique(counts.indices)
        self.values = fitted.idf_[self.seen]
        absent = int(np.flatnonzero(np.isin(np.arange(len(self.seen) + 1), self.seen, invert=True))[0])
        self.absent = fitted.idf_[absent]

    def transform(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        made = counts.astype(np.float32, copy=True)
        np.log(made.data, made.data)
        made.data += 1.0
        if len(self.seen):
            at = np.minimum(np.searchsorted(self.seen, made.indices), len(self.seen) - 1)
            made.data *= np.where(self.seen[at] == made.indices, self.values[at], self.absent)
        else:
            made.data *= self.absent
        return normalize(made)


def _vectors(
    papers: Sequence[Paper], evidence: Evidence, weights: Idf, counts: sparse.csr_matrix | None = None
) -> sparse.csr_matrix:
    counts = WORD_COUNTS.counts(papers) if counts is None else counts
    words = normalize(weights.transform(counts))
    return sparse.hstack([words, TOPIC_WEIGHT * _topics(papers, evidence)], format="csr")


def _topics(papers: Sequence[Paper], evidence: Evidence) -> sparse.csr_matrix:
    rows = [{t: math.log1p(points) for t, (points, _) in evidence.get(p.key, {}).items()} for p in papers]
    return normalize(TOPICS.transform(rows))


@dataclass
class Taste:
    """A trained model for one channel, and the liked papers that explain it."""

    model: LogisticRegression
    weights: Idf
    liked: tuple[Paper, ...]
    columns: np.ndarray  # the hashed features the labelled papers have: the only ones the model can weigh
    liked_vectors: sparse.csr_matrix
    signals: int
    kind: np.ndarray  # each liked paper's interest (bot/feedback/interests.py), -1 for one not kept
    centres: np.ndarray  # each interest's centroid, and last the centroid of what the channel did not like

    @property
    def interests(self) -> int:
        return len(self.centres) - 1

    def vectors(self, papers: Sequence[Paper], evidence: Evidence) -> sparse.csr_matrix:
        return _vectors(papers, evidence, self.weights)[:, self.columns]

    def score(self, vectors: sparse.csr_matrix) -> np.ndarray:
        """The probability that the channel likes each paper."""
        return self.model.predict_proba(vectors)[:, 1]

    def alike(self, vectors: sparse.csr_matrix, least: float = 0.1) -> list[list[int]]:
        """For each paper, the liked papers (indexes into `liked`) it resembles most, most alike first."""
        similar = (vectors @ self.liked_vectors.T).toarray()
        return [[int(i) for i in np.argsort(-row)[:3] if row[i] >= least] for row in similar]


def train(labels: Labels, evidence: Evidence) -> Taste | None:
    """The channel's taste, or None when there is nothing to tell apart (no like, or nothing but likes)."""
    if labels.disliked or labels.ignored:
        labels = replace(labels, background=())  # said and shown negatives tell more; the sample would blur them
    papers = [*labels.liked, *labels.disliked, *labels.ignored, *labels.background]
    if not labels.liked or len(papers) == len(labels.liked):
        return None
    counts = WORD_COUNTS.counts(papers)
    weights = Idf(counts)
    every = _vectors(papers, evidence, weights, counts)
    columns = np.unique(every.indices)  # a few thousand of the hashed 263,168: liblinear's cost follows columns
    vectors = every[:, columns]
    model = LogisticRegression(C=C, solver="liblinear", dual=True, random_state=0)
    liked = len(labels.liked)
    target = np.r_[np.ones(liked), np.zeros(len(papers) - liked)]
    model.fit(vectors, target, sample_weight=_weights(labels))
    kind = kinds(vectors[:liked])
    centres = centroids(vectors, np.r_[kind, np.full(len(papers) - liked, -2)])
    return Taste(model, weights, labels.liked, columns, vectors[:liked], labels.signals, kind, centres)


def _weights(labels: Labels) -> np.ndarray:
    """Each paper's weight: likes and negatives balanced by count (as scikit-learn's "balanced"), a shown and
    ignored paper IGNORED_WEIGHT of a dislike."""
    negatives = len(labels.disliked) + len(labels.ignored) + len(labels.background)
    total = len(labels.liked) + negatives
    like, negative = total / (2 * len(labels.liked)), total / (2 * negatives)
    return np.r_[
        np.full(len(labels.liked), like),
        np.full(len(labels.disliked), negative),
        np.full(len(labels.ignored), negative * IGNORED_WEIGHT),
        np.full(len(labels.background), negative),
    ]
