"""A paper read once for matching: its fields as stemmed word strings, the rest built on demand."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from itertools import islice

from bot.domain import Paper
from bot.relevance.topics import fold, stem_all, words

FIELDS = ("title", "keywords", "abstract")
RAW_TOKEN = re.compile(r"[A-Za-z0-9]+")
_NONE: frozenset[str] = frozenset()  # shared: a window of stored papers holds tens of thousands of these
# "exploratory question answering (EQA)": words, then the acronym their initials spell (a plural "s" allowed)
_DEFINED = re.compile(r"((?:[A-Za-z][A-Za-z-]*\s+){1,8})\(([A-Z][A-Za-z]{0,7}?)s?\)")
_SPACES = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})  # ASCII but [A-Za-z0-9]


def field_words(text: str) -> list[str]:
    """The stemmed words of a field with "|" after each "|"-separated part (a keyword, a hard
    break), so that no phrase spans two of them; the field ends with "|" too."""
    if "|" not in text:
        found = words(text)
        found.append("|")
        return found
    return [w for part in text.split("|") for w in (*words(part), "|")]


def _read_keys(texts: tuple[str, str, str], tokens: list[str], spaced: list[str | None]) -> dict[str, str]:
    """Each field as its key string; the stemmed words go to `tokens`, each ASCII field with
    punctuation turned into spaces (case kept) to `spaced` (None for a field with other characters)."""
    keys: dict[str, str] = {}
    for name, text in zip(FIELDS, texts, strict=False):
        if text.isascii():
            plain = text.translate(_SPACES)
            spaced.append(plain)
            if "|" not in text:
                # for ASCII, folding is lower-casing, and the words are what lies between spaces
                ws = stem_all(plain.lower().split())
                ws.append("|")
            else:
                ws = field_words(text)
        else:
            spaced.append(None)
            ws = field_words(text)
        keys[name] = " " + " ".join(ws) + " "
        tokens.extend(ws)  # each field ends with "|": no phrase runs from one into the next
    return keys


class PaperText:
    """One paper's text for matching.

    `keys[field]` is the field as ` w1 w2 | w3 ` (stemmed words, one space apart), so a phrase
    key ` w1 w2 ` is in it exactly when those words stand side by side. Word sets, case-kept
    token counts and author names are built the first time a topic or term needs them: most
    papers are settled by `live` (the topics that can score at all) without them.

    A paper whose topic evidence is stored is not read at all (`PaperText.stored`): its keys are
    built only if a phrase term asks for them.
    """

    __slots__ = (
        "_all_words",
        "_author_words",
        "_defined",
        "_keys",
        "_lower_categories",
        "_raw",
        "_word_sets",
        "acronyms",
        "anchor_words",
        "authors",
        "categories",
        "evidence",
        "found",
        "live",
        "present",
        "read_as",
        "texts",
    )

    def __init__(self, paper: Paper, tokens: list[str] | None = None, spaced: list[str | None] | None = None) -> None:
        """Read the paper. Its stemmed words go to `tokens`; each ASCII field, punctuation turned
        into spaces and case kept, goes to `spaced` (None for a field with other characters)."""
        self._start(paper)
        self._keys: dict[str, str] | None = _read_keys(
            self.texts, [] if tokens is None else tokens, [] if spaced is None else spaced
        )

    @classmethod
    def stored(cls, paper: Paper, evidence: dict[str, tuple[float, tuple[str, ...]]]) -> PaperText:
        """A paper whose own evidence per topic was computed before: every topic that scored is live."""
        text = cls.__new__(cls)
        text._start(paper)
        text._keys = None
        text.evidence = dict(evidence)
        text.live = frozenset(slug for slug, (points, _) in evidence.items() if points > 0)
        return text

    def _start(self, paper: Paper) -> None:
        self.texts = (paper.title or "", " | ".join(paper.ai_keywords), paper.abstract or "")
        self.categories = tuple(paper.categories)
        self.authors = paper.authors
        # set by TopicIndex.scan: which topic phrases, anchor words and acronym tokens occur,
        # and the topics that can score at all
        self.present: frozenset[str] = _NONE
        self.anchor_words: frozenset[str] = _NONE
        self.acronyms: frozenset[str] = _NONE
        self.live: frozenset[str] = _NONE
        self.read_as: dict[str, float] = {}  # the topics whose model reads the paper as theirs (set by Matcher)
        # results kept for the next subscription that asks: by subscribed slug (best of its
        # subtree), and each topic's own evidence (a topic sits in its ancestors' subtrees too)
        self.found: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.evidence: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._word_sets: dict[str, frozenset[str]] | None = None
        self._all_words: frozenset[str] | None = None
        self._raw: dict[str, dict[str, int]] | None = None
        self._author_words: tuple[frozenset[str], ...] | None = None
        self._lower_categories: tuple[str, ...] | None = None
        self._defined: dict[str, str] | None = None

    @property
    def keys(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = _read_keys(self.texts, [], [])
        return self._keys

    def forget_words(self) -> None:
        """Let go of what matching built from the paper (its fields' words, author names, the topics it
        was asked about): a stored paper builds them again if asked, and they are most of its size."""
        self._keys = self._word_sets = self._all_words = self._author_words = self._lower_categories = None
        self.found = {}

    # Sets are iterated when evidence lists its reasons, and a set's order depends on how it
    # was built: these are built from the same lists in the same order as they always were,
    # so that the reasons come out in the same order too.
    @property
    def word_sets(self) -> dict[str, frozenset[str]]:
        if self._word_sets is None:
            self._word_sets = {name: frozenset(key.split()) for name, key in self.keys.items()}
        return self._word_sets

    @property
    def all_words(self) -> frozenset[str]:
        if self._all_words is None:
            self._all_words = frozenset().union(*self.word_sets.values())
        return self._all_words

    @property
    def raw(self) -> dict[str, dict[str, int]]:
        """Per field, how often each acronym token of `acronyms` occurs as written ("RL", not "rl")."""
        if self._raw is None:
            raw: dict[str, dict[str, int]] = {}  # filled, then published: delivery threads share this text
            for name, text in zip(FIELDS, self.texts, strict=False):
                if text.isascii():
                    # every space doubled, so that "RL RL" is two " RL " and not one
                    spaced = " " + text.translate(_SPACES).replace(" ", "  ") + " "
                    raw[name] = {a: n for a in self.acronyms if (n := spaced.count(f" {a} "))}
                else:
                    raw[name] = Counter(RAW_TOKEN.findall(text))
            self._raw = raw
        return self._raw

    @property
    def defined(self) -> dict[str, str]:
        """The acronyms the paper spells out itself, with the words it spells them with ("EQA": "exploratory
        question answering"): an acronym a paper defines otherwise is not the topic's."""
        if self._defined is None:
            found: dict[str, str] = {}
            for text in self.texts:
                for spelled in _DEFINED.finditer(text):
                    letters = "".join(c for c in spelled[2] if c.isupper())
                    spelt = [w for w in re.split(r"[\s-]+", spelled[1]) if w]  # "state- of" has an empty part
                    tail = spelt[-len(letters) :] if letters else []
                    if len(tail) == len(letters) and "".join(w[0] for w in tail).upper() == letters:
                        found.setdefault(spelled[2], " ".join(tail))
            self._defined = found
        return self._defined

    @property
    def author_words(self) -> tuple[frozenset[str], ...]:
        if self._author_words is None:
            self._author_words = tuple(frozenset(RAW_TOKEN.findall(fold(a))) for a in self.authors)
        return self._author_words

    @property
    def lower_categories(self) -> tuple[str, ...]:
        if self._lower_categories is None:
            self._lower_categories = tuple(c.lower() for c in self.categories)
        return self._lower_categories


def text_key(paper: Paper) -> tuple:
    """What a PaperText is read from: a paper fetched again, or with new upvotes, is the same text."""
    return (paper.arxiv_id, paper.title, paper.abstract, paper.ai_keywords, paper.categories, paper.authors)


class TextCache:
    """PaperTexts by `text_key`, the oldest dropped past `limit`: a long-running bot reads new
    papers every day and must not keep every paper it ever saw."""

    def __init__(self, read: Callable[[Paper], PaperText], limit: int) -> None:
        self._read = read
        self._limit = limit
        self._texts: dict[tuple, PaperText] = {}

    def __len__(self) -> int:
        return len(self._texts)

    def get(self, paper: Paper) -> PaperText:
        key = text_key(paper)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) >= self._limit:
                # dicts keep insertion order: drop the oldest quarter, not all, so a pass over
                # many papers does not read every one of them again
                for old in list(islice(self._texts, self._limit // 4 or 1)):
                    del self._texts[old]
            text = self._texts[key] = self._read(paper)
        return text


__all__ = ["FIELDS", "RAW_TOKEN", "PaperText", "TextCache", "field_words", "text_key"]
