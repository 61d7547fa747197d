"""The clock catches up on fetches it missed, from each source's last success; arXiv's missed days come from its API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.app import App
from bot.delivery.scheduler import ScheduledJob, start_scheduler
from bot.sources.fetching import catch_up_from, scheduled_ingest
from storage.uow import UnitOfWork
from tests.sources_server import Reply, SourcesServer

SOURCES = Path(__file__).parent / "data" / "sources"
HF_AT, ARXIV_AT = time(6, 30), time(5, 30)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # 23 Nov 2026 is a Monday; ET is UTC-5


@pytest.mark.parametrize(
    ("source", "at", "last", "now", "plan"),
    [
        ("hf", HF_AT, None, utc(25, 7), True),  # never fetched: the usual fetch
        ("hf", HF_AT, utc(25, 6, 31), utc(25, 9), False),  # today's fetch is done
        ("hf", HF_AT, utc(24, 6, 31), utc(25, 5), False),  # today's is not due yet; yesterday's is done
        ("hf", HF_AT, utc(24, 6, 31), utc(25, 7), True),  # today's fetch, on time
        ("hf", HF_AT, utc(22, 6, 31), utc(25, 7), date(2026, 11, 22)),  # the clock was down two days
        ("hf", HF_AT, utc(1, 6, 31), utc(25, 7), date(2026, 11, 11)),  # at most two weeks back
        ("arxiv", ARXIV_AT, utc(27, 5, 31), utc(28, 9), False),  # Saturday: no announcement, nothing due
        ("arxiv", ARXIV_AT, utc(27, 5, 31), utc(30, 6), True),  # Monday after a quiet weekend: the RSS
        ("arxiv", ARXIV_AT, utc(25, 5, 31), utc(27, 6), date(2026, 11, 23)),  # Thursday's RSS was missed: the API
        ("arxiv", ARXIV_AT, utc(23, 5, 31), utc(25, 5, 10), date(2026, 11, 21)),  # Tuesday's is off the RSS at 00:10 ET
    ],
)
def test_what_a_run_fetches_follows_the_last_success(
    source: str, at: time, last: datetime | None, now: datetime, plan: date | bool
) -> None:
    assert catch_up_from(source, at, last, now) == plan


@pytest.fixture
def sources(app: App) -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        app.settings.hf_api_url = server.url
        app.settings.arxiv_api_url = f"{server.url}/api/query"
        app.settings.arxiv_rss_url = f"{server.url}/rss"
        yield server


def succeeded(engine: Engine, source: str, at: datetime) -> None:
    with UnitOfWork(engine) as uow:
        uow.sources.succeeded(source, 0, 0)
        uow.commit()
    with UnitOfWork(engine) as uow:  # as if it had happened then
        for row in uow.sources.all():
            if row.source == source:
                row.last_success_at = at
                uow.session.add(row)
        uow.commit()


def test_missed_arxiv_days_are_fetched_from_the_api_not_the_rss(app: App, sources: SourcesServer) -> None:
    atom = (SOURCES / "atom-new-testing-10.xml").read_text().replace(">214881<", ">10<")  # one page
    sources.script("/api/query", Reply(200, atom, content_type="application/atom+xml"))
    succeeded(app.engine, "arxiv", utc(23, 5, 31))  # Monday's; Tuesday to Thursday were missed

    scheduled_ingest(app.engine, app.settings, "arxiv", now=utc(27, 6))

    assert sources.paths() == ["/api/query"]
    query = sources.requests[0].query["search_query"]
    assert query.startswith("(cat:cs.LG OR cat:cs.AI OR cat:cs.CL OR cat:cs.CV OR cat:cs.RO)")
    assert "submittedDate:[202611210000 TO 202611282359]" in query  # from two days before the last success to now
    with UnitOfWork(app.engine) as uow:
        assert uow.sources.last_success("arxiv") > utc(27, 0)
        assert uow.papers.get("2202.12139") is not None


def test_missed_hugging_face_days_are_fetched_day_by_day(app: App, sources: SourcesServer) -> None:
    sources.script("/api/daily_papers", Reply(200, (SOURCES / "hf-2026-06-18.json").read_bytes()))
    succeeded(app.engine, "hf", utc(20, 6, 31))

    scheduled_ingest(app.engine, app.settings, "hf", now=utc(27, 7))  # a week later, whatever today's date

    days = [request.query["date"] for request in sources.requests]
    assert days == [f"2026-11-{day}" for day in range(20, 28)]


def test_a_clock_that_missed_nothing_fetches_nothing_at_start(app: App, sources: SourcesServer) -> None:
    succeeded(app.engine, "hf", utc(25, 6, 31))
    scheduled_ingest(app.engine, app.settings, "hf", now=utc(25, 8))
    assert sources.requests == []


def test_a_job_marked_at_start_runs_as_the_scheduler_starts(engine: Engine) -> None:
    ran: dict[str, threading.Event] = {"caught-up": threading.Event(), "daily": threading.Event()}
    jobs = [
        ScheduledJob("caught-up", "30 6 * * *", ran["caught-up"].set, at_start=True),
        ScheduledJob("daily", "30 6 * * *", ran["daily"].set),
    ]
    scheduler = start_scheduler(engine, lambda: None, tick_minutes=5, jobs=jobs)
    try:
        assert ran["caught-up"].wait(10)
        assert not ran["daily"].is_set() and scheduler.get_job("daily").next_run_time.time() == time(6, 30)
    finally:
        scheduler.shutdown(wait=True)
        scheduler.papers_leader.release()  # type: ignore[attr-defined]
