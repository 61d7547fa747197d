"""Keeping the bot fed: one code path fetches a source, merges, and records the run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Engine

from bot.config import Settings
from bot.errors import BadCommand, PapersError
from bot.sources import ArxivClient, HFClient, Parsed, PoliteHTTP
from bot.sources.arxiv_client import rss_has_announcements
from bot.sources.ingest import IngestSummary, Progress, Report, ingest_parsed
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

SOURCES = ("hf", "arxiv")
HF_REFRESH_DAYS = 3  # upvotes keep moving for a few days after a paper is listed


def fetch(settings: Settings, source: str, on: datetime | None, since: datetime | None, categories: Sequence[str],
          today: date | None = None) -> Parsed:
    """What `source` has for one day, a range of days, or (neither given) its latest announcements."""
    today = today or datetime.now(timezone.utc).date()
    if source not in SOURCES:
        raise BadCommand(f"I know the sources {' and '.join(SOURCES)}, not `{source[:20]}`.")
    with PoliteHTTP(settings.contact_email) as http:
        if source == "hf":
            hf = HFClient(settings.hf_api_url, http)
            if on:
                return hf.fetch_day(on.date())
            start = since.date() if since else today - timedelta(days=HF_REFRESH_DAYS - 1)
            return hf.fetch_range(start, today)
        arxiv = ArxivClient(settings.arxiv_api_url, settings.arxiv_rss_url, settings.contact_email, http)
        cats = list(categories) or [c.strip() for c in settings.arxiv_categories.split(",") if c.strip()]
        if on or since:
            first: date = (on or since).date()  # type: ignore[union-attr]
            return arxiv.fetch_since(first, cats, until=on.date() if on else None)
        return arxiv.fetch_rss(cats)


def ingest_from_source(
    engine: Engine, settings: Settings, source: str, on: datetime | None = None, since: datetime | None = None,
    categories: Sequence[str] = (), progress: Progress | None = None, report: Report | None = None,
) -> IngestSummary:
    """Fetch, merge and record the run; a failing source is recorded and raised, never half-stored."""
    try:
        parsed = fetch(settings, source, on, since, categories)
    except PapersError as error:
        with UnitOfWork(engine) as uow:
            uow.sources.failed(source, error.message)
            uow.commit()
        raise
    summary = ingest_parsed(engine, parsed, progress, report)
    for problem in summary.problems:
        log.warning("%s: skipped %s", source, problem)
    with UnitOfWork(engine) as uow:
        uow.sources.succeeded(source, summary.result.added, summary.result.updated)
        uow.commit()
    log.info("%s: %s", source, summary.line())
    return summary


def scheduled_ingest(engine: Engine, settings: Settings, source: str) -> None:
    """The scheduler's job: the same path as `papers-bot ingest --source`, never raising."""
    now = datetime.now(timezone.utc)
    if source == "arxiv" and not rss_has_announcements(now):
        log.info("arXiv's feeds hold no announcement today; not fetching")
        return
    try:
        ingest_from_source(engine, settings, source)
    except PapersError as error:
        log.warning("%s fetch failed: %s", source, error.message)
    except Exception:
        log.exception("%s fetch failed unexpectedly", source)
