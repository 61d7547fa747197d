"""Matching a paper against a parsed subscription: evidence, a score, and why it matched.

Evidence is counted in points; a term matches at 1.0 point or more, and the score shown is
points / (points + 1), so it lies in [0, 1) and the threshold is 0.5. For a topic:

- a strong phrase (name, alias, acronym) in the title is 2.0, in the AI keywords 1.5, in the
  abstract 0.6 for one mention plus 0.3 for each further mention (up to 1.5): a researcher
  trusts a title, and a single aside in an abstract ("unlike RL, we ...") is not enough alone;
- a supporting word ("reward", "policy", "exploration") is 0.45 in the title, 0.35 in the
  keywords, 0.25 in the abstract, each distinct word once, and counts only together with a
  strong phrase or with another supporting word;
- an arXiv category of the topic is 0.6 when it is the paper's first, narrow category, 0.4
  when cross-listed, 0.1 for a broad one (cs.LG, cs.AI, cs.CL ...); it counts only next to
  words from the text, so a category alone is never enough;
- phrases the topic excludes ("visual exploration", "hate speech") are blanked first.
A subscription to a topic takes the best of the topic and its descendants. A quoted phrase,
cat: or author: term that is present is worth 1.0-2.0 points and matches on its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timezone

from bot.domain import Match, Paper
from bot.query import AuthorTerm, CategoryTerm, PhraseTerm, Query, Term, TopicTerm
from bot.topics import Taxonomy, Topic, fold, phrase_keys, words

THRESHOLD = 1.0
FIELDS = ("title", "keywords", "abstract")
STRONG = {"title": 2.0, "keywords": 1.5, "abstract": 0.6}
REPEAT, REPEAT_CAP = 0.3, 0.9  # further abstract mentions
SUPPORT = {"title": 0.45, "keywords": 0.35, "abstract": 0.25}
PHRASE = {"title": 2.0, "keywords": 1.5, "abstract": 1.0}
BROAD_CATEGORIES = frozenset(
    {"cs.LG", "cs.AI", "stat.ML", "cs.CL", "cs.CV", "cs.IR", "cs.NE", "cs.HC", "cs.CY", "cs.SI",
     "eess.IV", "eess.SP", "cs.MM", "cs.CE", "cs.DC", "math.OC", "cs.CR"}
)
_RAW_TOKEN = re.compile(r"[A-Za-z0-9]+")
_CACHE_LIMIT = 100_000


@dataclass(frozen=True)
class _Text:
    """A paper read once: per field, its stemmed ` w1 w2 ` string, word set and case-kept tokens."""

    keys: dict[str, str]
    word_sets: dict[str, frozenset[str]]
    raw: dict[str, Counter]
    all_words: frozenset[str]
    all_raw: frozenset[str]
    categories: tuple[str, ...]
    authors: tuple[frozenset[str], ...]


def _read(paper: Paper) -> _Text:
    texts = {"title": paper.title or "", "keywords": " | ".join(paper.ai_keywords), "abstract": paper.abstract or ""}
    keys, sets, raw = {}, {}, {}
    for name, text in texts.items():
        # "|" between keywords (and at hard breaks) stops a phrase from spanning two of them
        ws = [w for part in text.split("|") for w in (*words(part), "|")]
        keys[name] = " " + " ".join(ws) + " "
        sets[name] = frozenset(ws)
        raw[name] = Counter(_RAW_TOKEN.findall(text))
    return _Text(
        keys=keys,
        word_sets=sets,
        raw=raw,
        all_words=frozenset().union(*sets.values()),
        all_raw=frozenset().union(*(set(c) for c in raw.values())),
        categories=tuple(paper.categories),
        authors=tuple(frozenset(_RAW_TOKEN.findall(fold(a))) for a in paper.authors),
    )


def _anchor(key: str) -> str:
    """The word a phrase cannot match without: its longest, which is usually its rarest."""
    return max(key.split(), key=len)


@dataclass
class _Evidence:
    points: float
    why: list[str]


class _CompiledTopic:
    """A topic's phrases turned into lookups: keys by anchor word, acronyms, masks."""

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.strong: dict[str, list[tuple[str, str]]] = {}
        self.support: dict[str, list[tuple[str, str]]] = {}
        acronyms = []
        for phrase in (topic.name, *topic.aliases):
            self._add(self.strong, phrase)
        for acronym in topic.acronyms:
            if acronym.isalnum():
                acronyms.append(acronym)
            else:
                self._add(self.strong, acronym)
        for phrase in topic.supporting:
            self._add(self.support, phrase)
        self.acronyms = tuple(dict.fromkeys(acronyms))
        self.acronym_tokens = frozenset(a for x in self.acronyms for a in (x, x + "s"))
        self.exclude = tuple(sorted({k for p in topic.exclude for k in phrase_keys(p)}, key=len, reverse=True))
        self.initials = {k: "".join(w[0] for w in k.split()).upper() for k in self.exclude}
        self.strong_anchors = frozenset(self.strong)
        self.anchors = self.strong_anchors | frozenset(self.support)
        self.exclude_by_anchor: dict[str, list[str]] = {}
        for key in self.exclude:
            self.exclude_by_anchor.setdefault(_anchor(key), []).append(key)
        self.exclude_anchors = frozenset(self.exclude_by_anchor)
        self.categories = frozenset(topic.categories)

    @staticmethod
    def _add(table: dict[str, list[tuple[str, str]]], phrase: str) -> None:
        for key in phrase_keys(phrase):
            entries = table.setdefault(_anchor(key), [])
            if all(k != key for k, _ in entries):
                entries.append((key, phrase))

    def evidence(self, text: _Text) -> _Evidence:
        hit = self.anchors & text.all_words
        acronym_hit = self.acronym_tokens & text.all_raw
        if not acronym_hit and (not hit or (hit.isdisjoint(self.strong_anchors) and len(hit) < 2)):
            return _Evidence(0.0, [])  # nothing strong and at most one hint: cannot reach the threshold
        keys = dict(text.keys)
        muted: set[str] = set()
        excludes = [k for a in self.exclude_anchors & text.all_words for k in self.exclude_by_anchor[a]]
        if excludes:
            for name in FIELDS:
                for ex in sorted(excludes, key=len, reverse=True):
                    if ex in keys[name]:
                        keys[name] = keys[name].replace(ex, " | ")
                        muted.add(self.initials[ex])
        # "attack success rate (ASR)" is excluded, so that paper's ASR is not speech recognition
        field_points, why = [], []
        for name in FIELDS:
            found = self._strong_hits(keys, text, hit, name, muted, acronym_hit)
            if not found:
                continue
            mentions = sum(n for _, n in found)
            extra = min(REPEAT * (mentions - 1), REPEAT_CAP) if name == "abstract" else 0.0
            field_points.append(STRONG[name] + extra)
            why.append(f"{', '.join(s for s, _ in sorted(found, key=lambda f: -f[1])[:3])} in {name}")
        # the best field decides; each further field that agrees adds a little
        points = max(field_points, default=0.0) + 0.3 * max(len(field_points) - 1, 0)
        support_points, support_seen, support_where = 0.0, set(), {}
        for name in FIELDS:
            for anchor in hit & text.word_sets[name]:
                for key, shown in self.support.get(anchor, ()):
                    if key not in support_seen and key in keys[name]:
                        support_seen.add(key)
                        support_points += SUPPORT[name]
                        support_where.setdefault(name, []).append(f'"{shown}"')
        if support_seen and (points or len(support_seen) >= 2):
            points += support_points
            why.extend(f"with {', '.join(v[:4])} in {k}" for k, v in support_where.items())
        if points:
            points += self._category_points(text, why)
        return _Evidence(points, why)

    def _strong_hits(
        self, keys: dict[str, str], text: _Text, hit: frozenset[str], name: str, muted: set[str],
        acronym_hit: frozenset[str],
    ) -> list[tuple[str, int]]:
        """Strong phrases in one field, longest first, each occurrence counted once
        ("deep reinforcement learning" is one mention, not also one of "reinforcement learning")."""
        candidates = [e for anchor in hit & text.word_sets[name] for e in self.strong.get(anchor, ())]
        field, found = keys[name], []
        for key, shown in sorted(candidates, key=lambda e: -len(e[0])):
            n = field.count(key)
            if n:
                found.append((f'"{shown}"', n))
                field = field.replace(key, " | ")
        counts = text.raw[name]
        for acronym in self.acronyms if acronym_hit else ():
            if acronym in muted:
                continue
            n = counts.get(acronym, 0) + counts.get(acronym + "s", 0)
            if n:
                found.append((f'acronym "{acronym}"', n))
        return found

    def _category_points(self, text: _Text, why: list[str]) -> float:
        best, shown = 0.0, ""
        for i, category in enumerate(text.categories):
            if category not in self.categories:
                continue
            value = 0.1 if category in BROAD_CATEGORIES else (0.6 if i == 0 else 0.4)
            if value > best:
                best, shown = value, category
        if best:
            why.append(f"category {shown}")
        return best


