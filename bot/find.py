"""Find a paper from half-remembered text: arXiv ids and URLs first, then full text, typo repair and a fuzzy re-rank."""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from rapidfuzz.utils import default_process
from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import ARXIV_ID, Found, strip_version
from storage import search
from storage.papers import PaperRepository

log = logging.getLogger(__name__)

# A whole message that is an id or a link to one: `2401.01234v2`, `arXiv:2401.01234`,
# `https://arxiv.org/pdf/2401.01234v1.pdf`, `https://huggingface.co/papers/2401.01234`,
# Slack's `<https://...|label>` wrapping included.
EXACT = re.compile(
    r"<?\s*(?:(?:https?://)?(?:[\w-]+\.)*(?:arxiv\.org/(?:abs|pdf|html)|huggingface\.co/papers)/|arxiv:\s*)?"
    rf"{ARXIV_ID.pattern}(?:\.pdf)?/?(?:[?#|][^>]*)?>?",
    re.I,
)
MIN_SCORE = 40.0  # below this a "match" shares a common word or two with the text, nothing more
# Endings the engine's stemmer folds away, longest first (`detections` -> `detect`, `models` -> `model`).
ENDINGS = ("ations", "ation", "ings", "ions", "ness", "ing", "ion", "ies", "ers", "ed", "es", "er", "ly", "s", "e", "y")
SMALL_WORDS = frozenset("a an and are as at by for from in into is it of on or the to via vs with".split())


@dataclass(frozen=True)
class Budget:
    """How much work one search may do."""

    candidates: int  # papers the engine ranks and we re-rank
    single_df: int  # a word in more titles than this is looked for only together with another
    first_letter_only: bool  # repairs keep the first letter (faster; typists rarely miss it)
    abstracts: bool  # look in abstracts when titles and authors give nothing convincing
    branch: int = 300  # words asked for together are expected in at most this many papers, or one more joins them
    rows: int = 1_500  # the papers all branches together are expected to bring the engine to rank
    postings: int = 500_000  # the postings all branches together may have the engine read


FIND = Budget(candidates=200, single_df=800, first_letter_only=False, abstracts=True)
SUGGEST = Budget(candidates=100, single_df=1_000, first_letter_only=True, abstracts=False)
MAX_SINGLES = 6
PAIRED = 5  # the rarest words that are paired with one another
WEAK = 70.0  # a best title score below this sends find to the abstracts too
TIE = 3.0  # candidates this close to the best are told apart by how much of the text their abstracts hold
ABSTRACT = 3.0  # at most this much for an abstract holding every word of the text
START = 2.0  # at most this much for a title that starts with the text
TIED = 8  # at most this many abstracts are read for that


