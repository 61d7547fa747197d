"""BM25 over every paper's title, abstract, AI summary and keywords: a tantivy index in a folder on disk.

tantivy (Rust) keeps the index in immutable segments that every process maps from disk, so many
web workers share one copy through the page cache, a restart opens it in milliseconds, and new
papers are added as a new segment rather than by rebuilding. Only one process writes at a time
(tantivy's own lock): the others see its commits when they reload. Imported only where meaning
search runs: the light commands never load tantivy.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from bot.retrieval.question import STOP_WORDS, weighted_terms

log = logging.getLogger(__name__)

FIELD = "text"
ANALYZER = "papers_en"
TYPICAL_WORDS = 25
WRITER_HEAP = 50_000_000

Row = tuple[int, str, str, str, str]  # paper id, title, abstract, AI summary, keywords


def analyzer() -> tantivy.TextAnalyzer:
    """Words as the index stores them: letters and digits, lower case, accents folded, Snowball English stems."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def document(title: str, abstract: str, summary: str, keywords: str) -> str:
    """One field for all the text: BM25 over one field ranks far better here than a sum over fields, whose
    per-field rarity lets a title word outweigh everything (hit@10 0.53 against 0.92). The title counts twice:
    it names what the paper is about; so do keywords, chosen words; the abstract and summary describe it."""
    return "\n".join((title or "", title or "", keywords or "", abstract or "", summary or ""))


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_text_field(FIELD, stored=False, tokenizer_name=ANALYZER, index_option="freq")
    return builder.build()


