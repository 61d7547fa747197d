"""The one service behind every platform: a Command in, a Reply out, errors explained."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.limits import CommandRate
from bot.delivery.digest import build_digest
from bot.delivery.schedule import next_slot, parse_schedule
from bot.domain import Actor, ChannelRef, Schedule, Subscription
from bot.errors import BadCommand, LimitReached, NotAllowed, PapersError, echo
from bot.feedback.signals import MIN_SIGNALS, paper_named, saved_papers
from bot.find.finder import Finder
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import parse_query
from bot.relevance.topics import Taxonomy
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 25
DRY_RUN_DAYS = 7
TOO_BROAD_PER_DAY = 30
CHANGING = (c.Subscribe, c.Unsubscribe, c.SetSchedule)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Service:
    """Holds the parts a command needs; `answer` is the entry point for every adapter."""

    engine: Engine
    taxonomy: Taxonomy
    matcher: Matcher
    finder: Finder
    clock: Callable[[], datetime] = utcnow
    default_schedule: Schedule = field(default_factory=Schedule)
    rate: CommandRate = field(default_factory=CommandRate)
    paper_topics: PaperTopics = field(init=False)

    def __post_init__(self) -> None:
        self.paper_topics = PaperTopics(self.engine, self.matcher)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.default_schedule)

    def answer(self, channel: ChannelRef, actor: Actor, text: str) -> r.Reply:
        """Parse and handle chat text; never raises: bad input becomes a Problem reply."""
        if not self.rate.allow(f"{channel.platform}:{channel.workspace}:{actor.id}"):
            return r.Problem(f"That is more than {self.rate.per_minute} commands in a minute; please wait a moment.")
        try:
            command = c.parse_command(text)
        except PapersError as error:
            return r.Problem(error.message, c.usage_line(error.usage))
        return self.run(channel, actor, command)

    def run(self, channel: ChannelRef, actor: Actor, command: c.Command) -> r.Reply:
        """Handle a Command an adapter built itself (typed options); never raises."""
        try:
            return self.handle(channel, actor, command)
        except PapersError as error:
            return r.Problem(error.message, c.usage_line(error.usage or command.name))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("command failed (ref %s) in %s", ref, channel)
            return r.Problem(f"Something went wrong on my side; it is logged as ref {ref}.", c.usage_line(command.name))

    def handle(self, channel: ChannelRef, actor: Actor, command: c.Command) -> r.Reply:
        if isinstance(command, CHANGING) and not actor.is_admin:
            raise NotAllowed(
                "Only workspace admins and the people the bot's operator listed may change this channel's papers."
            )
        handlers: dict[type, Callable[..., r.Reply]] = {
            c.Subscribe: self._subscribe,
            c.Unsubscribe: self._unsubscribe,
            c.ListSubscriptions: self._list,
            c.Find: self._find,
            c.PreviewDigest: self._digest,
            c.SetSchedule: self._schedule,
            c.BrowseTopics: self._topics,
            c.Status: self._status,
            c.Feedback: self._feedback,
            c.ListSaved: self._saved,
            c.Help: self._help,
        }
        return handlers[type(command)](channel, actor, command)

    def _subscribe(self, channel: ChannelRef, actor: Actor, command: c.Subscribe) -> r.Reply:
        query = parse_query(command.query, self.taxonomy)
        self._check_likes(query.likes())
        already = BadCommand(f"This channel already follows {echo(query.text)}.", usage="list")
        with self.uow() as uow:
            uow.channels.lock(channel)  # one change to this channel at a time: the checks below hold when it commits
            if uow.subscriptions.find(channel, query.text):
                raise already
            if uow.subscriptions.count(channel) >= MAX_SUBSCRIPTIONS:
                raise LimitReached(
                    f"A channel can have at most {MAX_SUBSCRIPTIONS} subscriptions; remove one first.",
                    usage="unsubscribe",
                )
            uow.subscriptions.add(Subscription(channel, query.text, query.min_upvotes, created_by=actor.id))
            uow.channels.pause(channel, None)
            uow.audit.record(channel, actor.name, f"subscribed to {query.text}")
            try:
                uow.commit()
            except IntegrityError:  # the (channel, query) key, should anything bypass the lock
                raise already from None
            week = uow.papers.recent(self.clock() - timedelta(days=DRY_RUN_DAYS))
        found = self.paper_topics.evaluate(query, week)  # the path a post takes: stored evidence
        per_day = len(found) / DRY_RUN_DAYS
        return r.Subscribed(
            query.text,
            query.describe(),
            actor.name,
            per_day,
            DRY_RUN_DAYS,
            tuple(found[:3]),
            self._dry_run_warning(query.topics(), per_day, len(found)),
        )

    def _check_likes(self, keys: list[str]) -> None:
        """A `like:` term must name a stored paper: else it would silently match nothing."""
        with self.uow() as uow:
            missing = [key for key in keys if uow.papers.get(key) is None]
        if missing:
            raise BadCommand(
                f"I have no paper {echo(missing[0])} to follow papers like; /papers find looks papers up.",
                usage="subscribe",
            )

    def _dry_run_warning(self, topics: list[str], per_day: float, total: int) -> str:
        if per_day > TOO_BROAD_PER_DAY:
            narrower = [t.slug for slug in topics for t in self.taxonomy.children(slug)][:3]
            hint = f" A narrower topic such as {', '.join(narrower)} may suit better." if narrower else ""
            return f"That is about {per_day:.0f} papers a day, which is a lot for one post.{hint}"
        if total == 0:
            parents = [t.parent for t in map(self.taxonomy.get, topics) if t and t.parent]
            hint = (
                f" The broader topic {parents[0]} may suit better."
                if parents
                else " Try a broader topic or fewer words."
            )
            return f"Nothing in the last {DRY_RUN_DAYS} days would have matched.{hint}"
        return ""

    def _unsubscribe(self, channel: ChannelRef, actor: Actor, command: c.Unsubscribe) -> r.Reply:
        with self.uow() as uow:
            uow.channels.lock(channel)  # what is listed below is what is removed: nobody removes it meanwhile
            subs = uow.subscriptions.for_channel(channel)
            target = command.target.strip()
            if target.lower() == "all":
                chosen = subs
            elif target.isdigit():
                number = int(target)
                if not 1 <= number <= len(subs):
                    raise BadCommand(
                        f"This channel has {len(subs)} subscriptions; there is no number {number}.", usage="list"
                    )
                chosen = [subs[number - 1]]
            else:
                chosen = [s for s in subs if s.query.lower() == " ".join(target.split()).lower()]
                if not chosen:
                    raise BadCommand(
                        f"This channel does not follow {echo(target)}; /papers list shows what it follows.",
                        usage="unsubscribe",
                    )
            removed = [sub for sub in chosen if uow.subscriptions.remove(sub.id)]  # type: ignore[arg-type]
            for sub in removed:
                uow.audit.record(channel, actor.name, f"unsubscribed from {sub.query}")
            uow.commit()
        return r.Unsubscribed(tuple(s.query for s in removed), actor.name)

    def _list(self, channel: ChannelRef, actor: Actor, command: c.ListSubscriptions) -> r.Reply:
        with self.uow() as uow:
            subs = uow.subscriptions.for_channel(channel)
            schedule = uow.channels.schedule(channel)
            row = uow.channels.get(channel)
        understood = tuple((s.query, parse_query(s.query, self.taxonomy).describe()) for s in subs)
        return r.SubscriptionList(
            understood,
            schedule,
            row.paused_reason if row else None,
            next_slot(schedule, self.clock()) if subs else None,
        )

    def _find(self, channel: ChannelRef, actor: Actor, command: c.Find) -> r.Reply:
        results = self.finder.find(command.text, limit=5)
        note = "" if results else "Nothing stored matches that; try fewer or different words, or an arXiv id."
        return r.FindResults(command.text, tuple(results), note)

    def _digest(self, channel: ChannelRef, actor: Actor, command: c.PreviewDigest) -> r.Reply:
        with self.uow() as uow:
            has_subs = uow.subscriptions.count(channel) > 0
            # The preview is where the post's "and N more" points: it lists every match.
            digest = build_digest(uow, self.matcher, channel, self.clock(), cap=None)
        return r.DigestPreview(digest, has_subs)

    def _schedule(self, channel: ChannelRef, actor: Actor, command: c.SetSchedule) -> r.Reply:
        with self.uow() as uow:
            current = uow.channels.schedule(channel)
            schedule = parse_schedule(command.args, default_tz=current.tz)
            uow.channels.set_schedule(channel, schedule)
            uow.channels.pause(channel, None)
            uow.audit.record(channel, actor.name, f"set the schedule to {schedule.describe()}")
            uow.commit()
        return r.ScheduleSet(schedule, actor.name, next_slot(schedule, self.clock()))

    def _topics(self, channel: ChannelRef, actor: Actor, command: c.BrowseTopics) -> r.Reply:
        topics = self.taxonomy.browse(command.prefix.strip().lower())
        if not topics:
            suggestions = self.taxonomy.suggest(command.prefix)
            hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
            raise BadCommand(f"No topic starts with {echo(command.prefix)}.{hint}", usage="topics")
        rows = tuple((t.slug, t.name, self._depth(t.slug)) for t in topics)
        return r.TopicList(command.prefix, rows, len(self.taxonomy))

    def _depth(self, slug: str) -> int:
        depth, topic = 0, self.taxonomy.get(slug)
        while topic is not None and topic.parent and depth < 5:
            depth, topic = depth + 1, self.taxonomy.get(topic.parent)
        return depth

    def _status(self, channel: ChannelRef, actor: Actor, command: c.Status) -> r.Reply:
        with self.uow() as uow:
            sources = tuple(
                r.SourceState(s.source, s.last_success_at, s.last_added, s.last_error) for s in uow.sources.all()
            )
            subs = tuple(s.query for s in uow.subscriptions.for_channel(channel))
            schedule = uow.channels.schedule(channel)
            row = uow.channels.get(channel)
            changes = tuple(f"{a.at:%Y-%m-%d %H:%M} {a.actor} {a.action}" for a in uow.audit.recent(channel))
            papers = uow.papers.count()
        return r.StatusReport(
            sources,
            subs,
            schedule,
            row.paused_reason if row else None,
            row.last_post_at if row else None,
            next_slot(schedule, self.clock()) if subs else None,
            papers,
            changes,
        )

    def _feedback(self, channel: ChannelRef, actor: Actor, command: c.Feedback) -> r.Reply:
        key = paper_named(command.paper)
        if key is None:
            raise BadCommand("Name the paper by its arXiv id or link, such as 2401.12345.", usage=command.kind)
        with self.uow() as uow:
            paper = uow.papers.get(key)
            if paper is None:
                raise BadCommand(
                    f"I have no paper {echo(command.paper)}; /papers find looks papers up.", usage=command.kind
                )
            if command.kind == "forget":
                changed = uow.feedback.forget(str(channel), key, actor.id) > 0
            else:
                changed = uow.feedback.give(str(channel), key, actor.id, command.kind, self.clock())
            signals = uow.feedback.signals([str(channel)]).get(str(channel), 0)
            uow.commit()
        return r.FeedbackNoted(command.kind, paper, actor.name, changed, signals, MIN_SIGNALS)

    def _saved(self, channel: ChannelRef, actor: Actor, command: c.ListSaved) -> r.Reply:
        with self.uow() as uow:
            return r.SavedList(tuple(saved_papers(uow, channel)))

    def _help(self, channel: ChannelRef, actor: Actor, command: c.Help) -> r.Reply:
        if command.command and command.command not in c.USAGE:
            raise BadCommand(f"There is no command {echo(command.command)}.", usage="help")
        names = [command.command] if command.command else list(c.USAGE)
        return r.HelpText(tuple(c.USAGE[name] for name in names))
