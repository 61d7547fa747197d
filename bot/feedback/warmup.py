"""Five papers for a channel to rate (`/papers warmup`): those its answers would teach its model most about.

Active learning in its plainest form: each pick is the paper the model is least sure of (without a
model, the best placed in the channel's own order), less its likeness to the papers picked already,
so that five clicks cover five different kinds of paper instead of five of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from bot.domain import Match
from bot.feedback.learned import WORD_COUNTS, Taste

WARMUP = 5
ALIKE = 1.0  # how much likeness to a picked paper takes off a candidate's worth


def warmup(matches: Sequence[Match], taste: Taste | None, evidence: Mapping, count: int = WARMUP) -> list[Match]:
    """`count` of the matches (the channel's order, best first), diverse and, with a model, uncertain."""
    if len(matches) <= count:
        return list(matches)
    papers = [m.paper for m in matches]
    words = normalize(TfidfTransformer(sublinear_tf=True).fit_transform(WORD_COUNTS.counts(papers)))
    alike = (words @ words.T).toarray()
    if taste is not None:
        worth = 1.0 - 2.0 * np.abs(taste.score(taste.vectors(papers, evidence)) - 0.5)
    else:
        worth = 1.0 - np.arange(len(papers)) / len(papers)
    chosen = [int(np.argmax(worth))]
    while len(chosen) < count:
        value = worth - ALIKE * alike[:, chosen].max(axis=1)
        value[chosen] = -np.inf
        chosen.append(int(np.argmax(value)))
    return [matches[i] for i in chosen]
