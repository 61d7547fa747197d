"""The core's services built from settings: engine, taxonomy, matcher, finder and the chat service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import partial

from sqlalchemy import Engine

from bot.chat.service import Service, utcnow
from bot.config import Settings, load_settings
from bot.delivery.schedule import parse_weekday
from bot.delivery.senders import Sender
from bot.domain import Paper, Schedule
from bot.find.finder import Finder
from bot.find.lookup import PaperLookup
from bot.relevance.matching import Matcher
from bot.relevance.topics import Taxonomy
from bot.sources.ingest import load_seed_if_empty
from bot.sources.parsed import Parsed
from storage.engine import make_engine
from storage.migrations import ensure_schema
from storage.uow import UnitOfWork

LOOKUP_TIMEOUT = 10.0  # seconds an arXiv lookup for a pasted link may wait for an answer or a retry


@dataclass
class App:
    """Everything a process needs, built once; the senders are chosen by the wiring around it."""

    settings: Settings
    engine: Engine
    taxonomy: Taxonomy
    matcher: Matcher
    finder: Finder
    service: Service
    lookup: PaperLookup
    senders: dict[str, Sender] = field(default_factory=dict)

    @property
    def default_schedule(self) -> Schedule:
        return default_schedule(self.settings)


def default_schedule(settings: Settings) -> Schedule:
    hours, minutes = (int(part) for part in settings.default_schedule_time.split(":"))
    cadence, _, day = settings.default_schedule_cadence.partition(" ")  # "weekly friday"
    return Schedule(time(hours, minutes), settings.default_schedule_tz, cadence, parse_weekday(day) if day else 0)


def stored_paper(engine: Engine, key: str) -> Paper | None:
    with UnitOfWork(engine) as uow:
        return uow.papers.get(key)


def build_app(settings: Settings | None = None, *, seed: bool = True, clock: Callable[[], datetime] = utcnow) -> App:
    """The real parts from settings; tests pass their own settings (database, API URLs, clock)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    ensure_schema(engine, upgrade=settings.db_auto_upgrade)
    if seed:
        load_seed_if_empty(engine)
    taxonomy = Taxonomy.load(settings.topics_file)
    matcher = Matcher(taxonomy)
    matcher.references = partial(stored_paper, engine)  # what `like:2401.12345` subscriptions resemble
    finder = Finder(engine)
    matcher.resemblance = finder.meaning.likeness  # `like:` resembles as find by meaning ranks
    service = Service(
        engine,
        taxonomy,
        matcher,
        finder,
        clock,
        default_schedule=default_schedule(settings),
        signals_kept=settings.feedback_signals_kept,
        public_url=settings.public_url,
    )
    lookup = PaperLookup(engine, service.paper_topics, taxonomy, lambda ids: fetch_arxiv_ids(settings, ids))
    finder.fetch = lookup.paper  # `find 2401.12345` for a paper not stored gets it as a pasted link does
    return App(settings, engine, taxonomy, matcher, finder, service, lookup)


def fetch_arxiv_ids(settings: Settings, ids: list[str]) -> Parsed:
    """Papers by id from the arXiv API (ARXIV_API_URL), paced with every other arXiv request of the process.

    Someone is waiting for the card: one retry and a short timeout, not the scheduled fetches' patience.
    """
    from bot.sources import ArxivClient, PoliteHTTP  # httpx and feedparser: only when a lookup needs them

    http = PoliteHTTP(settings.contact_email, timeout=LOOKUP_TIMEOUT, attempts=2, max_wait=LOOKUP_TIMEOUT)
    with ArxivClient(settings.arxiv_api_url, settings.arxiv_rss_url, settings.contact_email, http) as arxiv:
        return arxiv.fetch_ids(ids)
