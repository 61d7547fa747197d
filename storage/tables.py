"""SQLModel tables: papers and their topic evidence, channels, subscriptions, the outbox, the inbox, audit, feedback
and the models learned from it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, LargeBinary, Table, Text, UniqueConstraint, true
from sqlmodel import Field, SQLModel


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for the hot paths that skip the ORM (SQLModel types the attribute loosely)."""
    return SQLModel.metadata.tables[str(model.__tablename__)]


def utcnow() -> datetime:
    return datetime.now(UTC)


class PaperRow(SQLModel, table=True):
    """One paper; `key` is its arXiv id without version, else `title:<normalised title>`."""

    __tablename__ = "paper"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=256, unique=True)
    arxiv_id: str | None = Field(default=None, max_length=64)
    title: str = Field(sa_column=Column(Text, nullable=False))
    abstract: str = Field(sa_column=Column(Text, nullable=False))
    authors: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # "A; B; C"
    keywords: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # "k1; k2"
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime | None = Field(default=None, index=True)
    upvotes: int | None = None
    url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    thumbnail_url: str | None = None
    ai_summary: str | None = Field(default=None, sa_column=Column(Text))
    on_hf: bool = False
    source: str = Field(default="file", max_length=32)
    added_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class PaperEvidenceRow(SQLModel, table=True):
    """That a paper's topic evidence is stored, from which rules and taxonomy, and for which text."""

    __tablename__ = "paper_evidence"

    paper_key: str = Field(primary_key=True, max_length=256)
    version: str = Field(max_length=40)  # the taxonomy and rules it was computed with
    text_crc: int = Field(sa_type=BigInteger)  # of the fields evidence reads: a changed abstract is read again
    computed_at: datetime = Field(default_factory=utcnow)


class PaperTopicRow(SQLModel, table=True):
    """One topic's own evidence on one paper (only topics that scored): points and the reasons shown."""

    __tablename__ = "paper_topic"

    paper_key: str = Field(primary_key=True, max_length=256)
    topic: str = Field(primary_key=True, max_length=100)
    points: float
    why: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ChannelRow(SQLModel, table=True):
    """A channel the bot serves: its schedule, and whether delivery is paused there."""

    __tablename__ = "channel"

    ref: str = Field(primary_key=True, max_length=200)
    platform: str = Field(max_length=16)
    at: str = Field(default="09:00", max_length=5)
    tz: str = Field(default="UTC", max_length=64)
    cadence: str = Field(default="weekdays", max_length=16)
    weekday: int = 0
    paused_reason: str | None = None
    last_post_at: datetime | None = None
    last_slot_at: datetime | None = None  # the scheduled slot last handled (posted or quiet)
    created_at: datetime = Field(default_factory=utcnow)
    upvotes: str = Field(default="normal", max_length=8, sa_column_kwargs={"server_default": "normal"})
    warmup_offered_at: datetime | None = None  # the first subscription offered the warm-up: never again unasked
    # A forum channel gets a post per paper; this says whether the day's summary is a post too (/papers schedule).
    summary: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class SubscriptionRow(SQLModel, table=True):
    """A channel's standing query, as typed."""

    __tablename__ = "subscription"
    __table_args__ = (UniqueConstraint("channel", "query"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=200, index=True)
    query: str = Field(max_length=400)
    min_upvotes: int = 0
    created_by: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryRow(SQLModel, table=True):
    """One digest recorded before it is sent (the outbox), then the platform's answer."""

    __tablename__ = "delivery"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=200, index=True)
    mark: str = Field(max_length=64, unique=True)
    status: str = Field(default="pending", max_length=16, index=True)
    title: str = ""
    message_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class DeliveredRow(SQLModel, table=True):
    """Each (channel, paper) at most once, enforced by the primary key."""

    __tablename__ = "delivered"

    channel: str = Field(primary_key=True, max_length=200)
    paper_key: str = Field(primary_key=True, max_length=256)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    position: int = 0
    score: float = 0.0
    why: str = ""


