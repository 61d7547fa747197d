"""Unit of work: one session, every repository on it, commit or roll back together."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain import Schedule
from storage.bulk import BulkRepository
from storage.channels import AuditRepository, ChannelRepository, SubscriptionRepository
from storage.clubs import ClubRepository
from storage.evidence import EvidenceRepository
from storage.feed_tokens import FeedTokenRepository
from storage.feedback import FeedbackRepository
from storage.inbox import InboxRepository
from storage.models import ModelRepository
from storage.outbox import OutboxRepository
from storage.papers import PaperRepository
from storage.rates import RateRepository
from storage.requests import SeenRequestRepository
from storage.sources import SourceRunRepository
from storage.words import WordsRepository


class UnitOfWork:
    """`with uow: ...; uow.commit()`; leaving the block without commit rolls back."""

    def __init__(self, engine: Engine, default_schedule: Schedule | None = None) -> None:
        self.engine = engine
        self.default_schedule = default_schedule or Schedule()

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self.engine, expire_on_commit=False)
        self.papers = PaperRepository(self.session)
        self.subscriptions = SubscriptionRepository(self.session)
        self.channels = ChannelRepository(self.session, self.default_schedule)
        self.outbox = OutboxRepository(self.session)
        self.sources = SourceRunRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.evidence = EvidenceRepository(self.session)
        self.bulk = BulkRepository(self.session, self.default_schedule)
        self.rates = RateRepository(self.session)
        self.seen_requests = SeenRequestRepository(self.session)
        self.feedback = FeedbackRepository(self.session)
        self.clubs = ClubRepository(self.session)
        self.words = WordsRepository(self.session)
        self.feed_tokens = FeedTokenRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.models = ModelRepository(self.session)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        # close() rolls back what was not committed and detaches rows without expiring them,
        # so values read inside the block stay readable after it.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name