def crude_stem(word: str) -> str:
    """What the engine's stemmer would keep of `word`, or a little less: `modelling` -> `model`."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


class Vocabulary:
    """The words of every paper's title, keywords and authors with their document counts.

    It is what misspelt terms are repaired against and what tells rare terms from common
    ones. It lives in memory (a few MB at a million papers): the engines' own vocabularies
    (fts5vocab, ts_stat) cost time in proportion to the postings they count, too slow per
    query. New papers are read incrementally by id; every hour a full reload runs in the
    background so that changed titles are seen too.
    """

    RELOAD_EVERY = 3600.0

    def __init__(self) -> None:
        self.df: Counter[str] = Counter()
        self.papers = 0
        self.last_id = 0
        self.loaded_at = 0.0
        self._sorted: list[str] = []
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._by_length: dict[int, list[str]] = {}
        self._family: dict[str, int] = {}
        self._lock = threading.Lock()
        self._reloading = False

    def refresh(self, session: Session) -> None:
        """Read the papers added since the last call; start a full reload in the background hourly."""
        if self.loaded_at and time.monotonic() - self.loaded_at > self.RELOAD_EVERY and not self._reloading:
            self._reloading = True
            threading.Thread(target=self._reload, args=(session.get_bind(),), daemon=True).start()
        if search.last_paper_id(session) <= self.last_id:
            return
        with self._lock:
            started, before = time.perf_counter(), self.papers
            for paper_id, title, keywords, authors in search.title_rows(session, self.last_id):
                self.df.update(set(search.tokens(f"{title} {keywords} {authors}")))
                self.papers += 1
                self.last_id = paper_id
            self._index()
            self.loaded_at = self.loaded_at or time.monotonic()
        log.info("find vocabulary: %d papers read, %d words, %.2fs",
                 self.papers - before, len(self.df), time.perf_counter() - started)

    def _reload(self, bind: object) -> None:
        """Read every title again (titles can change in place), then swap: queries never wait."""
        try:
            fresh = Vocabulary()
            with Session(bind) as session:  # type: ignore[call-overload]
                fresh.refresh(session)
            with self._lock:
                self.df, self.papers, self.last_id = fresh.df, fresh.papers, fresh.last_id
                self._sorted, self._buckets, self._by_length = fresh._sorted, fresh._buckets, fresh._by_length
                self._family = {}
        except Exception:  # a failed reload keeps the vocabulary we have
            log.exception("find vocabulary reload failed")
        finally:
            self.loaded_at, self._reloading = time.monotonic(), False

    def _index(self) -> None:
        words = [w for w in self.df if not w.isdigit()]
        self._sorted = sorted(words)
        buckets: dict[tuple[str, int], list[str]] = {}
        by_length: dict[int, list[str]] = {}
        for word in words:
            buckets.setdefault((word[0], len(word)), []).append(word)
            by_length.setdefault(len(word), []).append(word)
        self._buckets, self._by_length, self._family = buckets, by_length, {}

    def idf(self, word: str) -> float:
        return math.log((self.papers + 1) / (self.df.get(word, 0) + 0.5))

    def close_words(self, word: str, first_letter_only: bool) -> list[str]:
        """Known words within one typo (two for long words) of `word`, most frequent first."""
        most = 1 if len(word) <= 5 else 2
        lengths = range(len(word) - most, len(word) + most + 1)
        pools = [self._buckets.get((word[0], n), ()) for n in lengths]
        found = [m for pool in pools for m in process.extract(word, pool, scorer=OSA.distance, score_cutoff=most, limit=8)]
        if not found and not first_letter_only:
            pools = [self._by_length.get(n, ()) for n in lengths]
            found = [m for pool in pools for m in process.extract(word, pool, scorer=OSA.distance, score_cutoff=most, limit=8)]
        if not found:
            return []
        best = min(m[1] for m in found)
        close = sorted((m[0] for m in found if m[1] == best), key=lambda w: -self.df[w])
        return close[:3]

    def family_df(self, word: str) -> int:
        """Papers the engine would match for `word`: it stems (`changes` finds `changing` too), we do not.

        An upper estimate: the counts of every known word that starts as `word` does once a
        common ending is cut off.
        """
        cached = self._family.get(word)
        if cached is not None:
            return cached
        stem, total = crude_stem(word), 0
        start = bisect.bisect_left(self._sorted, stem)
        for known in self._sorted[start : start + 200]:
            if not known.startswith(stem):
                break
            total += self.df[known]
        total = max(total, self.df.get(word, 0))
        if len(self._family) < 100_000:
            self._family[word] = total
        return total

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


@dataclass
class Term:
    """One word of the query and what it may stand for in the index."""

    typed: str
    meant: list[str]

    @property
    def best(self) -> str:
        return self.meant[0] if self.meant else self.typed


class Finder:
    """The one search behind `/papers find`, `papers-bot find` and Discord autocomplete."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.vocabulary = Vocabulary()

    def find(self, text: str, limit: int = 5) -> list[Found]:
        return self._search(text, limit, FIND)

    def suggest(self, text: str, limit: int = 25) -> list[Found]:
        return self._search(text, limit, SUGGEST, typing=True)

    def warm(self) -> None:
        """Read the vocabulary now rather than on the first query (call it at start-up)."""
        with Session(self.engine) as session:
            self.vocabulary.refresh(session)

    def _search(self, text: str, limit: int, budget: Budget, typing: bool = False) -> list[Found]:
        if not isinstance(text, str) or limit <= 0:
            return []
        text = text.strip()[:1000]
        with Session(self.engine) as session:
            exact = EXACT.fullmatch(text)
            if exact:
                paper = PaperRepository(session).get(strip_version(exact.group("id")))
                return [Found(paper, 100.0, "arXiv id")] if paper else []
            words = search.words_of(text)
            if not words:
                return []
            self.vocabulary.refresh(session)
            terms = self._terms(words, budget, typing and not text[-1:].isspace())
            groups = self._groups(terms)
            if not groups:
                return []
            branches = self._branches(groups, budget)
            ranked = search.find_candidates(session, groups, 0, 0, budget.candidates, branches=branches)
            scored = self._rerank(text, terms, ranked, search.titles_of(session, [i for i, _ in ranked]))
            if budget.abstracts and (not scored or scored[0][0] < WEAK):
                # Nothing convincing in titles and authors: the words may describe the paper instead.
                more = search.find_candidates(session, groups, 0, 0, budget.candidates, titles_only=False, branches=branches)
                seen = {i for i, _ in ranked}
                more = [(i, r) for i, r in more if i not in seen]
                rows = search.titles_of(session, [i for i, _ in more], abstracts=True)
                scored += self._rerank(text, terms, more, rows, "text")
                scored.sort(key=lambda s: (-s[0], s[1]))
            scored = self._settle(session, terms, scored)[:limit]
            papers = PaperRepository(session).by_ids([paper_id for _, paper_id, _ in scored])
        return [Found(papers[paper_id], round(score, 2), how) for score, paper_id, how in scored if paper_id in papers]

    def _terms(self, words: list[str], budget: Budget, last_is_partial: bool) -> list[Term]:
        vocabulary, terms = self.vocabulary, []
        for number, word in enumerate(words):
            df = vocabulary.df.get(word, 0)
            meant = [word] if df else []
            if last_is_partial and number == len(words) - 1 and len(word) >= 2:
                meant += [w for w in vocabulary.completions(word) if w not in meant]
            elif df <= 2 and len(word) >= 4 and not word.isdigit():
                close = [w for w in vocabulary.close_words(word, budget.first_letter_only) if w != word]
                halves = [] if df else vocabulary.split(word)
                if halves and (not close or OSA.distance(word, close[0]) > 1):  # `goexplore`: two words run together
                    terms += [Term(half, [half]) for half in halves]
                    continue
                if close and (not df or vocabulary.df[close[0]] > 20 * df):  # a rare spelling next to a common one
                    meant = meant + close if df else close
            terms.append(Term(word, meant or [word]))
        return terms

    def _df(self, group: list[str]) -> int:
        return sum(self.vocabulary.family_df(w) for w in group)

    def _branches(self, groups: list[list[str]], budget: Budget) -> list[tuple[int, ...]]:
        """Which groups a candidate must hold together: rare words alone, common ones two or three at a time.

        The engine ranks every paper that matches, so each branch is sized from the vocabulary's
        document counts first: a pair of common words that would still match thousands of papers
        becomes triples (with the next rarest words), and branches stop once the papers they
        would bring in exceed the budget. Rarest first, so the words that tell papers apart come in.
        """
        papers = max(self.vocabulary.papers, 1)
        df = [max(self._df(g), 1) for g in groups]

        def size(branch: tuple[int, ...]) -> float:  # independence, doubled per extra word: words in titles go together
            return papers * math.prod(df[i] / papers for i in branch) * 2 ** (len(branch) - 1)

        branches: list[tuple[int, ...]] = []
        spent = 0.0
        for i in range(min(MAX_SINGLES, len(groups))):  # rare words alone
            if spent + df[i] > budget.single_df and (branches or df[i] > budget.single_df):
                break
            branches.append((i,))
            spent += df[i]
        singles = len(branches)
        pool = range(singles, min(len(groups), singles + PAIRED))
        combos = [c for c in itertools.combinations(pool, 2)]
        combos += [c for c in itertools.combinations(pool, 3) if all(size(p) > budget.branch for p in itertools.combinations(c, 2))]
        read = 0  # the engine also reads each word's whole posting list, once per branch it is in
        for combo in sorted(combos, key=size):
            if len(combo) == 3 or size(combo) <= budget.branch:
                cost = sum(df[i] for i in combo)
                if (spent + size(combo) > budget.rows or read + cost > budget.postings) and len(branches) > singles:
                    break
                branches.append(combo)
                spent += size(combo)
                read += cost
        return branches or [tuple(range(min(3, len(groups))))]

    def _groups(self, terms: list[Term]) -> list[list[str]]:
        """The query's words with their repairs, rarest first; small words only if nothing else."""
        groups = [t.meant for t in terms if t.typed not in SMALL_WORDS] or [t.meant for t in terms]
        unique: dict[tuple[str, ...], list[str]] = {}  # `agents` and `agent` are one word to the engine
        for group in groups:
            unique.setdefault(tuple(sorted({crude_stem(w) for w in group})), list(group))
        return sorted(unique.values(), key=self._df)

    def _settle(self, session: Session, terms: list[Term],
                scored: list[tuple[float, int, str]]) -> list[tuple[float, int, str]]:
        """Near-ties on the title ("X: Y" against a near-duplicate "X: Z" when the text has only X):
        prefer the paper whose abstract also holds the words of the text, the one that is about them."""
        if len(scored) < 2 or scored[1][0] < scored[0][0] - TIE:
            return scored
        close = [s for s in scored[:TIED] if s[0] >= scored[0][0] - TIE]
        abstracts = search.abstracts_of(session, [paper_id for _, paper_id, _ in close])
        weight = [max(self.vocabulary.idf(t.best.split()[0]), 0.1) for t in terms]
        total = sum(weight) or 1.0
        query = default_process(" ".join(t.best for t in terms))
        settled = []
        for score, paper_id, how in close:
            title, abstract = abstracts.get(paper_id, ("", ""))
            words = set(search.tokens(abstract))
            stems = {w[:6] for w in words if len(w) >= 6}
            held = sum(w for w, t in zip(weight, terms)
                       if any(m in words or (len(m) >= 6 and m[:6] in stems) for m in {t.typed, *t.meant}))
            # A title that starts as the text does: people remember the beginning ("X", not "Towards X").
            start = fuzz.ratio(query, default_process(title)[: len(query)], processor=None)
            bonus = ABSTRACT * held / total + START * max(0.0, start - 80) / 20
            settled.append((min(100.0, score + bonus), paper_id, how))
        settled.sort(key=lambda s: (-s[0], s[1]))
        return settled + scored[len(close):]

    def _rerank(self, text: str, terms: list[Term], ranked: list[tuple[int, float]],
                rows: dict[int, tuple[str, str, str]], where: str = "") -> list[tuple[float, int, str]]:
        """Score candidates on their titles: typo-tolerant similarity plus the query words they hold."""
        vocabulary = self.vocabulary
        query = default_process(" ".join(t.best for t in terms))
        weight = [max(vocabulary.idf(t.best.split()[0]), 0.1) for t in terms]
        total = sum(weight)
        owner: dict[str, list[int]] = {}  # index word -> the query terms it stands for
        for number, term in enumerate(terms):
            for word in {term.typed, *term.meant}:
                owner.setdefault(word, []).append(number)
        top = (ranked[0][1] if ranked else 0) or 1.0
        ranked = [(paper_id, rank) for paper_id, rank in ranked if paper_id in rows]
        shown = [default_process(rows[paper_id][0]) for paper_id, _ in ranked]
        wratio, token_set, ratio = fuzz.WRatio, fuzz.token_set_ratio, fuzz.ratio
        similarity = [0.55 * wratio(query, t, processor=None) + 0.35 * token_set(query, t, processor=None)
                      + 0.1 * ratio(query, t, processor=None) for t in shown]  # the last: "X" over "X: A Survey"
        scored = []
        for (paper_id, rank), like in zip(ranked, similarity):
            title, keywords, authors = rows[paper_id]
            title_words = set(search.tokens(title))
            held = owner.keys() & title_words
            in_title = {n for w in held for n in owner[w]}
            elsewhere: set[int] = set()
            if len(in_title) < len(terms):
                rest = owner.keys() - held
                elsewhere = {n for w in rest & set(search.tokens(keywords + " " + authors)) for n in owner[w]} - in_title
            covered = (sum(weight[n] for n in in_title) + 0.8 * sum(weight[n] for n in elsewhere)) / total
            # Of near-duplicates, the title the text covers best: "X" rather than "X: A Survey".
            precision = len(held) / max(len(title_words), 1)
            score = min(100.0, 0.55 * like + 40 * min(covered, 1.0) + 3 * precision + 2 * rank / top)
            how = where or ("author" if elsewhere and len(elsewhere) >= len(in_title) else "title")
            scored.append((score, paper_id, how))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [s for s in scored if s[0] >= MIN_SCORE]
