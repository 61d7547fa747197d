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
- phrases the topic excludes ("visual exploration", "hate speech") are blanked first;
- a topic no rule reaches the floor for, but whose model reads the paper as one of its own
  (`topic_model.py`, probability at its threshold or above), gets just the floor, and says so.
A subscription to a topic takes the best of the topic and its descendants. A quoted phrase,
cat: or author: term that is present is worth 1.0-2.0 points and matches on its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC

from bot.domain import Match, Paper
from bot.relevance.alike import Resemblance, alike
from bot.relevance.evidence import BROAD_CATEGORIES, CompiledTopic
from bot.relevance.paper_text import FIELDS, RAW_TOKEN, PaperText, TextCache
from bot.relevance.query import AuthorTerm, CategoryTerm, LikeTerm, PhraseTerm, Query, Term, TopicTerm
from bot.relevance.topic_index import TopicIndex
from bot.relevance.topic_model import TopicModel, bundled, bundled_revision
from bot.relevance.topics import Taxonomy, fold, phrase_keys

THRESHOLD = 1.0
# A topic needs a little more than one plain mention: on the labelled set, evidence between 1.0
# and 1.2 was mostly passing uses (macro F1 0.912 -> 0.933, recall nearly unchanged).
TOPIC_FLOOR = 1.2
PHRASE = {"title": 2.0, "keywords": 1.5, "abstract": 1.0}
# Papers kept read: a week of arXiv cs is ~5k, a quarter ~20k; each text is a few kB.
_CACHE_LIMIT = 40_000
_NOTHING: tuple[float, tuple[str, ...]] = (0.0, ())
Scorer = Callable[[PaperText], tuple[float, tuple[str, ...]]]
_Taxonomy = tuple[  # each topic compiled; each one's subtree, and its slugs; the index of every topic's phrases
    dict[str, CompiledTopic], dict[str, tuple[CompiledTopic, ...]], dict[str, frozenset[str]], TopicIndex
]
_Compiled = tuple[tuple[tuple[Scorer, ...], ...], tuple[Scorer, ...]]  # groups of scorers, exclusions
BUNDLED = "bundled"  # the topic models shipped in the package, loaded when matching first reads a paper


