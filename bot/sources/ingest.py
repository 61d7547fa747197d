"""Putting papers in: files and sources go through one merge, with a summary of what changed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from bot.domain import Paper
from bot.errors import PapersError
from bot.sources import Parsed, parse_file
from storage.papers import MergeResult
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SEED = Path(__file__).parents[1] / "data" / "seed.jsonl"
CHUNK = 5000
Progress = Callable[[int, int], None]  # (papers done, papers in all)


@dataclass
class IngestSummary:
    """What an ingest did: counts, and every skipped item with its reason."""

    result: MergeResult = field(default_factory=MergeResult)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        r = self.result
        line = f"{r.added} new, {r.updated} updated, {r.unchanged} unchanged, {len(self.problems)} skipped"
        return line + (" (see above)" if self.problems else "")


def merge_papers(engine: Engine, papers: Sequence[Paper], progress: Progress | None = None) -> MergeResult:
    """Merge papers in chunks, one transaction each, so a huge file never holds one long lock."""
    result = MergeResult()
    for start in range(0, len(papers), CHUNK):
        with UnitOfWork(engine) as uow:
            result += uow.papers.merge(papers[start:start + CHUNK])
            uow.commit()
        if progress:
            progress(min(start + CHUNK, len(papers)), len(papers))
    return result


def ingest_parsed(engine: Engine, parsed: Parsed, progress: Progress | None = None) -> IngestSummary:
    return IngestSummary(merge_papers(engine, parsed.papers, progress), list(parsed.problems))


def ingest_files(engine: Engine, paths: Iterable[Path], progress: Progress | None = None) -> IngestSummary:
    """Every readable file goes in; an unreadable one is reported and the rest still go in."""
    summary = IngestSummary()
    for path in paths:
        try:
            parsed = parse_file(Path(path))
        except PapersError as error:
            summary.problems.append(error.message)
            continue
        except OSError as error:
            summary.problems.append(f"{path}: cannot read it ({error.strerror or error}).")
            continue
        done = ingest_parsed(engine, parsed, progress)
        summary.result += done.result
        summary.problems += [f"{path}: {problem}" for problem in done.problems]
    return summary


def load_seed_if_empty(engine: Engine) -> int:
    """A newcomer sees real papers at once: the bundled page goes in when nothing is stored."""
    with UnitOfWork(engine) as uow:
        if uow.papers.count():
            return 0
    summary = ingest_files(engine, [SEED])
    log.info("loaded %d bundled papers into an empty database", summary.result.added)
    return summary.result.added
