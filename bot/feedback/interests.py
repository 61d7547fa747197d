"""A channel's several interests: its likes in kinds, and each kind keeping places in the post.

One model over all of a channel's likes collapses onto the larger of two interests (a lab that does RL
and robotics is shown RL), and an interest that is not shown is never liked again. So the liked papers are
clustered (average linkage over their cosine likeness, as the model's vectors have it) and each cluster of
likes is an interest: a small mixture over the one model's weights. Each interest speaks with the model's
weights less those of the words and topics only the other interests' likes hold; a candidate belongs to the
interest that speaks for it most (to none when none speaks for it), and each interest keeps at least KEPT of
the post's places: its best papers by its own voice take the places of the lowest placed papers of no interest
or of an interest that holds more. Ranked by the one model, the smaller interest's places went to papers the
larger one's words had pulled up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.feedback.taste import normalize

if TYPE_CHECKING:
    from bot.feedback.taste import Taste

# Tuned with bench/feedback.py --two-interests: two kinds of likes are two interests when their papers are, on
# average, less alike than this. With the meaning index's words (issue 26) the likes of one hidden interest are
# 0.10-0.25 alike and of two 0.01-0.06 (0.11 at most): at 0.15 one interest's likes fell apart into single likes.
APART = 0.08
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


def voices(vectors: sparse.csr_matrix, taste: Taste) -> np.ndarray:
    """How much each interest speaks for each paper (a column an interest): the model's score of it without the
    weights of the columns only the other interests' likes hold. One model, each interest its own part of it.
    (A post reads it with the model's liking: `Taste.liking`.)"""
    return np.asarray(vectors @ taste.spoken)


def belongs(voice: np.ndarray) -> np.ndarray:
    """Each paper's interest: the one whose likes speak for it most, or -1 when none speaks for it."""
    best = np.argmax(voice, axis=1)
    return np.where(voice[np.arange(len(best)), best] > 0, best, -1)


def spoken(coef: np.ndarray, liked: sparse.csr_matrix, kind: np.ndarray) -> np.ndarray:
    """The model's weights as each interest speaks them (a column an interest): all of them but those of the
    columns that only other interests' likes hold (what is said against a paper, every interest says)."""
    liked = liked.tocsr()
    interests = int(kind.max(initial=-1)) + 1
    weights = np.repeat(coef[:, None], interests, axis=1)
    for k in range(interests):
        others = np.setdiff1d(np.unique(liked[kind != k].indices), np.unique(liked[kind == k].indices))
        weights[others, k] = 0.0
    return weights


def share(
    order: np.ndarray,
    interest: np.ndarray,
    shown: int,
    kept: int = KEPT,
    page: int = PAGE,
    own: Sequence[np.ndarray] = (),
) -> np.ndarray:
    """`order` with each interest holding at least `kept` of each `page` of its first `shown` places (or all it
    has left): its best papers below (first in `own[k]`, its own order; else in `order`) come in, at the page's
    end, for the lowest placed papers of no interest or of an interest that holds more."""
    done: list[int] = []
    rest = [int(i) for i in order]
    ranked = [[int(i) for i in o] for o in own]
    while len(done) < shown and rest:
        size = min(page, shown - len(done))
        top, rest = _shared(rest[:size], rest[size:], interest, kept, ranked)
        done += top
    return np.array(done + rest, dtype=int)


def _shared(
    top: list[int], rest: list[int], interest: np.ndarray, kept: int, own: list[list[int]]
) -> tuple[list[int], list[int]]:
    for wanted in range(int(interest.max(initial=-1)) + 1):
        missing = kept - sum(interest[i] == wanted for i in top)
        below = set(rest)
        mine = own[wanted] if wanted < len(own) else rest
        for paper in [i for i in mine if i in below and interest[i] == wanted][: max(missing, 0)]:
            held = Counter(int(interest[i]) for i in top)
            leaving = next((i for i in reversed(top) if interest[i] < 0 or held[int(interest[i])] > kept), None)
            if leaving is None:
                break
            top.remove(leaving)
            top.append(paper)
            rest.remove(paper)
            rest.insert(0, leaving)
    return top, rest


__all__ = ["APART", "KEPT", "MOST", "belongs", "kinds", "share", "spoken", "voices"]