class Matcher:
    """Scores papers against subscriptions; reads each paper once and each topic once."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._topics: dict[str, _CompiledTopic] = {t.slug: _CompiledTopic(t) for t in taxonomy}
        self._texts: dict[Paper, _Text] = {}
        self._subtrees = {t.slug: tuple(self._topics[d.slug] for d in taxonomy.subtree(t.slug)) for t in taxonomy}
        self._by_word: dict[str, set[str]] = {}  # anchor word or acronym -> topics that use it
        for compiled in self._topics.values():
            for word in compiled.anchors | compiled.acronym_tokens:
                self._by_word.setdefault(word, set()).add(compiled.topic.slug)
        self._candidates: dict[int, frozenset[str]] = {}

    def _text(self, paper: Paper) -> _Text:
        text = self._texts.get(paper)
        if text is None:
            if len(self._texts) >= _CACHE_LIMIT:
                self._texts.clear()  # a day's papers fit many times over; a long run must not grow forever
                self._candidates.clear()
            text = self._texts[paper] = _read(paper)
        return text

    def _candidate_topics(self, text: _Text) -> frozenset[str]:
        found = self._candidates.get(id(text))
        if found is None:
            if len(self._candidates) >= _CACHE_LIMIT:
                self._candidates.clear()
            by_word = self._by_word
            found = frozenset().union(*(by_word[w] for w in text.all_words | text.all_raw if w in by_word))
            self._candidates[id(text)] = found
        return found

    def topic_evidence(self, slug: str, paper: Paper) -> tuple[float, tuple[str, ...]]:
        """Points and reasons for one topic (best of it and its descendants) on one paper."""
        return self._topic(slug, self._text(paper))

    def _topic(self, slug: str, text: _Text) -> tuple[float, tuple[str, ...]]:
        best, best_why = 0.0, ()
        candidates = self._candidate_topics(text)
        for compiled in self._subtrees[slug]:
            topic = compiled.topic
            if topic.slug not in candidates:
                continue  # none of its words occur: no evidence, no need to look closer
            ev = compiled.evidence(text)
            if ev.points > best:
                label = topic.slug if topic.slug == slug else f"{topic.slug} (under {slug})"
                best, best_why = ev.points, (f"{label}: {ev.why[0]}", *ev.why[1:])
        return best, best_why

    def _term(self, term: Term, text: _Text) -> tuple[float, tuple[str, ...]]:
        if isinstance(term, TopicTerm):
            return self._topic(term.slug, text)
        if isinstance(term, PhraseTerm):
            keys = phrase_keys(term.phrase)
            for name in FIELDS:
                if any(k in text.keys[name] for k in keys):
                    return PHRASE[name], (f'"{term.phrase}" in {name}',)
            return 0.0, ()
        if isinstance(term, CategoryTerm):
            wanted = term.category.lower()
            hit = any(c.lower() == wanted for c in text.categories)
            return (1.0, (f"category {term.category}",)) if hit else (0.0, ())
        if isinstance(term, AuthorTerm):
            return (1.0, (f"author {term.name}",)) if _has_author(term.name, text) else (0.0, ())
        raise TypeError(f"unknown query term {term!r}")

    def match(self, query: Query, paper: Paper) -> Match | None:
        """The match of one paper, or None when it misses a group, hits an exclusion or has too few upvotes."""
        if (paper.upvotes or 0) < query.min_upvotes:
            return None
        text = self._text(paper)
        total, why = 0.0, []
        for group in query.groups:
            best, best_why = max((self._term(t, text) for t in group), key=lambda r: r[0])
            if best < THRESHOLD:
                return None
            total += best
            why.extend(best_why)
        if any(self._term(t, text)[0] >= THRESHOLD for t in query.excluded):
            return None
        points = total / len(query.groups)
        return Match(paper=paper, score=round(points / (points + 1.0), 4), why=tuple(why), subscription=query.text)

    def match_many(self, query: Query, papers: Iterable[Paper]) -> list[Match]:
        """Every matching paper, best first: relevance, then upvotes, then the newest."""
        found = [m for m in (self.match(query, p) for p in papers) if m is not None]
        return sorted(found, key=_rank)


def _rank(match: Match) -> tuple[float, int, float]:
    published = match.paper.published_at
    if published is None:
        when = float("-inf")  # unknown dates sort after every known one
    else:
        when = (published if published.tzinfo else published.replace(tzinfo=timezone.utc)).timestamp()
    return (-match.score, -(match.paper.upvotes or 0), -when)


def _has_author(name: str, text: _Text) -> bool:
    """`Sergey Levine`, `S. Levine` and `Levine` all find Sergey Levine; accents and case do not matter."""
    wanted = _RAW_TOKEN.findall(fold(name))
    if not wanted:
        return False
    last, initials = wanted[-1], [w[0] for w in wanted[:-1]]
    for author in text.authors:
        if last in author and all(any(a.startswith(i) for a in author) for i in initials):
            return True
    return False


__all__ = ["BROAD_CATEGORIES", "THRESHOLD", "Matcher"]
