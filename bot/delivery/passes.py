"""The one delivery pass: due channels get their digest through the outbox, each (channel, paper) once."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Row
from sqlalchemy.exc import IntegrityError

from bot.delivery.fanout import NEW_FOR, FanOut
from bot.delivery.schedule import due_slot, local, next_slot
from bot.delivery.senders import ResumingSender, Sender, layout, sender_for
from bot.delivery.switching import quick_switches
from bot.delivery.weekly import weekly_best
from bot.domain import WEEKLY_BEST, ChannelRef, Digest, Match, Schedule, Subscription
from bot.errors import PapersError, SendFailed
from bot.feedback.rerank import learned_digest
from bot.feedback.signals import SIGNALS_KEPT
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from bot.wording import clock_time, plural
from storage.channels import schedule_of
from storage.outbox import try_lock
from storage.tables import ChannelRow, DeliveryRow
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.feedback.candidates import Candidates
    from bot.feedback.kept import Learned

__all__ = ["PassReport", "deliver_due", "layout"]

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
RECHECK = 200  # channels read again together just before they are delivered: another worker may have done them
Build = Callable[..., Digest]


@dataclass
class PassReport:
    """What one pass did: counts per outcome, and one line per channel that was looked at."""

    channels_due: int = 0
    posted: int = 0
    quiet: int = 0
    failed: int = 0
    paused: int = 0
    details: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"{self.channels_due} due: {self.posted} posted, {self.quiet} quiet, "
            f"{self.failed} failed, {self.paused} paused"
        ]
        return "\n".join(lines + [f"  {line}" for line in self.details])


@dataclass(frozen=True)
class _Job:
    channel: ChannelRef
    slot: datetime | None


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def deliver_due(
    engine: Engine,
    matcher: object,
    senders: Mapping[str, Sender],
    now: datetime,
    force: bool = False,
    cap: int = 10,
    concurrency: int = 4,
    build: Build | None = None,
    default_schedule: Schedule | None = None,
    paper_topics: PaperTopics | None = None,
    signals_kept: int = SIGNALS_KEPT,
) -> PassReport:
    """Deliver every due channel (every subscribed one with `force`); safe to run in several processes at once.

    Digests come from one fan-out shared by the pass (`build` replaces it per channel, for tests)."""
    now = _aware(now) or datetime.now(UTC)
    pass_ = _Pass(engine, matcher, senders, now, force, cap, build, default_schedule, signals_kept)
    jobs, report = pass_.due()
    if jobs and build is None:
        assert isinstance(matcher, Matcher)
        pass_.fanout = shared_fanout(engine, paper_topics or PaperTopics(engine, matcher), now)
        from bot.feedback.candidates import Candidates  # numpy: only for a pass that has channels to serve

        pass_.candidates = Candidates()
    # Workers sharing a pass start in different places, and re-read a batch just before delivering it.
    random.shuffle(jobs)
    quick_switches()  # its threads mostly wait on the database: none should wait on another's model for long
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="deliver") as pool:
        for batch in _batches(jobs, RECHECK):
            for outcome, detail in pool.map(pass_.channel, pass_.still_due(batch)):
                if outcome != "skipped":
                    setattr(report, outcome, getattr(report, outcome) + 1)
                report.details.append(detail)
    log.info(
        "delivery pass: %d due, %d posted, %d quiet, %d failed, %d paused",
        report.channels_due,
        report.posted,
        report.quiet,
        report.failed,
        report.paused,
    )
    return report


def shared_fanout(engine: Engine, paper_topics: PaperTopics, now: datetime) -> FanOut:
    """The pass's new papers with their stored evidence, and every subscription evaluated once."""
    with UnitOfWork(engine) as uow:
        fanout = FanOut.load(uow, paper_topics, now)
        distinct = fanout.prepare(uow.subscriptions.queries())
    log.info("fan-out: %d new papers, %d distinct subscriptions", len(fanout.papers), distinct)
    return fanout


def _weekly_best_feeds(subscribed: list[ChannelRef], rows: Mapping[str, ChannelRow]) -> list[ChannelRef]:
    """The weekly best-of feeds (`.../top` rows) of the channels and people that follow something."""
    following = {str(ref) for ref in subscribed}
    return [
        ChannelRef.parse(ref)
        for ref in rows
        if ref.endswith(WEEKLY_BEST) and ref.removesuffix(WEEKLY_BEST) in following
    ]


