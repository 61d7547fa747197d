"""Relevance decided once per paper: each paper's topic evidence computed when it arrives, stored, read back.

Stored evidence carries a version (the taxonomy's fingerprint and the rules' revision) and a
checksum of the text it was read from: evidence of another version, or of a text since changed,
is never used; it is read again (at once for the papers asked about, in the background for the rest).
"""

from __future__ import annotations

import functools
import logging
import zlib
from collections.abc import Sequence

from sqlalchemy import Engine

from bot.domain import Match, Paper
from bot.relevance.matching import Matcher
from bot.relevance.paper_text import PaperText
from bot.relevance.query import Query
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

RULES = "4"  # bump when evidence.py or matching.py change how points and reasons come out
BATCH = 500


def text_crc(paper: Paper) -> int:
    """A checksum of what evidence reads: title, keywords, abstract, categories (upvotes and links do not count)."""
    text = "\x1f".join((paper.title, "\x1e".join(paper.ai_keywords), paper.abstract, "\x1e".join(paper.categories)))
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def evidence_version(matcher: Matcher) -> str:
    """What stored evidence is stamped with: the taxonomy, the rules and the topic models it was computed with."""
    return f"{matcher.taxonomy.fingerprint}.{RULES}.{matcher.topic_model_revision or 'rules'}"


class PaperTopics:
    """Stored topic evidence for a matcher's taxonomy: `texts` for matching, `refresh` for new or stale papers."""

    def __init__(self, engine: Engine, matcher: Matcher) -> None:
        self.engine = engine
        self.matcher = matcher

    @functools.cached_property
    def version(self) -> str:
        return evidence_version(self.matcher)

    def texts(self, papers: Sequence[Paper]) -> dict[str, PaperText]:
        """Each paper ready for matching from its stored evidence; what is missing or stale is computed and stored."""
        crcs = {paper.key: text_crc(paper) for paper in papers}
        with UnitOfWork(self.engine) as uow:
            stamps = uow.evidence.stamps(list(crcs))
            current = [key for key, crc in crcs.items() if stamps.get(key) == (self.version, crc)]
            stored = uow.evidence.load(current)
        missing = {paper.key: paper for paper in papers if paper.key not in stored}
        if missing:
            stored.update(self._assess(list(missing.values()), crcs))
        return {paper.key: PaperText.stored(paper, stored[paper.key]) for paper in papers}

    def evaluate(self, query: Query, papers: Sequence[Paper]) -> list[Match]:
        """Every paper the query matches, best first, from stored evidence (what the dry run and `match` show)."""
        texts = self.texts(papers)
        return self.matcher.evaluate(query, ((paper, texts[paper.key]) for paper in papers))

    def _assess(
        self, papers: Sequence[Paper], crcs: dict[str, int]
    ) -> dict[str, dict[str, tuple[float, tuple[str, ...]]]]:
        computed = {paper.key: self.matcher.own_evidence(paper) for paper in papers}
        for start in range(0, len(papers), BATCH):
            keys = [paper.key for paper in papers[start : start + BATCH]]
            with UnitOfWork(self.engine) as uow:
                uow.evidence.store(self.version, [(key, crcs[key], computed[key]) for key in keys])
                uow.commit()
        return computed

    def refresh(self, limit: int = 5_000) -> int:
        """Assess up to `limit` papers whose evidence is missing or of another version, newest first."""
        with UnitOfWork(self.engine) as uow:
            keys = uow.evidence.stale(self.version, limit)
            papers = uow.papers.by_keys(keys)
        if papers:
            self._assess(papers, {paper.key: text_crc(paper) for paper in papers})
            log.info("assessed the topics of %d papers (evidence %s)", len(papers), self.version)
        return len(papers)

    def refresh_all(self, batch: int = 5_000) -> int:
        """Assess every stale paper, a batch at a time (the background job after a taxonomy change)."""
        total = 0
        while done := self.refresh(batch):
            total += done
        return total


__all__ = ["RULES", "PaperTopics", "evidence_version", "text_crc"]
