"""The five-paper warm-up `/papers warmup` offered before it asked for kinds: kept as bench/feedback.py's comparison.

Five papers for a channel to rate: those its answers would teach its model most about.

Active learning in its plainest form: with a model, each pick is the paper the model is least sure of,
less its likeness to the papers picked already, so that five clicks cover five different kinds of
paper instead of five of one. Without a model, the candidates are split in five kinds (k-means over
their words) and each kind offers its most typical paper: a click teaches only when it can be a like
(a model learns what a channel wants from its likes), and papers picked for being unlike the others
are the odd ones, which few channels want (bench/feedback.py --warmup).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from bot.domain import Match
from bot.feedback.candidates import Candidates
from bot.feedback.learned import WORD_COUNTS, Taste

WARMUP = 5
ALIKE = 1.0  # how much likeness to a picked paper takes off a candidate's worth


def warmup(matches: Sequence[Match], taste: Taste | None, evidence: Mapping, count: int = WARMUP) -> list[Match]:
    """`count` of the matches (the channel's order, best first), diverse and, with a model, uncertain."""
    if len(matches) <= count:
        return list(matches)
    papers = [m.paper for m in matches]
    words = normalize(TfidfTransformer(sublinear_tf=True).fit_transform(WORD_COUNTS.counts(papers)))
    if taste is None:
        return [matches[i] for i in typical(words, count)]
    alike = (words @ words.T).toarray()
    worth = 1.0 - 2.0 * np.abs(taste.liking(Candidates().rows(papers, evidence))[0] - 0.5)
    chosen = [int(np.argmax(worth))]
    while len(chosen) < count:
        value = worth - ALIKE * alike[:, chosen].max(axis=1)
        value[chosen] = -np.inf
        chosen.append(int(np.argmax(value)))
    return [matches[i] for i in chosen]


def typical(words: sparse.csr_matrix, count: int) -> list[int]:
    """The most typical paper (nearest its centre) of each of `count` kinds of the papers, the largest kind first."""
    from sklearn.cluster import KMeans

    found = KMeans(n_clusters=count, n_init=3, random_state=0).fit(words)
    sizes = np.bincount(found.labels_, minlength=count)
    alike = np.asarray(words @ normalize(found.cluster_centers_).T)
    chosen = []
    for kind in np.argsort(-sizes, kind="stable"):
        members = np.flatnonzero(found.labels_ == kind)
        if len(members):
            chosen.append(int(members[np.argmax(alike[members, kind])]))
    return chosen
