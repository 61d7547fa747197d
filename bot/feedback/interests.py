"""A channel's several interests: its likes in kinds, and each kind keeping places in the post.

One model over all of a channel's likes collapses onto the larger of two interests (a lab that does RL
and robotics is shown RL), and an interest that is not shown is never liked again. So the liked papers are
clustered (average linkage over their cosine likeness, as the model's vectors have it), each cluster of
likes is an interest, each candidate belongs to the interest whose centroid it is most like, and each
interest keeps at least KEPT of the post's places (a paper more like what the channel did not like than like
any of its interests is of none): its best papers in the channel's order take the places
of the lowest placed papers of an interest that holds more than KEPT.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from bot.feedback.taste import normalize, unit_rows

# Tuned with bench/feedback.py --two-interests: two kinds of likes are two interests when their papers are, on
# average, less alike than this (the same subscription's papers share its topic evidence: about 0.3 apart).
APART = 0.15
LEAST = 2  # likes a second or third interest needs: one like is an anecdote (a loose match, a click by the way)
MOST = 3  # interests kept at most: a post of 10 cannot give more than three of them their places
KEPT = 3  # places of the post each interest keeps at least
PAGE = 10  # ... of each so many: a post's usual size, and a preview's page


def kinds(liked: sparse.csr_matrix) -> np.ndarray:
    """Each liked paper's interest: 0 the kind with the most likes, then 1, 2; -1 for a kind beyond MOST or with
    fewer than LEAST likes."""
    from scipy.cluster.hierarchy import fcluster, linkage  # training only: scoring a kept model needs neither
    from scipy.spatial.distance import squareform

    count = liked.shape[0]
    if count < 2:
        return np.zeros(count, dtype=int)
    unit = normalize(liked)
    distance = np.clip(1.0 - (unit @ unit.T).toarray(), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    found = fcluster(linkage(squareform(distance, checks=False), method="average"), 1.0 - APART, "distance")
    sizes = np.bincount(found)
    ranked = sorted(set(found.tolist()), key=lambda k: (-sizes[k], int(np.flatnonzero(found == k)[0])))
    renamed = {k: (at if at < MOST and (at == 0 or sizes[k] >= LEAST) else -1) for at, k in enumerate(ranked)}
    return np.array([renamed[k] for k in found.tolist()], dtype=int)


def centroids(vectors: sparse.csr_matrix, kind: np.ndarray) -> np.ndarray:
    """Each interest's centroid (rows, unit length) from its papers' unit vectors, and last the centroid of
    the papers of kind -2: what the channel did not like (disliked, ignored, the background)."""
    unit = normalize(vectors)
    wanted = [*range(int(kind.max(initial=-1)) + 1), -2]
    return unit_rows(np.vstack([np.asarray(unit[kind == k].mean(axis=0)).ravel() for k in wanted]))


def belongs(vectors: sparse.csr_matrix, centres: np.ndarray) -> np.ndarray:
    """Each paper's interest: the one whose centroid it is most like, or -1 when it is more like what the
    channel did not like (a Rocchio classifier: one centroid a class)."""
    alike = np.asarray(normalize(vectors) @ centres.T)
    best = np.argmax(alike, axis=1)
    return np.where(best == len(centres) - 1, -1, best)


def share(order: np.ndarray, interest: np.ndarray, shown: int, kept: int = KEPT, page: int = PAGE) -> np.ndarray:
    """`order` with each interest holding at least `kept` of each `page` of its first `shown` places (or all it
    has left): its best papers below come in, at the page's end, for the lowest placed papers of no interest or
    of an interest that holds more."""
    done: list[int] = []
    rest = [int(i) for i in order]
    while len(done) < shown and rest:
        top, rest = _shared(rest[: min(page, shown - len(done))], rest[min(page, shown - len(done)) :], interest, kept)
        done += top
    return np.array(done + rest, dtype=int)


def _shared(top: list[int], rest: list[int], interest: np.ndarray, kept: int) -> tuple[list[int], list[int]]:
    for wanted in range(int(interest.max(initial=-1)) + 1):
        missing = kept - sum(interest[i] == wanted for i in top)
        for paper in [i for i in rest if interest[i] == wanted][: max(missing, 0)]:
            held = Counter(int(interest[i]) for i in top)
            leaving = next((i for i in reversed(top) if interest[i] < 0 or held[int(interest[i])] > kept), None)
            if leaving is None:
                break
            top.remove(leaving)
            top.append(paper)
            rest.remove(paper)
            rest.insert(0, leaving)
    return top, rest


__all__ = ["APART", "KEPT", "MOST", "belongs", "centroids", "kinds", "share"]