def _batches(items: Sequence[_Job], size: int) -> Iterator[Sequence[_Job]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _Pass:
    engine: Engine
    matcher: object
    senders: Mapping[str, Sender]
    now: datetime
    force: bool
    cap: int
    build: Build | None
    default_schedule: Schedule | None
    signals_kept: int
    fanout: FanOut | None = None
    candidates: Candidates | None = None  # the model-free rows of the candidates' vectors, shared by the channels
    following: dict[str, list[str]] = field(default_factory=dict)  # channel -> its queries, read a batch at a time
    sent: dict[str, set[str]] = field(default_factory=dict)  # channel -> papers lately sent, read a batch at a time
    pending: set[str] = field(default_factory=set)  # channels with unconfirmed posts, read a batch at a time
    learned: dict[str, Learned] = field(default_factory=dict)  # channel -> its votes and latest, read a batch at a time

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.default_schedule)

    def _slot(self, schedule: Schedule, last: datetime | None, created: datetime | None) -> datetime | None:
        # A channel never handled counts from its creation: its first post is at its next slot.
        return due_slot(schedule, _aware(last) or _aware(created), self.now)

    def _plan(self, channel: ChannelRef, row: ChannelRow | Row[Any]) -> tuple[datetime | None, str]:
        """The slot this pass handles for a channel (None: none is due), or why even a forced pass sends it
        nothing: a post that is off stays off, and each week's best goes out once whatever the passes."""
        schedule = schedule_of(row)
        last = _aware(row.last_slot_at)
        slot = self._slot(schedule, last, row.created_at)
        if not self.force or slot is not None:
            return slot, ""
        if schedule.cadence == "off":
            post = "week's best" if channel.is_weekly_best else "post"
            return None, f"its {post} is off, so nothing was sent (/papers schedule turns it back on)"
        if not channel.is_weekly_best:
            return None, ""  # forced: the regular post goes now, its slot still to come
        # Forced, the week's best goes out for the week that ended at its latest slot, unless that week's went
        # out already: a feed created since then counts that week as its first, never the coming one early.
        slot = due_slot(schedule, last, self.now)
        if slot is not None:
            return slot, ""
        coming = next_slot(schedule, self.now)
        return None, f"this week's best was already sent; the next is due {clock_time(local(coming, schedule.tz))}"

    def due(self) -> tuple[list[_Job], PassReport]:
        report = PassReport()
        jobs: list[_Job] = []
        with self.uow() as uow:
            refs = uow.subscriptions.channels()
            rows = {row.ref: row for row in uow.channels.all()}
            refs += _weekly_best_feeds(refs, rows)  # issue 20: the week's best, a feed of its own
            pending = uow.outbox.channels_with_pending()
            for channel in refs:
                row = rows.get(str(channel)) or uow.channels.row(channel)
                if row.paused_reason:
                    report.paused += 1
                    report.details.append(f"{channel}: paused ({row.paused_reason})")
                    continue
                try:
                    job, why = self._job(channel, row, pending)
                except PapersError as exc:  # a schedule stored before its checks existed: skip this one, not the pass
                    report.details.append(f"{channel}: bad schedule ({exc.message})")
                    continue
                if job is not None:
                    jobs.append(job)
                elif why:
                    report.details.append(f"{channel}: {why}")
            uow.commit()  # rows created for subscribed channels that had none
        report.channels_due = len(jobs)
        return jobs, report

    def _job(
        self, channel: ChannelRef, row: ChannelRow, pending: Mapping[str, datetime | None]
    ) -> tuple[_Job | None, str]:
        """The channel's job in this pass, if it has one, and why a forced pass leaves it out."""
        slot, why = self._plan(channel, row)
        retry_at = _aware(pending.get(str(channel)))
        retry = str(channel) in pending and (self.force or retry_at is None or retry_at <= self.now)
        due = (self.force and not why) or slot is not None or retry
        return (_Job(channel, slot) if due else None), why

    def still_due(self, batch: Sequence[_Job]) -> list[_Job]:
        """The jobs of a batch that no other worker has done since the pass began, with their subscriptions
        (one read for the batch, not one a channel)."""
        refs = [str(job.channel) for job in batch]
        with self.uow() as uow:
            if self.fanout is not None:
                # A weekly best-of feed (`/top`) follows its channel's or person's subscriptions.
                queries = uow.bulk.queries_of({ref.removesuffix(WEEKLY_BEST) for ref in refs})
                self.following.update(
                    (ref, queries[ref.removesuffix(WEEKLY_BEST)])
                    for ref in refs
                    if ref.removesuffix(WEEKLY_BEST) in queries
                )
                self.sent.update(uow.outbox.recently_delivered(refs, self.now - NEW_FOR - timedelta(days=1)))
                self.learned.update(uow.feedback.learned_from_each(refs))
            pending = uow.outbox.channels_with_pending(refs)
            self.pending.update(pending)
            if self.force or len(batch) < 2:
                return list(batch)
            rows = uow.channels.rows(refs)
        still = []
        for job in batch:
            row = rows.get(str(job.channel))
            try:
                if row is not None and not row.paused_reason and self._job(job.channel, row, pending)[0] is not None:
                    still.append(job)
            except PapersError:
                continue
        return still

    def channel(self, job: _Job) -> tuple[str, str]:
        """Deliver one channel under its lock; returns (report field, detail line)."""
        channel = job.channel
        sender = sender_for(self.senders, channel)
        if sender is None:
            return "failed", f"{channel}: no sender for {channel.platform}"
        try:
            lock = try_lock(self.engine, f"deliver:{channel}")
            if lock is None:
                return "skipped", f"{channel}: another pass is delivering it"
            with lock:
                return self._deliver(channel, sender)
        except Exception as exc:  # one channel's bug must not stop the others
            log.exception("delivery to %s failed", channel)
            return "failed", f"{channel}: {type(exc).__name__}: {exc}"

    def _deliver(self, channel: ChannelRef, sender: Sender) -> tuple[str, str]:
        # Read everything again under the lock: another pass may have just handled this channel.
        with self.uow() as uow:
            row = uow.channels.state(channel) or uow.channels.row(channel)
            if row.paused_reason:
                return "paused", f"{channel}: paused ({row.paused_reason})"
            slot, why = self._plan(channel, row)
            tz = schedule_of(row).tz  # the post's title gives the day as the channel's clock shows it
            summary = row.summary is not False  # a forum channel's day's list (Digest.summary)
            # The batch's read says which channels have unconfirmed posts; one made since is resent next pass.
            maybe = self.fanout is None or self.force or str(channel) in self.pending
            pending = uow.outbox.pending(channel, None if self.force else self.now) if maybe else []
            resend = [(d.id, d.mark, replace(self._recorded_digest(uow, channel, d), summary=summary)) for d in pending]
        sent_before = 0
        for delivery_id, mark, digest in resend:
            outcome = self._send(sender, channel, delivery_id, mark, digest, resume=True)
            if outcome is not None:
                return outcome
            sent_before += 1
        if slot is None and (not self.force or why):
            return (
                ("posted", f"{channel}: resent {sent_before} unconfirmed")
                if sent_before
                else ("skipped", f"{channel}: {why or 'not due'}")
            )
        for fresh in (False, True):
            with self.uow() as uow:
                digest = replace(self._digest(uow, channel, fresh, tz, row.upvotes), summary=summary)
                if not digest.matches:
                    if slot is not None:
                        uow.outbox.handled_slot(channel, slot)
                    uow.commit()
                    return (
                        ("posted", f"{channel}: resent {sent_before}")
                        if sent_before
                        else ("quiet", f"{channel}: nothing new")
                    )
                mark = uuid.uuid4().hex
                try:
                    papers = [(m.paper.key, m.score, tuple(m.why)) for m in digest.matches]
                    delivery_id = uow.outbox.record(channel, mark, digest.title, papers, self.now)
                    if slot is not None:
                        uow.outbox.handled_slot(channel, slot)
                    uow.commit()
                    break
                except IntegrityError:  # the primary key refused a (channel, paper) delivered since it was read
                    uow.rollback()
        else:
            log.warning("digest for %s holds papers already delivered; skipped", channel)
            return "failed", f"{channel}: papers already delivered by another pass"
        outcome = self._send(sender, channel, delivery_id, mark, digest, resume=False)
        return outcome or ("posted", f"{channel}: {plural(len(digest.matches), 'paper')} ({layout(digest)})")

    def _digest(
        self, uow: UnitOfWork, channel: ChannelRef, fresh: bool, tz: str = "UTC", upvotes: str = "normal"
    ) -> Digest:
        """The channel's digest from the shared fan-out; what it was sent comes from the batch's read unless
        `fresh` (the outbox's primary key is the guarantee: a stale read is refused and read again)."""
        if self.build is not None:
            return self.build(uow, self.matcher, channel, self.now, cap=self.cap)
        assert self.fanout is not None
        queries = self.following.get(str(channel))
        subscriptions = (
            [Subscription(channel, query) for query in queries]
            if queries is not None
            else uow.subscriptions.for_channel(channel.base)
        )
        sent = self.sent.get(str(channel))
        if fresh or sent is None:
            sent = uow.outbox.delivered_keys(channel)
        fanout, now = self.fanout, local(self.now, tz)
        if channel.is_weekly_best:
            return weekly_best(fanout, channel, subscriptions, sent, now, self.cap)
        # Learned re-ranking (bot/feedback): the ranked digest re-ordered by the channel's likes and dislikes.
        build = lambda cap: fanout.digest(channel, subscriptions, sent, now, cap)  # noqa: E731
        learned = self.learned.get(str(channel))
        return learned_digest(
            uow, channel, build, self.cap, learned, self.signals_kept, upvotes, fanout.points, self.candidates
        )

    def _recorded_digest(self, uow: UnitOfWork, channel: ChannelRef, delivery: Row[Any]) -> Digest:
        """The digest exactly as recorded: same papers, same order, so that its parts line up with a partial post."""
        matches = []
        for item in uow.outbox.papers_of(delivery.id or 0):
            paper = uow.papers.get(item.paper_key)
            if paper is not None:
                matches.append(Match(paper=paper, score=item.score, why=item.why))
        return Digest(channel=channel, matches=tuple(matches), title=delivery.title, created_at=delivery.created_at)

    def _send(
        self, sender: Sender, channel: ChannelRef, delivery_id: int, mark: str, digest: Digest, resume: bool
    ) -> tuple[str, str] | None:
        """Send (or confirm) one recorded delivery; None when it is now sent, else the channel's outcome."""
        try:
            ids = sender.find_sent(channel, mark) if resume else None
            if ids is None and resume and isinstance(sender, ResumingSender):
                ids = sender.resume(channel, digest, mark)  # a thread cut short: post only what is missing
            elif ids is None:
                ids = sender.send(channel, digest, mark)
        except SendFailed as exc:
            return self._failed(channel, delivery_id, exc)
        with self.uow() as uow:
            uow.outbox.sent(delivery_id, ids, self.now)
            uow.commit()
        return None

    def _failed(self, channel: ChannelRef, delivery_id: int, exc: SendFailed) -> tuple[str, str]:
        with self.uow() as uow:
            row = uow.session.get(DeliveryRow, delivery_id)
            attempts = (row.attempts if row else 0) + 1
            wait = BACKOFF_FIRST * 2 ** min(attempts - 1, 10)
            if exc.retry_after:
                wait = max(wait, timedelta(seconds=exc.retry_after))
            uow.outbox.attempt_failed(
                delivery_id, exc.message, None if exc.permanent else self.now + min(wait, BACKOFF_MAX)
            )
            if exc.permanent:
                uow.channels.pause(channel, exc.message)
            uow.commit()
        if exc.permanent:
            # Logged once: a paused channel is skipped quietly until /papers schedule or subscribe.
            log.warning("paused delivery to %s: %s", channel, exc.message)
            return "paused", f"{channel}: paused ({exc.message})"
        log.info("delivery to %s failed (attempt %d), retrying later: %s", channel, attempts, exc.message)
        return "failed", f"{channel}: {exc.message} (attempt {attempts}, kept for the next pass)"