class Matcher:
    """Scores papers against subscriptions; reads each paper once and each topic once."""

    def __init__(self, taxonomy: Taxonomy, topic_model: TopicModel | str | None = BUNDLED) -> None:
        self.taxonomy = taxonomy
        self._model = topic_model  # None: the rules alone
        self._taxonomy: _Taxonomy | None = None
        self._compiling = threading.Lock()
        self._texts = TextCache(self._read, _CACHE_LIMIT)
        self._queries: dict[Query, _Compiled] = {}
        # How `like:` terms find the paper they name (bot/app.py sets it to a stored-paper lookup).
        self.references: Callable[[str], Paper | None] = lambda key: None
        # How much papers resemble the one a `like:` names (bot/app.py: find by meaning's measure).
        self.resemblance: Callable[[Paper], Resemblance] | None = None

    # Compiled when first needed, once, not at start: a command that matches nothing (`/papers list`) skips it.
    @property
    def _topics(self) -> dict[str, CompiledTopic]:
        return self._taxonomy_compiled()[0]

    @property
    def _subtrees(self) -> dict[str, tuple[CompiledTopic, ...]]:
        return self._taxonomy_compiled()[1]

    @property
    def _subtree_slugs(self) -> dict[str, frozenset[str]]:
        return self._taxonomy_compiled()[2]

    @property
    def _index(self) -> TopicIndex:
        return self._taxonomy_compiled()[3]

    def _taxonomy_compiled(self) -> _Taxonomy:
        with self._compiling:
            if self._taxonomy is None:
                topics = {t.slug: CompiledTopic(t) for t in self.taxonomy}
                subtrees = {t.slug: tuple(topics[d.slug] for d in self.taxonomy.subtree(t.slug)) for t in self.taxonomy}
                slugs = {slug: frozenset(c.topic.slug for c in sub) for slug, sub in subtrees.items()}
                self._taxonomy = (topics, subtrees, slugs, TopicIndex(topics.values()))
            return self._taxonomy

    @property
    def topic_model(self) -> TopicModel | None:
        """The topic models matching reads papers with (None: the rules alone); loaded when a paper is first read,
        so that matching from stored evidence alone (a preview, a pass) never loads them."""
        with self._compiling:
            if self._model == BUNDLED:
                self._model = bundled()
        return self._model if isinstance(self._model, TopicModel) else None

    @property
    def topic_model_revision(self) -> str | None:
        """The revision of the topic models matching reads with, known without loading them (stored evidence's stamp)."""
        if self._model == BUNDLED:
            return bundled_revision()
        return self._model.revision if isinstance(self._model, TopicModel) else None

    def _read(self, paper: Paper) -> PaperText:
        tokens: list[str] = []
        spaced: list[str | None] = []
        text = PaperText(paper, tokens, spaced)
        self._index.scan(text, tokens, spaced)
        model = self.topic_model
        if model is not None:
            text.read_as = {s: p for s, p in model.read(text.keys, text.categories).items() if s in self._topics}
            text.live = text.live | text.read_as.keys()
        return text

    def _own(self, compiled: CompiledTopic, text: PaperText) -> tuple[float, tuple[str, ...]]:
        """A topic's own points and reasons: its rules', or the floor where only its model reads the paper as its."""
        evidence = compiled.evidence(text)
        points, why = evidence.points, tuple(evidence.why)
        read_as = text.read_as.get(compiled.topic.slug)
        if read_as is not None and points < TOPIC_FLOOR:
            said = f"reads like its papers ({read_as:.0%})" + ("" if why else ", though it names none of its phrases")
            return TOPIC_FLOOR, (said, *why)
        return points, why

    def own_evidence(self, paper: Paper) -> dict[str, tuple[float, tuple[str, ...]]]:
        """Every topic's own evidence on a paper (the topics that scored), read afresh: what is stored."""
        text = self._read(paper)
        found = {}
        for slug in sorted(text.live):
            points, why = self._own(self._topics[slug], text)
            if points > 0:
                found[slug] = (points, why)
        return found

    def prepare(self, papers: Iterable[Paper]) -> None:
        """Read papers ahead (when a batch arrives), so that no subscription pass pays for it."""
        for paper in papers:
            self._texts.get(paper)

    def topic_evidence(self, slug: str, paper: Paper) -> tuple[float, tuple[str, ...]]:
        """Points and reasons for one topic (best of it and its descendants) on one paper."""
        return self._topic(slug, self._texts.get(paper))

    def _topic(self, slug: str, text: PaperText) -> tuple[float, tuple[str, ...]]:
        if text.live.isdisjoint(self._subtree_slugs[slug]):
            return _NOTHING  # no topic under it has a phrase in the paper: nothing to weigh
        found = text.found.get(slug)
        if found is not None:
            return found  # another subscription has asked about this topic already
        best, best_why = 0.0, tuple[str, ...]()
        for compiled in self._subtrees[slug]:
            topic = compiled.topic
            if topic.slug not in text.live:
                continue
            own = text.evidence.get(topic.slug)
            if own is None:
                own = text.evidence[topic.slug] = self._own(compiled, text)
            points, why = own
            if points > best:
                label = topic.slug if topic.slug == slug else f"{topic.slug} (under {slug})"
                best, best_why = points, (f"{label}: {why[0]}", *why[1:])
        found = text.found[slug] = (best, best_why)
        return found

    def _scorer(self, term: Term) -> Scorer:
        """A term turned into a function of a paper's text, its fixed parts worked out once."""
        if isinstance(term, TopicTerm):
            slug = term.slug

            def topic(text: PaperText) -> tuple[float, tuple[str, ...]]:
                found = self._topic(slug, text)
                return found if found[0] >= TOPIC_FLOOR else _NOTHING

            return topic
        if isinstance(term, PhraseTerm):
            keys = tuple(phrase_keys(term.phrase))
            found = {name: (PHRASE[name], (f'"{term.phrase}" in {name}',)) for name in FIELDS}

            def phrase(text: PaperText) -> tuple[float, tuple[str, ...]]:
                for name in FIELDS:
                    field = text.keys[name]
                    if any(k in field for k in keys):
                        return found[name]
                return _NOTHING

            return phrase
        if isinstance(term, CategoryTerm):
            wanted, hit = term.category.lower(), (1.0, (f"category {term.category}",))
            return lambda text: hit if wanted in text.lower_categories else _NOTHING
        if isinstance(term, AuthorTerm):
            hit = (1.0, (f"author {term.name}",))
            has_author = _author_finder(term.name)
            return lambda text: hit if has_author(text) else _NOTHING
        if isinstance(term, LikeTerm):
            reference = self.references(term.key)
            if reference is None:  # not stored (yet): nothing is like it
                return lambda text: _NOTHING
            resemblance = self.resemblance(reference) if self.resemblance is not None else None
            return alike(reference, self.own_evidence(reference), term.key, resemblance)
        raise TypeError(f"unknown query term {term!r}")

    def _compiled(self, query: Query) -> _Compiled:
        compiled = self._queries.get(query)
        if compiled is None:
            if len(self._queries) >= 10_000:
                self._queries.clear()  # subscriptions change rarely; a bound, not a policy
            groups = tuple(tuple(self._scorer(t) for t in group) for group in query.groups)
            compiled = self._queries[query] = (groups, tuple(self._scorer(t) for t in query.excluded))
        return compiled

    def match(self, query: Query, paper: Paper) -> Match | None:
        """The match of one paper, or None when it misses a group, hits an exclusion or has too few upvotes."""
        return self._match(query, self._compiled(query), paper, self._texts.get(paper))

    def _match(self, query: Query, compiled: _Compiled, paper: Paper, text: PaperText) -> Match | None:
        if (paper.upvotes or 0) < query.min_upvotes:
            return None
        groups, excluded = compiled
        total, why = 0.0, list[str]()
        for group in groups:
            best, best_why = group[0](text)
            for scorer in group[1:]:
                points, reasons = scorer(text)
                if points > best:  # the first of equals, as max() picks
                    best, best_why = points, reasons
            if best < THRESHOLD:
                return None
            total += best
            why.extend(best_why)
        if any(scorer(text)[0] >= THRESHOLD for scorer in excluded):
            return None
        points = total / len(groups)
        return Match(paper=paper, score=round(points / (points + 1.0), 4), why=tuple(why), subscription=query.text)

    def match_many(self, query: Query, papers: Iterable[Paper]) -> list[Match]:
        """Every matching paper, best first: relevance, then upvotes, then the newest."""
        compiled = self._compiled(query)  # once: hashing a Query costs more than matching a paper
        texts = self._texts.get
        found = [m for m in (self._match(query, compiled, p, texts(p)) for p in papers) if m is not None]
        return sorted(found, key=rank_key)

    def evaluate(self, query: Query, papers: Iterable[tuple[Paper, PaperText]]) -> list[Match]:
        """`match_many` over papers whose texts the caller holds (stored evidence): nothing is read again."""
        compiled = self._compiled(query)
        found = [m for m in (self._match(query, compiled, p, t) for p, t in papers) if m is not None]
        return sorted(found, key=rank_key)

    def judge(self, query: Query) -> Callable[[Paper, PaperText], Match | None]:
        """The query as a function of one paper and its text, for callers that walk the papers themselves."""
        compiled = self._compiled(query)
        return lambda paper, text: self._match(query, compiled, paper, text)


def rank_key(match: Match) -> tuple[float, int, float]:
    published = match.paper.published_at
    if published is None:
        when = float("-inf")  # unknown dates sort after every known one
    else:
        when = (published if published.tzinfo else published.replace(tzinfo=UTC)).timestamp()
    return (-match.score, -(match.paper.upvotes or 0), -when)


def _author_finder(name: str) -> Callable[[PaperText], bool]:
    """`Sergey Levine`, `S. Levine` and `Levine` all find Sergey Levine; accents and case do not matter."""
    wanted = RAW_TOKEN.findall(fold(name))
    if not wanted:
        return lambda text: False
    last, initials = wanted[-1], [w[0] for w in wanted[:-1]]

    def has_author(text: PaperText) -> bool:
        for author in text.author_words:
            if last in author and all(any(a.startswith(i) for a in author) for i in initials):
                return True
        return False

    return has_author


__all__ = ["BROAD_CATEGORIES", "THRESHOLD", "Matcher", "rank_key"]
