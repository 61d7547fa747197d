"""Papers named by links: arXiv, Hugging Face and alphaXiv URLs read for their ids, stored or fetched from arXiv."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from bot.chat.replies import LookedUp, PaperCard
from bot.domain import Paper
from bot.errors import PapersError
from bot.paper_links import link_id, links_in
from bot.relevance.matching import THRESHOLD
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.topics import Taxonomy
from bot.sources.ingest import ingest_parsed
from bot.sources.parsed import Parsed, arxiv_id
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_LINKS = 5  # papers looked up for one message: a pasted reading list gets its first five
MAX_TOPICS = 3
UNKNOWN_FOR = 86_400.0  # seconds an id arXiv had no paper for is not asked again (a new paper may appear the next day)
MAX_UNKNOWN = 100_000  # ids remembered so, about 10 MB at most
ASK_WAIT = 60.0  # seconds a lookup waits for another thread's answer to the same id (arXiv is paced, 3 s a request)

Fetch = Callable[[list[str]], Parsed]


def linked_id(url: str) -> str | None:
    """The arXiv id (of arXiv's grammar, version dropped) one link to a paper's page names, else None."""
    found = link_id(url[:2_000])
    return arxiv_id(found) if found else None


def linked_ids(text: str) -> list[str]:
    """The arXiv ids the links in `text` name, in order, each once: each word read as a URL on its own."""
    found: list[str] = []
    for link in links_in(text[:10_000]):
        paper_id = linked_id(link)
        if paper_id and paper_id not in found:
            found.append(paper_id)
    return found


class PaperLookup:
    """Stored papers by id; the ones not stored are asked of arXiv (politely, as the sources are) and stored.

    An id arXiv answered without a paper is not asked again for UNKNOWN_FOR (remembered in this process's
    memory: each web process asks at most once a day), and an id being asked already by another thread is
    waited for, not asked twice: a link pasted in thirty messages at once costs one request."""

    def __init__(
        self,
        engine: Engine,
        paper_topics: PaperTopics,
        taxonomy: Taxonomy,
        fetch: Fetch | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.paper_topics = paper_topics
        self.taxonomy = taxonomy
        self.fetch = fetch
        self.clock = clock
        self._unknown: dict[str, float] = {}  # id -> until when arXiv is not asked for it again
        self._asking: dict[str, threading.Event] = {}  # id -> set when the thread asking arXiv for it is done
        self._guard = threading.Lock()

    def cards(self, ids: Sequence[str]) -> dict[str, PaperCard]:
        """A card for every id that is stored or that arXiv knows; the others are absent."""
        return {paper_id: self.card(paper) for paper_id, paper in self.papers(ids).items()}

    def papers(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Every id that is stored or that arXiv knows (those asked of arXiv are stored); the others are absent."""
        ids = list(dict.fromkeys(ids))[:MAX_LINKS]
        papers = self._stored(ids)
        unknown = [paper_id for paper_id in ids if paper_id not in papers]
        if unknown and self.fetch is not None:
            claimed, theirs = self._to_ask(unknown)
            try:
                # another thread may have asked, stored and let go of an id since this one looked: look again
                stored = self._stored(claimed) if claimed else {}
                mine = [paper_id for paper_id in claimed if paper_id not in stored]
                if mine and self._fetch(mine):
                    self._remember_unknown([paper_id for paper_id in mine if paper_id not in self._stored(mine)])
            finally:
                self._asked(claimed)
            for asked in theirs:
                asked.wait(ASK_WAIT)
            papers.update(self._stored(unknown))
        return papers

    def _to_ask(self, ids: list[str]) -> tuple[list[str], list[threading.Event]]:
        """The ids this thread asks arXiv for (now in flight), and the answers other threads are getting."""
        mine: list[str] = []
        theirs: list[threading.Event] = []
        now = self.clock()
        with self._guard:
            for paper_id in ids:
                if self._unknown.get(paper_id, 0.0) > now:
                    continue
                if paper_id in self._asking:
                    theirs.append(self._asking[paper_id])
                else:
                    self._asking[paper_id] = threading.Event()
                    mine.append(paper_id)
        return mine, theirs

    def _asked(self, ids: list[str]) -> None:
        with self._guard:
            for paper_id in ids:
                self._asking.pop(paper_id).set()

    def _remember_unknown(self, ids: list[str]) -> None:
        now = self.clock()
        with self._guard:
            if len(self._unknown) + len(ids) > MAX_UNKNOWN:  # forget the expired first, then the oldest
                self._unknown = {k: until for k, until in self._unknown.items() if until > now}
                while len(self._unknown) + len(ids) > MAX_UNKNOWN:
                    del self._unknown[next(iter(self._unknown))]
            for paper_id in ids:
                self._unknown[paper_id] = now + UNKNOWN_FOR

    def paper(self, paper_id: str) -> Paper | None:
        """One paper by its id, as a pasted link's card gets it: `/papers find 2401.12345` for one not stored."""
        return self.papers([paper_id]).get(paper_id)

    def look_up(self, text: str) -> LookedUp:
        """Every paper the links in `text` name, as the reply "Look up paper" shows."""
        ids = linked_ids(text)[:MAX_LINKS]
        cards = self.cards(ids)
        return LookedUp(tuple(cards[i] for i in ids if i in cards), tuple(i for i in ids if i not in cards))

    def card(self, paper: Paper) -> PaperCard:
        """The paper with the names of the topics its stored evidence puts it in, strongest first."""
        evidence = self.paper_topics.texts([paper])[paper.key].evidence
        strong = sorted(((points, slug) for slug, (points, _) in evidence.items() if points >= THRESHOLD), reverse=True)
        names = []
        for _, slug in strong[:MAX_TOPICS]:
            topic = self.taxonomy.get(slug)
            names.append(topic.name if topic else slug)
        return PaperCard(paper, tuple(names))

    def _stored(self, ids: Sequence[str]) -> dict[str, Paper]:
        with UnitOfWork(self.engine) as uow:
            return {paper.key: paper for paper in uow.papers.by_keys(list(ids))}

    def _fetch(self, ids: list[str]) -> bool:
        """Ask arXiv and store what it gives; False when it did not answer (nothing is learnt from that)."""
        assert self.fetch is not None
        try:
            parsed = self.fetch(ids)
        except PapersError as error:
            log.warning("arXiv lookup of %s failed: %s", ", ".join(ids), error.message)
            return False
        if parsed.papers:
            summary = ingest_parsed(self.engine, parsed)
            log.info("stored %d papers looked up on arXiv: %s", summary.result.added, ", ".join(ids))
        return True
