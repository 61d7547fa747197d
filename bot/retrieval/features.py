"""A paper's words as find by meaning reads them, for models that learn from words (the learned re-ranker)."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from bot.retrieval.question import STOP_WORDS
from storage.search import tokens

_analyzer: Any = None
_lock = threading.Lock()


def _shared_analyzer() -> Any:
    """The meaning index's analyzer, made once per process (tantivy: imported only when words are stemmed)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            from bot.retrieval.lexical import analyzer

            _analyzer = _analyzer or analyzer()
    return _analyzer


def _kept(word: str) -> bool:
    return word not in STOP_WORDS and (len(word) > 1 or word.isdigit())


def stems(text: str) -> list[str]:
    """The content words of `text` as the meaning index stores them (Snowball stems, function words out)."""
    kept = " ".join(w for w in tokens(text) if _kept(w))
    return [s for s in _shared_analyzer().analyze(kept) if s]


class Stemmer(dict[str, tuple[str, ...]]):
    """`stems` of many texts at once, each distinct word stemmed once: a thousand abstracts hold about 13,000
    distinct words among 250,000, and stemming every one was most of a cold model's cost (bench/README.md,
    feedback). The stems are `stems`'s to the letter: the stemmer splits the words it is given at the spaces
    between them and stems each alone, so a text's stems are its words' stems in order. Made for one batch and
    dropped with it: its memory stays bounded."""

    def stems(self, text: str) -> list[str]:
        return list(itertools.chain.from_iterable(map(self.__getitem__, tokens(text))))  # the loop in C

    def __missing__(self, word: str) -> tuple[str, ...]:
        made = self[word] = tuple(s for s in _shared_analyzer().analyze(word) if s) if _kept(word) else ()
        return made


def stems_and_pairs(text: str) -> list[str]:
    """`stems`, and each two side by side: what a word-pair feature holds ("reinforc learn")."""
    words = stems(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
