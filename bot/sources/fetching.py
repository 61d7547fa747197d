"""Keeping the bot fed: one code path fetches a source, merges, and records the run."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from bot.config import Settings
from bot.domain import SOURCES
from bot.errors import BadCommand, PapersError
from bot.relevance import categories as arxiv_categories
from bot.sources import ArxivClient, HFClient, Parsed, PoliteHTTP
from bot.sources.arxiv_client import EASTERN, rss_has_announcements
from bot.sources.ingest import IngestSummary, Progress, Report, ingest_parsed
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

HF_REFRESH_DAYS = 3  # upvotes keep moving for a few days after a paper is listed
CATCH_UP_DAYS = 14  # a longer gap is a job for `papers-bot ingest --source S --since DATE`
# arXiv's API selects by submission date; a day's announcement holds papers submitted a day or two
# before it, so a catch-up asks from a little before the last success (ingest is idempotent).
ARXIV_OVERLAP_DAYS = 2


def fetch(
    settings: Settings,
    source: str,
    on: datetime | None,
    since: datetime | None,
    categories: Sequence[str],
    today: date | None = None,
) -> Parsed:
    """What `source` has for one day, a range of days, or (neither given) its latest announcements."""
    today = today or datetime.now(UTC).date()
    check_source(source, categories)
    with PoliteHTTP(settings.contact_email) as http:
        if source == "hf":
            hf = HFClient(settings.hf_api_url, http)
            if on:
                return hf.fetch_day(on.date())
            start = since.date() if since else today - timedelta(days=HF_REFRESH_DAYS - 1)
            return hf.fetch_range(start, today)
        arxiv = ArxivClient(settings.arxiv_api_url, settings.arxiv_rss_url, settings.contact_email, http)
        cats = [arxiv_categories.require(category) for category in categories] or settings.arxiv_category_list
        if on or since:
            first: date = (on or since).date()  # type: ignore[union-attr]
            return arxiv.fetch_since(first, cats, until=on.date() if on else today + timedelta(days=1))
        return arxiv.fetch_rss(cats)


def check_source(source: str, categories: Sequence[str] = ()) -> None:
    """Refuse a source we do not fetch, or a category arXiv does not have, before anything is recorded about it."""
    if source not in SOURCES:
        raise BadCommand(f"I know the sources {' and '.join(SOURCES)}, not `{source[:20]}`.")
    for category in categories:
        arxiv_categories.require(category)


def ingest_from_source(
    engine: Engine,
    settings: Settings,
    source: str,
    on: datetime | None = None,
    since: datetime | None = None,
    categories: Sequence[str] = (),
    progress: Progress | None = None,
    report: Report | None = None,
    today: date | None = None,
) -> IngestSummary:
    """Fetch, merge and record the run; a failing source is recorded and raised, never half-stored; a source
    that does not exist is refused and recorded nowhere (it would stay in /papers status for good)."""
    check_source(source, categories)
    try:
        parsed = fetch(settings, source, on, since, categories, today)
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


def fetch_time(settings: Settings, source: str) -> time:
    """When the clock fetches `source` each day, in UTC (INGEST_HF_AT, INGEST_ARXIV_AT)."""
    hours, minutes = (int(part) for part in getattr(settings, f"ingest_{source}_at").split(":"))
    return time(hours, minutes)


def due_moments(source: str, at: time, now: datetime) -> Iterator[datetime]:
    """The scheduled fetches of `source` at or before `now`, newest first; arXiv's only on the days its
    feeds carry an announcement (none at weekends)."""
    day = now.date()
    while True:
        moment = datetime.combine(day, at, UTC)
        if moment <= now and (source != "arxiv" or rss_has_announcements(moment)):
            yield moment
        day -= timedelta(days=1)


def catch_up_from(source: str, at: time, last_success: datetime | None, now: datetime) -> date | bool:
    """What a scheduled run must fetch, from the source's last success (aware UTC): False when the latest
    due fetch is done, True for the usual latest announcements, the first day when earlier ones were missed."""
    moments = due_moments(source, at, now)
    latest, previous = next(moments), next(moments)
    if last_success is not None and last_success >= latest:
        return False
    # arXiv's RSS carries one announcement, until midnight US Eastern: after that only the API has it.
    rss_moved_on = source == "arxiv" and now.astimezone(EASTERN).date() != latest.astimezone(EASTERN).date()
    if last_success is None or (last_success >= previous and not rss_moved_on):
        return True
    start = last_success.date() - timedelta(days=ARXIV_OVERLAP_DAYS if source == "arxiv" else 0)
    return max(start, now.date() - timedelta(days=CATCH_UP_DAYS))


def scheduled_ingest(engine: Engine, settings: Settings, source: str, now: datetime | None = None) -> None:
    """The clock's job, at its time and when the clock starts: fetch what was missed since the source's
    last success (nothing when the latest due fetch is done); the same path as `papers-bot ingest`, never raising."""
    now = now or datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        last_success = uow.sources.last_success(source)
    plan = catch_up_from(source, fetch_time(settings, source), last_success, now)
    if plan is False:
        log.info("%s: the fetch due by now is done (last success %s)", source, last_success)
        return
    since = None if plan is True else datetime.combine(plan, time(), UTC)
    if since is not None:
        log.info("%s: catching up on the fetches missed since %s", source, last_success)
    try:
        ingest_from_source(engine, settings, source, since=since, today=now.date())
    except PapersError as error:
        log.warning("%s fetch failed: %s", source, error.message)
    except Exception:
        log.exception("%s fetch failed unexpectedly", source)
