"""The kinds of paper a channel's recent matches fall into, each named by its words and shown by its typical papers.

A channel asked "which of these kinds do you want?" answers for its whole taste at once, where five papers to
rate give a like only when one of them happens to fit (bench/feedback.py --kinds). The kinds are k-means
clusters over the papers' tf-idf words (the warm-up's and the model's hashed stems and stem pairs); a kind is
named by the words its centre holds most above the candidates' mean, each shown as the word the papers spell
most often ("splatting", not the stem "splat").
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.preprocessing import normalize

from bot.domain import Match, Paper
from bot.feedback.learned import WORD_COUNTS, WORDS, paper_texts
from bot.retrieval.features import stems, stems_and_pairs
from bot.retrieval.question import STOP_WORDS
from storage.search import tokens

KINDS = 7  # kinds offered: 6-10 measured (bench/feedback.py --kinds), 7 the best; more make a long message
SHOWN = 3  # typical papers a kind shows (and a pick labels): three titles tell a reader what a kind is
NAMED_BY = 3  # words a kind is named by
LOOKED_AT = 40  # a kind's most distinctive columns searched for its words (hashed: some are pairs, some repeat)
HASHER = FeatureHasher(n_features=WORDS.n_features, input_type="string", alternate_sign=False)  # WORDS' columns


@dataclass(frozen=True)
class Kind:
    """One kind of the channel's recent matches."""

    words: tuple[str, ...]  # the words that set it apart, most first
    typical: tuple[Match, ...]  # its papers nearest its centre, nearest first
    size: int  # its papers among the candidates


def paper_kinds(matches: Sequence[Match], count: int = KINDS, shown: int = SHOWN) -> list[Kind]:
    """The matches in at most `count` kinds, the largest first (no kind without papers)."""
    return list(_kinds(tuple(matches), count, shown)) if matches else []


@functools.lru_cache(maxsize=64)  # the offer, then the pick that checks it: the same matches, one clustering
def _kinds(matches: tuple[Match, ...], count: int, shown: int) -> tuple[Kind, ...]:
    from sklearn.cluster import KMeans  # scikit-learn's clustering: only for the warm-up

    papers = [m.paper for m in matches]
    words = words_matrix(papers)
    count = max(1, min(count, len(matches) // (2 * shown)))  # a few papers make few kinds, not one paper each
    found = KMeans(n_clusters=count, n_init=3, random_state=0).fit(words)
    alike = np.asarray(words @ normalize(found.cluster_centers_).T)
    mean = np.asarray(words.mean(axis=0)).ravel()
    sizes = np.bincount(found.labels_, minlength=count)
    made = []
    for kind in np.argsort(-sizes, kind="stable"):
        members = np.flatnonzero(found.labels_ == kind)
        if not len(members):
            continue
        nearest = members[np.argsort(-alike[members, kind], kind="stable")]
        apart = found.cluster_centers_[kind] - mean
        named = named_by(np.argsort(-apart)[:LOOKED_AT], [papers[i] for i in nearest])
        made.append(Kind(named, tuple(matches[i] for i in nearest[:shown]), len(members)))
    return tuple(made)


def named_by(columns: np.ndarray, papers: Sequence[Paper]) -> tuple[str, ...]:
    """The first NAMED_BY of the hashed `columns` (most distinctive first) that a word or word pair of the papers
    fills, spelled as the papers spell it; one that repeats a word already taken is left out: "video generation",
    then not "video"."""
    texts = paper_texts(papers)
    found: dict[int, str] = {}
    for token in dict.fromkeys(t for text in texts for t in stems_and_pairs(text)):
        found.setdefault(int(HASHER.transform([[token]]).indices[0]), token)
    spelled = spellings(texts)
    named: list[str] = []
    taken: set[str] = set()
    for column in columns:
        parts = found.get(int(column), "").split()
        if not parts or taken.intersection(parts) or not all(any(c.isalpha() for c in p) for p in parts):
            continue
        named.append(" ".join(spelled.get(p, p) for p in parts))
        taken.update(parts)
        if len(named) == NAMED_BY:
            break
    return tuple(named)


def spellings(texts: Sequence[str]) -> dict[str, str]:
    """Each stem of the texts' words and the word that stems to it most often in them."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for text in texts:
        for word in tokens(text):
            if word not in STOP_WORDS and len(word) > 1:
                seen[word][word] += 1
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for word, times in seen.items():
        for stem in stems(word)[:1]:
            spelled[stem][word] += times[word]
    return {stem: words.most_common(1)[0][0] for stem, words in spelled.items()}


def offer_of(kinds: Sequence[Kind]) -> str:
    """A short name of the kinds as offered (their typical papers): a pick names it, and a pick of kinds that have
    changed since (new papers came, the channel voted) is refused rather than applied to the wrong ones."""
    keys = "\n".join(m.paper.key for kind in kinds for m in kind.typical)
    return hashlib.blake2b(keys.encode(), digest_size=4).hexdigest()


def words_matrix(papers: Sequence[Paper]) -> sparse.csr_matrix:
    """The papers' tf-idf words, as the kinds are found over them."""
    return normalize(TfidfTransformer(sublinear_tf=True).fit_transform(WORD_COUNTS.counts(papers)))