class LexicalIndex:
    """The stored papers' words, ranked by BM25; a query's content words, optionally widened by feedback."""

    def __init__(self, index: tantivy.Index, folder: Path | None = None) -> None:
        self.index = index
        self.folder = folder  # None: held in memory
        self._last: int | None = None
        self.analyzer = analyzer()
        index.register_tokenizer(ANALYZER, self.analyzer)
        self.schema = index.schema

    @classmethod
    def create(cls, folder: Path) -> LexicalIndex:
        """A new, empty index in `folder` (whatever was there is removed)."""
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return cls(tantivy.Index(schema(), path=str(folder)), folder)

    @classmethod
    def open(cls, folder: Path) -> LexicalIndex:
        """The index in `folder`; ValueError when there is none or it is of another layout."""
        if not tantivy.Index.exists(str(folder)):
            raise ValueError(f"no index in {folder}")
        return cls(tantivy.Index(schema(), path=str(folder), reuse=True), folder)

    # -- writing ---------------------------------------------------------------------------

    @classmethod
    def in_memory(cls) -> LexicalIndex:
        """An index held in memory: for small databases, which each process reads in a second or two."""
        return cls(tantivy.Index(schema()))

    def update(self, rows_after: Callable[[int], Iterable[Row]]) -> int:
        """Add the papers after the last one indexed (`rows_after(last_id)` reads them); commit; how many.

        The last id is read once the writer's lock is held, so two processes never add a paper twice.
        """
        with self._writer() as writer:
            self.reload()
            added, last = 0, self.last_id()
            for paper_id, title, abstract, summary, keywords in rows_after(last):
                writer.add_document(tantivy.Document(id=paper_id, text=document(title, abstract, summary, keywords)))
                added, last = added + 1, max(last, paper_id)
        self._last = last
        return added

    def count_between(self, after_id: int, upto_id: int) -> int:
        """How many papers indexed have an id after `after_id` and up to `upto_id`."""
        if after_id <= 0 and upto_id >= self.last_id():
            return self.papers  # all of them: no need to walk a million ids
        found = self.index.searcher().search(self._id_range(after_id, upto_id), 1, count=True)
        return int(found.count)  # type: ignore[attr-defined]  # tantivy's stub leaves out the count it returns

    def ids_between(self, after_id: int, upto_id: int) -> set[int]:
        searcher = self.index.searcher()
        found = searcher.search(self._id_range(after_id, upto_id), max(upto_id - after_id, 1), count=False)
        return {int(searcher.doc(address)["id"][0]) for _, address in found.hits}

    def _id_range(self, after_id: int, upto_id: int) -> tantivy.Query:
        return tantivy.Query.range_query(
            self.schema, "id", tantivy.FieldType.Integer, after_id, upto_id, include_lower=False
        )

    def replace(self, rows: Iterable[Row]) -> int:
        """Index these papers again (their text changed in place, or they may be missing); commit; how many.

        Safe to repeat: a paper is taken out before it is added, so two processes never index it twice."""
        with self._writer() as writer:
            replaced = 0
            for paper_id, title, abstract, summary, keywords in rows:
                writer.delete_documents_by_term("id", paper_id)
                writer.add_document(tantivy.Document(id=paper_id, text=document(title, abstract, summary, keywords)))
                replaced += 1
        return replaced

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """tantivy's writer, committed on success; ValueError at once when another process holds it."""
        writer = self.index.writer(WRITER_HEAP, 1)
        try:
            yield writer
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self.index.reload()

    def last_id(self) -> int:
        """The highest paper id indexed, 0 when empty: read once (20 ms at a million papers), then kept."""
        if self._last is None:
            self._last = self._read_last_id()
        return self._last

    def _read_last_id(self) -> int:
        searcher = self.index.searcher()
        if not searcher.num_docs:
            return 0
        hits = searcher.search(tantivy.Query.all_query(), 1, count=False, order_by_field="id").hits
        # The stored id, not the order key: before tantivy 0.27 that is the raw fast-field value (sign bit flipped).
        return int(searcher.doc(hits[0][1])["id"][0]) if hits else 0

    @property
    def papers(self) -> int:
        return int(self.index.searcher().num_docs)

    def reload(self) -> None:
        """See what other processes committed since."""
        self.index.reload()
        self._last = None

    # -- searching -------------------------------------------------------------------------

    def stems(self, text: str) -> list[str]:
        return [t for t in self.analyzer.analyze(text) if t]

    def search(self, text: str, limit: int) -> list[tuple[int, float]]:
        """The `limit` best papers for the content words of `text`: (paper id, BM25 score), best first."""
        words: dict[str, float] = {}
        for word, weight in weighted_terms(text).items():
            for stem in self.stems(word):
                words[stem] = words.get(stem, 0.0) + weight
        return self.search_stems(words, limit) if words else []

    def search_stems(self, weights: dict[str, float], limit: int) -> list[tuple[int, float]]:
        """The `limit` best papers for these stems, each counting as much as its weight says."""
        return self._run(self.index.searcher(), weights, limit)

    def _run(self, searcher: tantivy.Searcher, weights: dict[str, float], limit: int) -> list[tuple[int, float]]:
        clauses = []
        for stem, weight in weights.items():
            query = tantivy.Query.term_query(self.schema, FIELD, stem, index_option="freq")
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, weight)))
        result = searcher.search(tantivy.Query.boolean_query(clauses), limit, count=False)
        return [(int(searcher.doc(address)["id"][0]), float(score)) for score, address in result.hits]

    def typical(self, texts: Iterable[str], limit: int = TYPICAL_WORDS) -> dict[str, float]:
        """The stems most typical of these texts (frequent in them, rare in the index), weighted 0-1: what
        "more like this" searches for, and what pseudo-relevance feedback adds to a query."""
        searcher = self.index.searcher()
        total = max(searcher.num_docs, 1)
        weight: dict[str, float] = {}
        for body in texts:
            stems = [s for s in self.stems(body) if len(s) > 2 and not s.isdigit() and s not in STOP_WORDS]
            for stem, count in Counter(stems).items():
                weight[stem] = weight.get(stem, 0.0) + count / len(stems)
        scored = {}
        for stem, share in weight.items():
            df = searcher.doc_freq(FIELD, stem)
            if df >= 2:  # a word of one paper alone is its name, not its subject
                scored[stem] = share * math.log(total / df)
        best = sorted(scored.items(), key=lambda item: -item[1])[:limit]
        top = best[0][1] if best else 1.0
        return {stem: score / top for stem, score in best}
