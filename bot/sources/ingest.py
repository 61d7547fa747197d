"""Putting papers in: files and sources go through one merge, part by part, with a summary of what changed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bot.delivery.fanout import TOO_OLD
from bot.domain import BUNDLED, Paper
from bot.errors import PapersError
from bot.sources import Parsed, read_file
from storage.papers import MergeResult
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SEED = Path(__file__).parents[1] / "data" / "seed.jsonl"
CHUNK = 5000  # papers merged in one transaction: a huge file never holds one long lock
KEPT = 1_000  # problems a summary keeps to show; every one is counted, and reported as it happens
RETRIES = 3  # a part whose transaction lost a race (deadlock, a stale SQLite snapshot) is merged again
Progress = Callable[[int, int | None], None]  # (papers done, papers in all when known)
Report = Callable[[str], None]  # told each problem as it is found


@dataclass
class IngestSummary:
    """What an ingest did: counts, the skipped items with their reasons, and how many fields were cut."""

    result: MergeResult = field(default_factory=MergeResult)
    problems: list[str] = field(default_factory=list)  # the first `KEPT`
    skipped: int = 0
    cut: int = 0
    too_old: int = 0  # stored and searchable, but published before any post may hold them (TOO_OLD)
    report: Report | None = field(default=None, repr=False)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))  # what "too old" is counted from

    def problem(self, text: str) -> None:
        self.skipped += 1
        if len(self.problems) < KEPT:
            self.problems.append(text)
        if self.report:
            self.report(text)

    def merged(self, result: MergeResult, where: str = "") -> None:
        """Count a part's merge (not its keys: a million of them is memory the summary need not hold)."""
        self.result.added += result.added
        self.result.updated += result.updated
        self.result.unchanged += result.unchanged
        for key, reason in result.refused:
            self.problem(f"{where}paper {key}: the database refused it ({reason})")

    def line(self) -> str:
        r = self.result
        line = f"{r.added} new, {r.updated} updated, {r.unchanged} unchanged, {self.skipped} skipped"
        line += " (see above)" if self.skipped else ""
        line += f"; {self.cut} {'field' if self.cut == 1 else 'fields'} cut to their limit" if self.cut else ""
        if self.too_old:
            line += (
                f"; {self.too_old} published over {TOO_OLD.days} days ago: searchable with find, "
                "but never posted (a post holds recent papers only)"
            )
        return line


def merge_papers(engine: Engine, papers: Sequence[Paper], progress: Progress | None = None) -> MergeResult:
    """Merge papers in chunks, one transaction each."""
    result = MergeResult()
    for start in range(0, len(papers), CHUNK):
        result += merge_part(engine, papers[start : start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(papers)), len(papers))
    return result


def merge_part(engine: Engine, papers: Sequence[Paper]) -> MergeResult:
    """One transaction's worth of papers, merged again if it lost a race with another writer."""
    for attempt in range(1, RETRIES + 1):
        try:
            with UnitOfWork(engine) as uow:
                result = uow.papers.merge(papers)
                uow.commit()
            return result
        except OperationalError as error:
            if attempt == RETRIES:
                raise
            log.warning("merging %d papers failed (%s); trying again", len(papers), str(error.orig).strip()[:120])
            time.sleep(0.1 * attempt)
    raise AssertionError("unreachable")


def ingest_parts(
    engine: Engine, parts: Iterable[Parsed], summary: IngestSummary, where: str = "", progress: Progress | None = None
) -> None:
    """Merge each part as it comes, so memory holds one part, never the whole source."""
    done = 0
    oldest = summary.now - TOO_OLD
    for part in parts:
        summary.cut += part.cut
        summary.too_old += sum(1 for paper in part.papers if paper.dated is not None and _aware(paper.dated) < oldest)
        for problem in part.problems:
            summary.problem(where + problem)
        for start in range(0, len(part.papers), CHUNK):
            chunk = part.papers[start : start + CHUNK]
            summary.merged(merge_part(engine, chunk), where)
            done += len(chunk)
            if progress:
                progress(done, None)


def ingest_parsed(
    engine: Engine, parsed: Parsed, progress: Progress | None = None, report: Report | None = None
) -> IngestSummary:
    summary = IngestSummary(report=report)
    ingest_parts(engine, [parsed], summary, progress=progress)
    return summary


def ingest_files(
    engine: Engine,
    paths: Iterable[Path],
    progress: Progress | None = None,
    report: Report | None = None,
    now: datetime | None = None,
) -> IngestSummary:
    """Every readable file goes in, streamed; an unreadable one is reported and the rest still go in."""
    summary = IngestSummary(report=report, now=now or datetime.now(UTC))
    for path in paths:
        try:
            ingest_parts(engine, read_file(Path(path)), summary, f"{path}: ", progress)
        except PapersError as error:
            summary.problem(error.message)
    return summary


def load_seed_if_empty(engine: Engine) -> int:
    """A newcomer sees real papers at once: the bundled set goes in when nothing is stored, marked as
    bundled so that the first post holds it whatever its dates (storage's `news`)."""
    with UnitOfWork(engine) as uow:
        if uow.papers.count():
            return 0
    summary = IngestSummary()
    ingest_parts(engine, (_bundled(part) for part in read_file(SEED)), summary)
    log.info("loaded %d bundled papers into an empty database", summary.result.added)
    return summary.result.added


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bundled(part: Parsed) -> Parsed:
    part.papers = [paper.with_changes(source=BUNDLED) for paper in part.papers]
    return part