class SourceRunRow(SQLModel, table=True):
    """What each source did last: for `/papers status` and for marking a source failing."""

    __tablename__ = "source_run"

    source: str = Field(primary_key=True, max_length=32)
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_added: int = 0
    last_updated: int = 0
    last_error: str | None = None
    failures: int = 0


class AuditRow(SQLModel, table=True):
    """Who changed what in a channel, and when."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_channel_at", "channel", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=200)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=400)
    at: datetime = Field(default_factory=utcnow)


class RateRow(SQLModel, table=True):
    """A request budget shared by every process of a deployment: when the next request may start."""

    __tablename__ = "rate_budget"

    key: str = Field(primary_key=True, max_length=100)
    next_at: float = 0.0  # seconds since the epoch; reserved up to here


class SeenRequestRow(SQLModel, table=True):
    """A platform request id already acted on (Slack event_id, trigger_id): retries and replays are not acted on twice."""

    __tablename__ = "seen_request"

    key: str = Field(primary_key=True, max_length=200)
    seen_at: datetime = Field(default_factory=utcnow, index=True)


class FeedbackRow(SQLModel, table=True):
    """One person's word on one paper in one channel: like, dislike or save; repeated clicks are one row."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_channel_kind", "channel", "kind"),)

    channel: str = Field(primary_key=True, max_length=200)
    paper_key: str = Field(primary_key=True, max_length=256)
    actor: str = Field(primary_key=True, max_length=200)
    kind: str = Field(primary_key=True, max_length=16)  # like | dislike | save
    at: datetime = Field(default_factory=utcnow)


class ClubRow(SQLModel, table=True):
    """A journal club's vote: where it runs, its papers in order, when it closes; Slack's votes (Discord keeps its own)."""

    __tablename__ = "club"
    __table_args__ = (Index("ix_club_status_closes", "status", "closes_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=200)
    status: str = Field(default="opening", max_length=16)  # opening -> open -> closing -> closed | abandoned
    paper_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the vote first
    votes: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # person -> paper
    opened_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    closes_at: datetime
    claimed_at: datetime | None = None  # when a closing took it: a claim older than the lease is taken again
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, sa_column=Column(Text))


class PaperWordsRow(SQLModel, table=True):
    """A paper's hashed word counts as the learned re-ranker reads them (bot/feedback/learned.py): stemming is
    most of what a model costs, so a paper is counted once and every process reads the counts back."""

    __tablename__ = "paper_words"

    key: str = Field(primary_key=True, max_length=200)
    text_hash: str = Field(max_length=32)  # of the text counted: a paper whose title or abstract changed counts again
    columns: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # int32, the hashed columns
    counts: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, each column's count


class ChannelModelRow(SQLModel, table=True):
    """A channel's trained model (bot/feedback/taste.py), kept between passes: a pass loads and scores it instead
    of training again, until the signals it learned from change (`learned_from` names them)."""

    __tablename__ = "channel_model"

    channel: str = Field(primary_key=True, max_length=200)
    learned_from: str = Field(max_length=200)  # its signals' count and latest time: another value, train again
    model: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # np.savez arrays; empty: no model to train


class FeedTokenRow(SQLModel, table=True):
    """A private feed URL's token, kept only as its SHA-256 (a leaked table leaks no feed): whose, for which feed."""

    __tablename__ = "feed_token"
    __table_args__ = (Index("ix_feed_token_feed_owner", "feed", "owner"),)

    token_hash: str = Field(primary_key=True, max_length=64)  # looked up by this key alone: no scan
    feed: str = Field(max_length=200)  # the channel (or person's feed) ref whose posts it shows
    owner: str = Field(max_length=200)  # who asked for it: `/papers feed reset` revokes the asker's own
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class InboxRow(SQLModel, table=True):
    """A Slack request acknowledged and not yet carried out (or carried out lately): the work outlives a restart.

    `lease_until` says until when the process `owner` holds it; after that any process may claim it."""

    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # the request's id (event_id, trigger_id): one row per request
    kind: str = Field(max_length=16)  # which pool works it: command, unfurl, event
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    lease_until: datetime = Field(index=True)
    owner: str = Field(default="", max_length=64)
    attempts: int = 1
    done_at: datetime | None = Field(default=None, index=True)
