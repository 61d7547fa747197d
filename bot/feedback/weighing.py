"""What weighs most in a channel's taste, for and against: words, topics and liked or disliked papers.

The model's weights are over hashed columns, which have no names; the names come back from the
labelled papers themselves: each word (stem) and word pair they hold is hashed as training hashed
it, and read at its column. A stem is shown as the word the channel's papers spell most often
("manipul" as "manipulation").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from bot.domain import Paper
from bot.feedback.candidates import Candidates
from bot.feedback.learned import TOPICS, WORDS, Evidence, Taste, paper_texts
from bot.feedback.signals import Labels
from bot.retrieval.features import stems, stems_and_pairs
from bot.retrieval.question import STOP_WORDS
from storage.search import tokens

SHOWN = 5  # words and topics on each side
PAPERS = 3  # liked (or disliked) papers on each side

# The same hashing as WORDS, over tokens already made: a token lands on the column training gave it.
_BY_TOKEN = HashingVectorizer(
    n_features=WORDS.n_features, analyzer=lambda made: made, alternate_sign=False, norm=None, dtype=np.float32
)


@dataclass(frozen=True)
class Weighing:
    words_for: tuple[str, ...]
    words_against: tuple[str, ...]
    topics_for: tuple[str, ...]
    topics_against: tuple[str, ...]
    liked: tuple[Paper, ...]  # the liked papers the model is surest of: the kind it brings up
    disliked: tuple[Paper, ...]  # the disliked papers it is surest against


def weighing(taste: Taste, labels: Labels, evidence: Evidence) -> Weighing:
    """The words, topics and papers that weigh most in `taste`, learned from `labels`."""
    coef = taste.coef
    said = (*labels.liked, *labels.disliked)
    made = sorted({token for text in paper_texts(said) for token in stems_and_pairs(text)})
    words = _weights(made, _BY_TOKEN.transform([[t] for t in made]).indices, taste, coef) if made else {}
    seen = sorted({t for p in said for t in evidence.get(p.key, {})})
    hashed = TOPICS.transform([{t: 1.0} for t in seen]).indices + WORDS.n_features if seen else np.array([])
    topics = _weights(seen, hashed, taste, coef) if seen else {}
    spelled = _spellings(said)
    return Weighing(
        _named(_top(words, 1), spelled),
        _named(_top(words, -1), spelled),
        tuple(_top(topics, 1)),
        tuple(_top(topics, -1)),
        _surest(taste, labels.liked, evidence, 1),
        _surest(taste, labels.disliked, evidence, -1),
    )


def _weights(names: Sequence[str], columns: np.ndarray, taste: Taste, coef: np.ndarray) -> dict[str, float]:
    """Each name's model weight (0 for a column the model never saw)."""
    at = np.searchsorted(taste.columns, columns)
    at = np.minimum(at, len(taste.columns) - 1)
    known = taste.columns[at] == columns
    return {name: float(coef[i]) for name, i, ok in zip(names, at, known, strict=True) if ok}


def _top(weights: dict[str, float], sign: int) -> list[str]:
    telling = (name for name, w in weights.items() if w * sign > 0 and not any(ch.isdigit() for ch in name))
    chosen = sorted(telling, key=lambda n: -sign * weights[n])  # numbers ("part 2", "v1") name nothing
    kept: list[str] = []
    for name in chosen:  # a pair says more than its two words: keep neither word after it, nor it after them
        if any(name in k.split(" ") or k in name.split(" ") for k in kept):
            continue
        kept.append(name)
        if len(kept) == SHOWN:
            break
    return kept


def _spellings(papers: Iterable[Paper]) -> dict[str, str]:
    """Each stem's most frequent spelling in the papers' titles and abstracts."""
    seen: dict[str, Counter[str]] = {}
    words = Counter(w for text in paper_texts(list(papers)) for w in tokens(text) if w not in STOP_WORDS and len(w) > 1)
    for word, count in words.items():
        for stem in stems(word)[:1]:
            seen.setdefault(stem, Counter())[word] += count
    return {stem: spellings.most_common(1)[0][0] for stem, spellings in seen.items()}


def _named(made: list[str], spelled: dict[str, str]) -> tuple[str, ...]:
    return tuple(" ".join(spelled.get(stem, stem) for stem in token.split(" ")) for token in made)


def _surest(taste: Taste, papers: Sequence[Paper], evidence: Evidence, sign: int) -> tuple[Paper, ...]:
    if not papers:
        return ()
    liking, _ = taste.liking(Candidates().rows(papers, evidence))
    order = np.argsort(-sign * liking, kind="stable")[:PAPERS]
    return tuple(papers[int(i)] for i in order)
