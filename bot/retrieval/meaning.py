"""The stored papers ranked by meaning: the lexical index kept in step with the database, and what matched.

Small databases (fewer than `SMALL` papers) are indexed in memory by each process, in well under a
second. Larger ones are indexed once into a folder beside the SQLite file (for a server, in the user
cache folder under a hash of its URL, as the title snapshot is): every process of the machine maps
the same files, a restart opens them at once, and papers added or changed since are added as they
are met. A folder built from another database (one recreated at the same path) is built again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import Found, Paper
from bot.retrieval import gaps
from bot.retrieval.similar import Likeness
from storage import meaning as stored
from storage.engine import file_beside
from storage.papers import PaperRepository
from storage.search import last_paper_id, papers_identity
from storage.tables import utcnow

if TYPE_CHECKING:
    from bot.retrieval.lexical import LexicalIndex

log = logging.getLogger(__name__)

SMALL = 5_000  # papers: fewer are indexed in memory in well under a second; more, once, on disk
MAX_TEXT = 4000  # characters of a query read: a pasted abstract says enough in its first lines
MAX_LIMIT = 100
RECHECK_EVERY = 3600.0  # seconds between reads of the papers changed in place
CLOCK_SKEW = timedelta(minutes=5)
STATE = "papers-state.json"  # in the index folder: which database it is of, and since when changes are read


@dataclass(frozen=True)
class Hit:
    """One paper found by meaning: its row id, BM25 score, and the line saying what matched."""

    paper_id: int
    score: float
    why: str


def same_papers(saved: str, now: str) -> bool:
    """The index's database: the same first paper and paper at the last id, and as many papers up to it or
    more (committed out of id order after the index moved past their ids: `gaps` adds them, no rebuild)."""
    saved_count, _, saved_keys = saved.partition(":")
    count, _, keys = now.partition(":")
    return saved_keys == keys and saved_count.isdigit() and count.isdigit() and int(count) >= int(saved_count)


class MeaningIndex:
    """Ranked search over every stored paper's title, abstract, AI summary and keywords."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.folder = file_beside(engine, "meaning-index")
        self._index: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._changed_since: datetime | None = None  # papers changed after this are indexed again
        self._checked_at: float | None = None  # when they last were (monotonic); None: at the next search
        self._recounted_at: float | None = None  # when papers committed out of id order were last looked for

    def warm(self) -> None:
        with Session(self.engine) as session:
            self._ready(session)

    def find(self, text: str, limit: int) -> list[Found]:
        """The papers best matching `text` by meaning, each with the line saying what matched."""
        if not isinstance(text, str) or limit <= 0 or not text.strip():
            return []
        hits = self.search(text[:MAX_TEXT], min(limit, MAX_LIMIT))
        if not hits:
            return []
        with Session(self.engine) as session:
            papers = PaperRepository(session).by_ids([h.paper_id for h in hits])
        best = hits[0].score or 1.0
        # Scores out of 80: below a title the finder is sure of, so that a fused list reads in order.
        return [Found(papers[h.paper_id], round(80 * h.score / best, 2), h.why) for h in hits if h.paper_id in papers]

    def likeness(self, paper: Paper) -> Likeness:
        """How much papers resemble `paper`, by its typical words among the stored papers (`like:`)."""
        with Session(self.engine) as session:
            index = self._ready(session)
        return Likeness(index, paper.title, " ".join(paper.ai_keywords), paper.abstract)

    def search(self, text: str, limit: int) -> list[Hit]:
        from bot.retrieval.why import matched

        with Session(self.engine) as session:
            index = self._ready(session)
            found = index.search(text, limit)
            rows = stored.texts_of(session, [i for i, _ in found])
        return [Hit(i, score, matched(index, text, rows[i])) for i, score in found if i in rows]

    # -- keeping in step -------------------------------------------------------------------

    def _ready(self, session: Session) -> LexicalIndex:
        with self._lock:
            if self._index is None:
                self._index = self._open(session)
            self._refresh(self._index, session)
            return self._index

    def _open(self, session: Session) -> LexicalIndex:
        from bot.retrieval.lexical import LexicalIndex

        if self.folder is None or last_paper_id(session) < SMALL:
            self._changed_since, self._checked_at = utcnow(), time.monotonic()  # all is read now
            return LexicalIndex.in_memory()
        with contextlib.suppress(ValueError, OSError):
            index = LexicalIndex.open(self.folder)
            state = self._state()
            if same_papers(state.get("identity", ""), papers_identity(session, index.last_id())):
                self._changed_since = datetime.fromisoformat(state["changed_since"])
                return index
            log.info("meaning index: %s is of another database; building it again", self.folder)
        return self._build(session)

    def _build(self, session: Session) -> LexicalIndex:
        """Build into a folder of this process's own, then move it into place: a reader never sees half."""
        from bot.retrieval.lexical import LexicalIndex

        assert self.folder is not None
        started = time.perf_counter()
        partial = self.folder.with_name(f"{self.folder.name}.{os.getpid()}.tmp")
        index = LexicalIndex.create(partial)
        self._changed_since, self._checked_at = utcnow(), time.monotonic()
        index.update(lambda after: stored.rows_after(session, after))
        self._write_state(partial, session, index)
        del index
        old = self.folder.with_name(f"{self.folder.name}.{os.getpid()}.old")
        with contextlib.suppress(FileNotFoundError):
            os.rename(self.folder, old)
        try:
            os.rename(partial, self.folder)
        except OSError:  # another process moved its own in first: use that one
            shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        log.info("meaning index: built in %.1fs at %s", time.perf_counter() - started, self.folder)
        return LexicalIndex.open(self.folder)

    def _refresh(self, index: LexicalIndex, session: Session) -> None:
        """Add the papers stored since, and any committed out of id order (`gaps`); once an hour, index again
        those whose text changed in place."""
        try:
            if last_paper_id(session) > index.last_id():
                added = index.update(lambda after: stored.rows_after(session, after))
                log.info("meaning index: %d papers added", added)
                self._save(session, index)
            hourly = self._checked_at is None or time.monotonic() - self._checked_at > RECHECK_EVERY
            if hourly or self._recounted_at is None or time.monotonic() - self._recounted_at > gaps.RECOUNT_EVERY:
                self._fill_gaps(index, session, 0 if hourly else index.last_id() - gaps.RECENT)
            if hourly:
                started, since = utcnow(), (self._changed_since or utcnow()) - CLOCK_SKEW
                changed = index.replace(stored.changed_rows(session, since, index.last_id()))
                log.info("meaning index: %d papers changed since %s indexed again", changed, since)
                self._changed_since, self._checked_at = started, time.monotonic()
                self._save(session, index)
        except ValueError:  # another process holds the writer: it is adding them; its commit is read next time
            index.reload()

    def _fill_gaps(self, index: LexicalIndex, session: Session, after_id: int) -> None:
        """Papers committed out of id order (`gaps`): among the newest ids every few seconds, all of them hourly."""
        if late := gaps.fill(index, session, after_id):
            log.info("meaning index: %d papers committed out of id order added", late)
            self._save(session, index)
        self._recounted_at = time.monotonic()

    def _save(self, session: Session, index: LexicalIndex) -> None:
        if index.folder is not None:
            self._write_state(index.folder, session, index)

    def _state(self) -> dict[str, str]:
        assert self.folder is not None
        return dict(json.loads((self.folder / STATE).read_text()))

    def _write_state(self, folder: Path, session: Session, index: LexicalIndex) -> None:
        state = {
            "identity": papers_identity(session, index.last_id()),
            "changed_since": (self._changed_since or utcnow()).isoformat(),
        }
        partial = folder / f"{STATE}.{os.getpid()}.tmp"
        try:
            partial.write_text(json.dumps(state))
            os.replace(partial, folder / STATE)
        except OSError:  # a read-only disk: the next start checks the database and builds again
            log.warning("meaning index: could not write %s", folder / STATE, exc_info=True)
