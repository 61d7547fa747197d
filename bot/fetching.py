"""Keeping the bot fed: one code path fetches a source, merges, and records the run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from bot.errors import BadCommand, PapersError
from bot.ingest import IngestSummary, Progress, ingest_parsed
from bot.sources import ArxivClient, HFClient, Parsed, announces_today
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SOURCES = ("hf", "arxiv")
HF_REFRESH_DAYS = 3  # upvotes keep moving for a few days after a paper is listed


def fetch(app: App, source: str, on: datetime | None, since: datetime | None, categories: Sequence[str]) -> Parsed:
    """What `source` has for one day, a range of days, or (neither given) its latest announcements."""
    settings = app.settings
    today = app.service.clock().date()
    if source == "hf":
        client = HFClient(settings.hf_api_url)
        if on:
            return client.fetch_day(on.date())
        start = since.date() if since else today - timedelta(days=HF_REFRESH_DAYS - 1)
        return client.fetch_range(start, today)
    if source == "arxiv":
        client = ArxivClient(settings.arxiv_api_url, settings.arxiv_rss_url, settings.contact_email)
        cats = list(categories) or [c.strip() for c in settings.arxiv_categories.split(",") if c.strip()]
        if on or since:
            start: date = (on or since).date()  # type: ignore[union-attr]
            return client.fetch_since(start, cats, until=on.date() if on else None)
        return client.fetch_rss(cats)
    raise BadCommand(f"I know the sources {' and '.join(SOURCES)}, not `{source[:20]}`.")


def ingest_from_source(
    app: App, source: str, on: datetime | None = None, since: datetime | None = None,
    categories: Sequence[str] = (), progress: Progress | None = None,
) -> IngestSummary:
    """Fetch, merge and record the run; a failing source is recorded and raised, never half-stored."""
    try:
        parsed = fetch(app, source, on, since, categories)
    except PapersError as error:
        with UnitOfWork(app.engine) as uow:
            uow.sources.failed(source, error.message)
            uow.commit()
        raise
    summary = ingest_parsed(app.engine, parsed, progress)
    with UnitOfWork(app.engine) as uow:
        uow.sources.succeeded(source, summary.result.added, summary.result.updated)
        uow.commit()
    log.info("%s: %s", source, summary.line())
    return summary


def scheduled_ingest(app: App, source: str) -> None:
    """The scheduler's job: the same path as `papers-bot ingest --source`, never raising."""
    now = datetime.now(timezone.utc)
    if source == "arxiv" and not announces_today(now):
        log.info("arXiv made no announcement today; not fetching")
        return
    try:
        ingest_from_source(app, source)
    except PapersError as error:
        log.warning("%s fetch failed: %s", source, error.message)
    except Exception:
        log.exception("%s fetch failed unexpectedly", source)
