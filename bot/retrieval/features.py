"""A paper's words as find by meaning reads them, for models that learn from words (the learned re-ranker)."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from bot.retrieval.question import STOP_WORDS
from storage.search import tokens

_analyzer: Any = None
_lock = threading.Lock()


def stems(text: str) -> list[str]:
    """The content words of `text` as the meaning index stores them (Snowball stems, function words out)."""
    global _analyzer
    if _analyzer is None:
        with _lock:
            from bot.retrieval.lexical import analyzer

            _analyzer = _analyzer or analyzer()
    kept = " ".join(w for w in tokens(text) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit()))
    return [s for s in _analyzer.analyze(kept) if s]


def stems_and_pairs(text: str) -> list[str]:
    """`stems`, and each two side by side: what a word-pair feature holds ("reinforc learn")."""
    words = stems(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
