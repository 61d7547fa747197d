"""Find a paper from half-remembered text: arXiv ids and URLs first, then full text, typo repair and a fuzzy re-rank."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from rapidfuzz.utils import default_process
from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import Found, Paper
from bot.find.modes import choose
from bot.find.spelling import crude_stem
from bot.paper_links import arxiv_key
from bot.retrieval.meaning import MeaningIndex
from storage import search
from storage.papers import PaperRepository

if TYPE_CHECKING:  # numpy and the index are imported at the first search: a command that finds nothing skips them
    import numpy as np

    from bot.find.title_index import TitleIndex

log = logging.getLogger(__name__)

MIN_SCORE = 40.0  # below this a "match" shares a common word or two with the text, nothing more
SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "via",
        "vs",
        "with",
    ]
)


@dataclass(frozen=True)
class Budget:
    """How much work one search may do."""

    candidates: int  # papers the index scores best that are re-ranked on their titles
    first_letter_only: bool  # repairs keep the first letter (faster; typists rarely miss it)
    abstracts: bool  # look in abstracts when titles and authors give nothing convincing


FIND = Budget(candidates=200, first_letter_only=False, abstracts=True)
TITLES = Budget(candidates=200, first_letter_only=False, abstracts=False)  # `auto`: meaning reads the abstracts
SUGGEST = Budget(candidates=100, first_letter_only=True, abstracts=False)
WEAK = 70.0  # a best title score below this sends find to the abstracts too
TIE = 3.0  # candidates this close to the best are told apart by how much of the text their abstracts hold
ABSTRACT = 3.0  # at most this much for an abstract holding every word of the text
START = 2.0  # at most this much for a title that starts with the text
TIED = 8  # at most this many abstracts are read for that
RERANKED = 40  # candidates read word by word, of those the batch similarity puts first


@dataclass
class Term:
    """One word of the query and what it may stand for in the index."""

    typed: str
    meant: list[str]
    whole: str = ""  # the word typed, when this is half of two run together (`goexplore`)

    @property
    def best(self) -> str:
        return self.meant[0] if self.meant else self.typed


class Finder:
    """The one search behind `/papers find`, `papers-bot find` and Discord autocomplete."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fetch: Callable[[str], Paper | None] | None = None  # an id not stored, asked of arXiv (bot/app.py)
        self._index: TitleIndex | None = None
        self._making = threading.Lock()
        self.meaning = MeaningIndex(engine)
        self._warmed = False
        self._warming = threading.Lock()

    @property
    def index(self) -> TitleIndex:
        """Made at the first search or warm-up, once, whichever thread comes first."""
        with self._making:
            if self._index is None:
                from bot.find.title_index import TitleIndex

                self._index = TitleIndex()
            return self._index

    def find(self, text: str, limit: int = 5, mode: str = "auto") -> list[Found]:
        """`title`: today's title finder; `meaning`: ranked by what the paper is about; `auto`: per query.
        An id or link to a paper not stored is asked of arXiv."""
        return self._find(text, limit, mode) or self._not_stored(text, limit)

    def _find(self, text: str, limit: int, mode: str) -> list[Found]:
        if mode == "title" or not isinstance(text, str) or arxiv_key(text[:1000]):
            return self._search(text, limit, FIND)
        if mode == "meaning":
            return self.meaning.find(text, limit)
        return choose(text, limit, lambda t, n: self._search(t, n, TITLES), self.meaning.find)

    def _not_stored(self, text: str, limit: int) -> list[Found]:
        """An arXiv id or link to a paper not stored: asked of arXiv as a pasted link's card is (paced), and kept.
        Only `find` asks: suggestions come as someone types, and would ask for every id half typed."""
        key = arxiv_key(text[:1000]) if isinstance(text, str) and limit > 0 else None
        if key is None or self.fetch is None:
            return []
        paper = self.fetch(key)
        return [Found(paper, 100.0, "arXiv id")] if paper is not None else []

    def suggest(self, text: str, limit: int = 25) -> list[Found]:
        return self._search(text, limit, SUGGEST, typing=True)

    def warm(self) -> None:
        """Read both indexes: `papers-bot run` calls it at start, in a thread; otherwise the first search does."""
        self.warm_titles()
        self.meaning.warm()

    def warm_titles(self) -> None:
        """Read the index (from its snapshot when there is one) and prepare the statements a search runs."""
        with self._warming:
            if self._warmed:
                return
            from bot.find import snapshot as title_snapshot

            title_snapshot.warm(self.index, self.engine)
            with Session(self.engine) as session:
                PaperRepository(session).by_ids([0])  # the ORM compiles its statement once: 50 ms
            self._warmed = True

    def _search(self, text: str, limit: int, budget: Budget, typing: bool = False) -> list[Found]:
        if not isinstance(text, str) or limit <= 0:
            return []
        text = text.strip()[:1000]
        with Session(self.engine) as session:
            key = arxiv_key(text)
            if key:
                paper = PaperRepository(session).get(key)
                return [Found(paper, 100.0, "arXiv id")] if paper else []
            words = search.words_of(text)
            if not words:
                return []
            if not self._warmed:
                self.warm_titles()
            self.index.refresh(session)
            terms = self._terms(words, budget, typing and not text[-1:].isspace())
            groups = self._groups(terms)
            if not groups:
                return []
            ranked = self.index.candidates(groups, budget.candidates)
            text = said(text, terms)
            scored = self._rerank(text, terms, ranked, search.titles_of(session, [i for i, _ in ranked]))
            if budget.abstracts and (not scored or scored[0][0] < WEAK):
                # Nothing convincing in titles and authors: the words may describe the paper instead.
                more = search.abstract_candidates(session, groups, budget.candidates)
                seen = {i for i, _ in ranked}
                more = [(i, r) for i, r in more if i not in seen]
                rows = search.titles_of(session, [i for i, _ in more], abstracts=True)
                scored += self._rerank(text, terms, more, rows, "text")
                scored.sort(key=lambda s: (-s[0], s[1]))
            scored = self._settle(session, text, terms, scored)[:limit]
            papers = PaperRepository(session).by_ids([paper_id for _, paper_id, _ in scored])
        return [Found(papers[paper_id], round(score, 2), how) for score, paper_id, how in scored if paper_id in papers]

    def _terms(self, words: list[str], budget: Budget, last_is_partial: bool) -> list[Term]:
        spelling, terms = self.index.spelling, []
        for number, word in enumerate(words):
            df = spelling.df.get(word, 0)
            meant = [word] if df else []
            if last_is_partial and number == len(words) - 1 and len(word) >= 2:
                meant += [w for w in spelling.completions(word) if w not in meant]
            elif df <= 2 and len(word) >= 4 and not word.isdigit():
                close = [w for w in spelling.close_words(word, budget.first_letter_only) if w != word]
                halves = [] if df else spelling.split(word)
                if halves and (not close or OSA.distance(word, close[0]) > 1):  # `goexplore`: two words run together
                    terms += [Term(half, [half], word) for half in halves]
                    continue
                if close and (not df or spelling.df[close[0]] > 20 * df):  # a rare spelling next to a common one
                    meant = meant + close if df else close
            terms.append(Term(word, meant or [word]))
        return terms

    def _df(self, group: list[str]) -> int:
        return self.index.stem_df(group)

    def _groups(self, terms: list[Term]) -> list[list[str]]:
        """The query's words with their repairs, rarest first; small words only if nothing else."""
        groups = [t.meant for t in terms if t.typed not in SMALL_WORDS] or [t.meant for t in terms]
        unique: dict[tuple[str, ...], list[str]] = {}  # `agents` and `agent` are one word to the engine
        for group in groups:
            unique.setdefault(tuple(sorted({crude_stem(w) for w in group})), list(group))
        return sorted(unique.values(), key=self._df)

    def _weights(self, terms: list[Term]) -> list[float]:
        """How much each word of the text counts: its rarity among titles, with a floor."""
        return [max(self.index.spelling.idf(t.best.split()[0]), 0.1) for t in terms]

    def _settle(
        self, session: Session, text: str, terms: list[Term], scored: list[tuple[float, int, str]]
    ) -> list[tuple[float, int, str]]:
        """Near-ties on the title ("X: Y" against a near-duplicate "X: Z" when the text has only X):
        prefer the paper whose abstract also holds the words of the text, the one that is about them."""
        if len(scored) < 2 or scored[1][0] < scored[0][0] - TIE:
            return scored
        close = [s for s in scored[:TIED] if s[0] >= scored[0][0] - TIE]
        abstracts = search.abstracts_of(session, [paper_id for _, paper_id, _ in close])
        weight = self._weights(terms)
        total = sum(weight) or 1.0
        settled = []
        for score, paper_id, how in close:
            title, abstract = abstracts.get(paper_id, ("", ""))
            words = set(search.tokens(abstract))
            stems = {w[:6] for w in words if len(w) >= 6}
            held = sum(
                w
                for w, t in zip(weight, terms, strict=False)
                if any(m in words or (len(m) >= 6 and m[:6] in stems) for m in {t.typed, *t.meant})
            )
            # A title that starts as the text does: people remember the beginning ("X", not "Towards X").
            start = fuzz.ratio(text, default_process(title)[: len(text)], processor=None)
            bonus = ABSTRACT * held / total + START * max(0.0, start - 80) / 20
            settled.append((min(100.0, score + bonus), paper_id, how))
        settled.sort(key=lambda s: (-s[0], s[1]))
        return settled + scored[len(close) :]

    def _rerank(
        self,
        text: str,
        terms: list[Term],
        ranked: list[tuple[int, float]],
        rows: dict[int, tuple[str, str, str]],
        where: str = "",
    ) -> list[tuple[float, int, str]]:
        """Score candidates on their titles: typo-tolerant similarity plus the query words they hold.

        Similarity is worked out for every candidate in one batch; the word-by-word reading
        (which words of the text the title, keywords or authors hold) only for the `RERANKED`
        that similarity and the index's score put first.
        """
        import numpy as np

        weight = self._weights(terms)
        total = sum(weight)
        owner: dict[str, list[int]] = {}  # index word -> the query terms it stands for
        for number, term in enumerate(terms):
            for word in {term.typed, *term.meant}:
                owner.setdefault(word, []).append(number)
        top = (ranked[0][1] if ranked else 0) or 1.0
        ranked = [(paper_id, rank) for paper_id, rank in ranked if paper_id in rows]
        if not ranked:
            return []
        like = similarity(text, [rows[paper_id][0] for paper_id, _ in ranked])
        first = 0.55 * like + 40 * np.array([rank / top for _, rank in ranked])
        scored = []
        for at in np.argsort(-first, kind="stable")[:RERANKED]:
            (paper_id, rank), title_like = ranked[at], float(like[at])
            title, keywords, authors = rows[paper_id]
            title_words = set(search.tokens(title))
            held = owner.keys() & title_words
            in_title = {n for w in held for n in owner[w]}
            elsewhere: set[int] = set()
            if len(in_title) < len(terms):
                rest = owner.keys() - held
                elsewhere = {
                    n for w in rest & set(search.tokens(keywords + " " + authors)) for n in owner[w]
                } - in_title
            covered = (sum(weight[n] for n in in_title) + 0.8 * sum(weight[n] for n in elsewhere)) / total
            # Of near-duplicates, the title the text covers best: "X" rather than "X: A Survey".
            precision = len(held) / max(len(title_words), 1)
            score = min(100.0, 0.55 * title_like + 40 * min(covered, 1.0) + 3 * precision + 2 * rank / top)
            how = where or ("author" if elsewhere and len(elsewhere) >= len(in_title) else "title")
            scored.append((score, paper_id, how))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [s for s in scored if s[0] >= MIN_SCORE]


def said(text: str, terms: list[Term]) -> str:
    """The text in its own order and with its repeats, each word as repaired: what titles are compared with."""
    best: dict[str, list[str]] = {}
    for term in terms:
        best.setdefault(term.whole or term.typed, []).append(term.best)
    return default_process(" ".join(w for typed in search.tokens(text) for w in best.get(typed, [typed])))


def similarity(query: str, titles: list[str]) -> np.ndarray:
    """Typo-tolerant likeness of `query` (already processed) to each title, 0-100, in one batch each."""
    import numpy as np

    shown = [default_process(t) for t in titles]

    def batch(scorer: Any) -> np.ndarray:
        return process.cdist([query], shown, scorer=scorer, processor=None, dtype=np.float32)[0]

    # WRatio forgives order and partial text; the plain ratio prefers "X" over "X: A Survey".
    return 0.55 * batch(fuzz.WRatio) + 0.35 * batch(fuzz.token_set_ratio) + 0.1 * batch(fuzz.ratio)
