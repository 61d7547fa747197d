"""Every topic's phrases in one index, to find in one pass over a paper which of them it has."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import islice

from bot.relevance.evidence import CompiledTopic
from bot.relevance.paper_text import RAW_TOKEN, PaperText
from bot.relevance.topics import stem


class TopicIndex:
    """Which phrases, acronyms and anchor words of any topic a paper has, and so which topics
    can score on it at all.

    A topic scores nothing unless one of its strong phrases or acronyms occurs, or two of its
    supporting phrases do (exclusions only take occurrences away), so a subscription skips
    every topic not in `PaperText.live` without looking at the paper again.
    """

    def __init__(self, topics: Iterable[CompiledTopic]) -> None:
        self.strong: dict[str, set[str]] = {}  # phrase key -> slugs of topics it is strong for
        self.support: dict[str, set[str]] = {}
        self.acronyms: dict[str, set[str]] = {}
        keys: set[str] = set()
        anchors: set[str] = set()
        for compiled in topics:
            slug = compiled.topic.slug
            for key in compiled.strong_shown:
                self.strong.setdefault(key, set()).add(slug)
            for key in compiled.support_shown:
                self.support.setdefault(key, set()).add(slug)
            for token in compiled.acronym_tokens:
                self.acronyms.setdefault(token, set()).add(slug)
            keys.update(compiled.strong_shown, compiled.support_shown, compiled.exclude)
            anchors |= compiled.anchors
        self.anchors = frozenset(anchors)
        self.strong_keys = frozenset(self.strong)
        self.support_keys = frozenset(self.support)
        words = {key: tuple(key.split()) for key in keys}
        self.singles = {w[0]: key for key, w in words.items() if len(w) == 1}
        self.pairs = {w: key for key, w in words.items() if len(w) == 2}
        # a longer phrase is looked for only in papers that have its first two words side by side
        self.longer: dict[tuple[str, ...], list[str]] = {}
        for key, w in words.items():
            if len(w) > 2:
                self.longer.setdefault(w[:2], []).append(key)
        self.single_words = frozenset(self.singles)
        self.starts = frozenset(self.longer)
        self.pairs_and_starts = frozenset(self.pairs) | self.starts
        self.acronym_tokens = frozenset(self.acronyms)
        self.by_stem: dict[str, list[tuple[str, str]]] = {}
        for token in self.acronym_tokens:
            self.by_stem.setdefault(stem(token.lower()), []).append((token, f" {token} "))
        self.acronym_stems = frozenset(self.by_stem)

    def scan(self, text: PaperText, tokens: list[str], spaced: list[str | None]) -> None:
        """Fill in `text.present`, `anchor_words`, `acronyms` and `live` from the paper's
        stemmed `tokens` and its fields as `PaperText` left them in `spaced`."""
        present = [self.singles[w] for w in self.single_words.intersection(tokens)]
        pairs = self.pairs_and_starts.intersection(zip(tokens, islice(tokens, 1, None), strict=False))
        present.extend(self.pairs[p] for p in pairs if p in self.pairs)
        starts = pairs & self.starts
        if starts:
            joined = "".join(text.keys.values())
            present.extend(key for start in starts for key in self.longer[start] if key in joined)
        text.present = frozenset(present)
        text.anchor_words = self.anchors.intersection(tokens)
        text.acronyms = acronyms = self._acronyms(text, tokens, spaced)
        live: set[str] = set().union(*map(self.strong.__getitem__, self.strong_keys & text.present))
        live.update(*(self.acronyms.get(a, ()) for a in acronyms))
        supporting = self.support_keys & text.present
        if len(supporting) >= 2:
            supported = Counter(slug for key in supporting for slug in self.support[key])
            live.update(slug for slug, n in supported.items() if n >= 2)
        text.live = frozenset(live)

    def _acronyms(self, text: PaperText, tokens: list[str], spaced: list[str | None]) -> frozenset[str]:
        """The acronym tokens of any topic that occur in the paper, as written ("RL", not "rl").

        In ASCII text an acronym's lower-cased stem is among the paper's words wherever the
        acronym is, so only the few acronyms whose stem is there are looked for, as " RL " in
        the field with its punctuation turned into spaces."""
        if all(s is not None for s in spaced) and self.acronym_stems.isdisjoint(tokens):
            return frozenset()
        stems = self.acronym_stems.intersection(tokens)
        found: set[str] = set()
        for plain, field in zip(spaced, text.texts, strict=False):
            if plain is None:
                found.update(self.acronym_tokens.intersection(RAW_TOKEN.findall(field)))
            elif stems:
                plain = " " + plain + " "
                found.update(a for s in stems for a, spaced_a in self.by_stem[s] if spaced_a in plain)
        return frozenset(found)


__all__ = ["TopicIndex"]
