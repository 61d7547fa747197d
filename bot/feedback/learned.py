"""A channel's taste learned from its feedback: a linear model over tf-idf of title and abstract and topic evidence.

In the manner of arxiv-sanity: each paper is a sparse vector (hashed word and word-pair counts of
its title, twice, and abstract, tf-idf weighted; plus its stored topic evidence), and a logistic
regression learns the channel's likes against its dislikes and what it was shown and ignored; a channel
that only liked and was shown nothing yet learns its likes against a sample of the post's other candidates
(arxiv-sanity's "every other paper"). Tried as a tenth-weight negative beside dislikes too, that sample
pulled the liked kind of paper down with its own unshown candidates (tests/test_learned_ranking.py).
Hashing needs no vocabulary, so training and scoring cost only the papers involved. What is trained is
kept as numbers (bot/feedback/taste.py): scoring it needs no scikit-learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
from sklearn.feature_extraction import FeatureHasher
from sklearn.linear_model import LogisticRegression

from bot.feedback.interests import kinds
from bot.feedback.signals import Labels
from bot.feedback.taste import N_TOPICS, TOPIC_WEIGHT, Idf, Taste, select_columns, taken_columns, vectors
from bot.feedback.word_counts import WORD_COUNTS, WordCounts, paper_texts, text_hash, words_hasher

Evidence = Mapping[str, Mapping[str, tuple[float, tuple[str, ...]]]]  # paper key -> topic -> (points, why)

WORDS = words_hasher()
TOPICS = FeatureHasher(n_features=N_TOPICS, input_type="dict", alternate_sign=False, dtype=np.float32)
IGNORED_WEIGHT = 0.3  # shown and ignored is weaker evidence than a dislike: many ignore what they would like
C = 4.0  # little regularisation: the words that set a liked paper apart are few and should count


def train(labels: Labels, evidence: Evidence) -> Taste | None:
    """The channel's taste, or None when there is nothing to tell apart (no like, or nothing but likes)."""
    if labels.disliked or labels.ignored:
        labels = replace(labels, background=())  # said and shown negatives tell more; the sample would blur them
    papers = [*labels.liked, *labels.disliked, *labels.ignored, *labels.background]
    if not labels.liked or len(papers) == len(labels.liked):
        return None
    counts = WORD_COUNTS.counts(papers)
    weights = Idf.fitted(counts)
    every = vectors(papers, evidence, weights, counts)
    columns = taken_columns(every)  # a few thousand of the hashed 263,168: liblinear's cost follows columns
    made = select_columns(every, columns)
    model = LogisticRegression(C=C, solver="liblinear", dual=True, random_state=0)
    liked = len(labels.liked)
    target = np.r_[np.ones(liked), np.zeros(len(papers) - liked)]
    model.fit(made, target, sample_weight=_weights(labels))
    kind = kinds(made[:liked])
    keys, titles = tuple(p.key for p in labels.liked), tuple(p.title for p in labels.liked)
    coef, intercept = model.coef_[0], float(model.intercept_[0])
    return Taste(coef, intercept, weights, keys, titles, columns, made[:liked], labels.signals, kind)


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


__all__ = [
    "TOPIC_WEIGHT",
    "WORDS",
    "WORD_COUNTS",
    "Evidence",
    "Idf",
    "Taste",
    "WordCounts",
    "paper_texts",
    "text_hash",
    "train",
]
