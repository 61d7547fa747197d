"""The words of every paper's title, keywords and authors as typed: their counts, and what a misspelt word was meant to be."""

from __future__ import annotations

import bisect
import math
from collections import Counter

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Endings folded away, longest first (`detections` -> `detect`, `models` -> `model`).
ENDINGS = ("ations", "ation", "ings", "ions", "ness", "ing", "ion", "ies", "ers", "ed", "es", "er", "ly", "s", "e", "y")


def crude_stem(word: str) -> str:
    """`modelling` -> `model`, `agents` -> `agent`: spellings a reader takes for one word share a stem."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def first_letter_slips(word: str) -> set[str]:
    """What `word` was meant to be if one slip hit its first letter: `ovisual`, `isual`, `bisual`, `ivsual` -> `visual`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {word[1:], word[1] + word[0] + word[2:], *(c + word for c in letters), *(c + word[1:] for c in letters)} - {
        word
    }


def rarity(df: int, papers: int) -> float:
    """The idf of a word `df` of `papers` papers hold."""
    return math.log((papers + 1) / (df + 0.5))


class Spelling:
    """Every known word with the number of papers holding it, grouped for quick lookups of near spellings."""

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.papers = 0
        self._sorted: list[str] = []
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._by_length: dict[int, list[str]] = {}

    def reindex(self) -> None:
        """Group the words anew, after counting more."""
        words = [w for w in self.df if not w.isdigit()]
        self._sorted = sorted(words)
        buckets: dict[tuple[str, int], list[str]] = {}
        by_length: dict[int, list[str]] = {}
        for word in words:
            buckets.setdefault((word[0], len(word)), []).append(word)
            by_length.setdefault(len(word), []).append(word)
        self._buckets, self._by_length = buckets, by_length

    def idf(self, word: str) -> float:
        return rarity(self.df.get(word, 0), self.papers)

    def close_words(self, word: str, first_letter_only: bool) -> list[str]:
        """Known words within one typo (two for long words) of `word`, most frequent first."""
        most = 1 if len(word) <= 5 else 2
        lengths = range(len(word) - most, len(word) + most + 1)
        pools = [self._buckets.get((word[0], n), ()) for n in lengths]
        found = [
            m for pool in pools for m in process.extract(word, pool, scorer=OSA.distance, score_cutoff=most, limit=8)
        ]
        if not found:  # the slip is in the first letter: a missed, extra, wrong or swapped key
            found = [(w, 1, 0) for w in first_letter_slips(word) if w in self.df]
        if not found and not first_letter_only:  # two slips, one of them there: every word of a near length
            pools = [self._by_length.get(n, ()) for n in lengths]
            found = [
                m
                for pool in pools
                for m in process.extract(word, pool, scorer=OSA.distance, score_cutoff=most, limit=8)
            ]
        if not found:
            return []
        best = min(m[1] for m in found)
        close = sorted((m[0] for m in found if m[1] == best), key=lambda w: -self.df[w])
        return close[:3]

    def completions(self, prefix: str, limit: int = 3) -> list[str]:
        """The most frequent known words that start with `prefix` (for text still being typed)."""
        start = bisect.bisect_left(self._sorted, prefix)
        found = []
        for word in self._sorted[start : start + 400]:
            if not word.startswith(prefix):
                break
            found.append(word)
        return sorted(found, key=lambda w: -self.df[w])[:limit]

    def split(self, word: str) -> list[str]:
        """`goexplore` -> [`go`, `explore`] when both halves are known words."""
        for at in range(2, len(word) - 1):
            if self.df.get(word[:at], 0) > 1 and self.df.get(word[at:], 0) > 1:
                return [word[:at], word[at:]]
        return []
