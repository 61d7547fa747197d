"""The one service behind every platform: a Command in, a Reply out, errors explained."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.chat import commands as c
from bot.chat import feed_links, feeds, teaching, transfer_commands
from bot.chat import replies as r
from bot.chat.help_text import EXAMPLES
from bot.chat.limits import MAX_SUBSCRIPTIONS, CommandRate
from bot.chat.subscribing import covered_by, missing_metadata, named_by, offer_warmup
from bot.club.chat import open_club
from bot.delivery.digest import build_digest
from bot.delivery.schedule import local, next_slot
from bot.delivery.schedule_words import asks_weekly_best, parse_schedule
from bot.delivery.why import short_why
from bot.domain import SOURCES, Actor, ChannelRef, Schedule, Subscription
from bot.errors import BadCommand, LimitReached, NotAllowed, PapersError, echo
from bot.feedback.signals import SIGNALS_KEPT
from bot.find.finder import Finder
from bot.paper_links import arxiv_key
from bot.relevance.matching import Matcher
from bot.relevance.paper_topics import PaperTopics
from bot.relevance.query import parse_query
from bot.relevance.topics import Taxonomy
from bot.wording import plural, stamp
from storage.channels import schedule_of
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DRY_RUN_DAYS = 7
TOO_BROAD_PER_DAY = 30
CHANGING = (c.Subscribe, c.Unsubscribe, c.SetSchedule, c.Import, c.ResetTaste, c.SetRanking)


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
    signals_kept: int = SIGNALS_KEPT  # the likes and dislikes a channel's model learns from (FEEDBACK_SIGNALS_KEPT)
    public_url: str | None = None  # where the web pages are served (PUBLIC_URL): `/papers feed` links there
    paper_topics: PaperTopics = field(init=False)

    def __post_init__(self) -> None:
        self.paper_topics = PaperTopics(self.engine, self.matcher)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.default_schedule)

    def answer(self, channel: ChannelRef, actor: Actor, text: str, limited: bool = True) -> r.Reply:
        """Parse and handle chat text; never raises: bad input becomes a Problem reply. `limited=False` for
        someone who runs the bot (its terminal): the command rate stops floods from chat, not its owner."""
        if limited and (flooding := self.flooding(channel, actor)):
            return flooding
        try:
            command = c.parse_command(text)
        except PapersError as error:
            return r.Problem(error.message, c.usage_line(error.usage))
        return self.run(channel, actor, command)

    def click(self, channel: ChannelRef, actor: Actor, command: c.Command) -> r.Reply:
        """A button someone clicked (a paper's More like this, Less like this, Save): counted by the command rate
        as the same command typed is, so that 300 clicks a minute are refused as 300 commands are."""
        return self.flooding(channel, actor) or self.run(channel, actor, command)

    def flooding(self, channel: ChannelRef, actor: Actor) -> r.Problem | None:
        """The refusal when `actor` has used up the commands of this minute (typed, clicked or voted), else None."""
        if self.rate.allow(f"{channel.platform}:{channel.workspace}:{actor.id}"):
            return None
        return r.Problem(f"That is more than {self.rate.per_minute} commands in a minute; please wait a moment.")

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
        personal = bool(getattr(command, "personal", False)) or actor.owns(channel)
        if isinstance(command, CHANGING) and not actor.is_admin and not personal:  # anyone may change their own
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
            c.Export: partial(transfer_commands.export, self),
            c.Import: partial(transfer_commands.import_file, self),
            c.Feedback: partial(teaching.feedback, self),
            c.ListSaved: partial(teaching.saved, self),
            c.Explain: partial(teaching.explain, self),
            c.ShowTaste: partial(teaching.taste, self),
            c.ResetTaste: partial(teaching.forget_taste, self),
            c.ShowRanking: partial(teaching.show_ranking, self),
            c.SetRanking: partial(teaching.ranking, self),
            c.WarmUp: partial(teaching.warmup, self),
            c.Club: partial(open_club, self),
            c.FeedUrl: partial(feed_links.feed, self),
            c.Help: self._help,
        }
        if not personal:
            return handlers[type(command)](channel, actor, command)
        reply = handlers[type(command)](actor.own_feed(channel.platform, channel.workspace), actor, command)
        return feeds.personal_reply(reply)

    def own_subscriptions(self, platform: str, workspace: str, user_id: str) -> r.SubscriptionList:
        """A person's own subscriptions and schedule (what `/papers list mine` shows; App Home lists them too)."""
        listed = self._list(ChannelRef.person(platform, workspace, user_id), Actor(user_id), c.ListSubscriptions(True))
        return replace(listed, where=feeds.YOUR_FEED)

    def _subscribe(self, channel: ChannelRef, actor: Actor, command: c.Subscribe) -> r.Reply:
        c.nothing_after_for_me(command.query, command.name)
        query = parse_query(command.query, self.taxonomy)
        self._check_likes(query.likes())
        already = BadCommand(f"{feeds.where(channel).capitalize()} already follows {echo(query.text)}.", usage="list")
        with self.uow() as uow:
            # A person's new feed starts in their time zone: read before the lock makes the row with the defaults.
            start = feeds.schedule_of(uow, channel, actor, self.default_schedule) if channel.is_personal else None
            # One change to this channel at a time: the checks below hold when it commits.
            row = uow.channels.lock(channel)
            if start is not None and uow.subscriptions.count(channel) == 0:
                uow.channels.set_schedule(channel, start)
            if uow.subscriptions.find(channel, query.text):
                raise already
            if covering := covered_by(query, uow.subscriptions.for_channel(channel), self.taxonomy):
                raise BadCommand(covering, usage="list")
            if uow.subscriptions.count(channel) >= MAX_SUBSCRIPTIONS:
                raise LimitReached(
                    f"{'Your feed' if channel.is_personal else 'A channel'} can have at most {MAX_SUBSCRIPTIONS} "
                    "subscriptions; remove one first.",
                    usage="unsubscribe",
                )
            offer = offer_warmup(uow, channel, row, self.clock())
            uow.subscriptions.add(Subscription(channel, query.text, query.min_upvotes, created_by=actor.id))
            uow.channels.pause(channel, None)
            uow.audit.record(channel, actor.name, f"subscribed to {query.text}")
            try:
                uow.commit()
            except IntegrityError:  # the (channel, query) key, should anything bypass the lock
                raise already from None
        run = self.dry_run(command.query)
        return r.Subscribed(
            run.query, run.understood, actor.name, run.per_day, run.days, run.top, run.warning, offers_warmup=offer
        )

    def dry_run(self, text: str) -> r.DryRun:
        """What `text` would have brought over the last days; raises PapersError for a query chat would refuse."""
        query = parse_query(text, self.taxonomy)
        with self.uow() as uow:
            week = uow.papers.recent(self.clock() - timedelta(days=DRY_RUN_DAYS))
        found = self.paper_topics.evaluate(query, week)  # the path a post takes: stored evidence
        per_day = len(found) / DRY_RUN_DAYS
        top = tuple(replace(m, why=(short_why(query.text, m.why),)) for m in found[:3])  # full why: `match`
        warning = missing_metadata(query, week, DRY_RUN_DAYS) or self._dry_run_warning(
            query.topics(), per_day, len(found)
        )
        return r.DryRun(query.text, query.describe(), per_day, DRY_RUN_DAYS, top, warning)

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
            return hint.strip()  # after the estimate, which says that nothing would have matched
        return ""

    def _unsubscribe(self, channel: ChannelRef, actor: Actor, command: c.Unsubscribe) -> r.Reply:
        c.nothing_after_for_me(command.target, command.name)
        with self.uow() as uow:
            uow.channels.lock(channel)  # what is listed below is what is removed: nobody removes it meanwhile
            subs = uow.subscriptions.for_channel(channel)
            target = " ".join(command.target.split())
            if target.lower() == "all" and len(subs) > 1:
                names = ", ".join(echo(s.query, 30) for s in subs[:3]) + (", …" if len(subs) > 3 else "")
                raise BadCommand(
                    f"That removes all {len(subs)} subscriptions of this channel ({names}); "
                    "to do it, type /papers unsubscribe all confirm.",
                    usage="unsubscribe",
                )
            if target.lower() in ("all", "all confirm"):
                chosen = subs
            elif target.isdigit():
                number = int(target)
                if not 1 <= number <= len(subs):
                    raise BadCommand(
                        f"{feeds.where(channel).capitalize()} has {plural(len(subs), 'subscription')}; "
                        f"there is no number {number}.",
                        usage="list",
                    )
                chosen = [subs[number - 1]]
            else:
                chosen = named_by(target, subs, self.taxonomy)
                if not chosen:
                    raise BadCommand(
                        f"{feeds.where(channel).capitalize()} does not follow {echo(target)}; "
                        "/papers list shows what it follows.",
                        usage="unsubscribe",
                    )
            removed = [sub for sub in chosen if uow.subscriptions.remove(sub.id)]  # type: ignore[arg-type]
            for sub in removed:
                uow.audit.record(channel, actor.name, f"unsubscribed from {sub.query}")
            uow.commit()
        return r.Unsubscribed(tuple(s.query for s in removed), actor.name)

    def _list(self, channel: ChannelRef, actor: Actor, command: c.ListSubscriptions) -> r.SubscriptionList:
        with self.uow() as uow:
            subs = uow.subscriptions.for_channel(channel)
            schedule = uow.channels.schedule(channel)
            row = uow.channels.get(channel)
            best = uow.channels.get(channel.weekly_best())
        understood = tuple((s.query, self._understood(s.query)) for s in subs)
        return r.SubscriptionList(
            understood,
            schedule,
            row.paused_reason if row else None,
            local(next_slot(schedule, self.clock()), schedule.tz) if subs else None,
            weekly_best=schedule_of(best) if best is not None and best.cadence != "off" else None,
            upvotes=row.upvotes if row else "normal",
        )

    def _understood(self, query: str) -> str:
        """How a kept subscription reads; one kept before a check it fails (a removed topic, a category arXiv
        does not have) gets nothing, and says so rather than hiding the whole list."""
        try:
            return parse_query(query, self.taxonomy).describe()
        except PapersError as error:
            return f"not understood any more: {error.message}"

    def _find(self, channel: ChannelRef, actor: Actor, command: c.Find) -> r.Reply:
        results = self.finder.find(command.text, limit=5)
        note = "" if results else self.nothing_found(command.text)
        return r.FindResults(command.text, tuple(results), note)

    def nothing_found(self, text: str) -> str:
        """What to say when find has nothing: for an id, that it is not stored and how to add it."""
        key = arxiv_key(text)
        if key is None:
            return "Nothing stored matches that; try fewer or different words, or an arXiv id."
        asked = ", and arXiv gave none for it (no such id, or arXiv could not be reached)" if self.finder.fetch else ""
        return f"I have no paper {key}{asked}; papers-bot ingest FILE adds papers from a JSONL or arXiv Atom file."

    def _digest(self, channel: ChannelRef, actor: Actor, command: c.PreviewDigest) -> r.Reply:
        with self.uow() as uow:
            has_subs = uow.subscriptions.count(channel) > 0
            # The preview is where the post's "and N more" points: it lists every match.
            digest = build_digest(uow, self.matcher, channel, self.clock(), cap=None, kept=self.signals_kept)
            uow.commit()  # a model trained for the preview, and papers' word counts, are kept for the next post
        return r.DigestPreview(digest, has_subs)

    def _schedule(self, channel: ChannelRef, actor: Actor, command: c.SetSchedule) -> r.Reply:
        c.nothing_after_for_me(command.args, command.name)
        with self.uow() as uow:
            current = feeds.schedule_of(uow, channel, actor, self.default_schedule)
            summary, args = feeds.set_summary(uow, channel, command.args)  # a forum's post of the day's list
            if not args:
                schedule, post = current, ""
            elif asks_weekly_best(args):
                schedule, post = feeds.set_weekly_best(uow, channel, args, current)
            else:
                schedule, post = parse_schedule(args, current=current), "post"
                uow.channels.set_schedule(channel, schedule)
                uow.channels.pause(channel, None)
            reply = r.ScheduleSet(
                schedule,
                actor.name,
                local(next_slot(schedule, self.clock()), schedule.tz),
                where=feeds.where(channel),
                post=post,
                no_post=feeds.gets_no_post(uow, channel),
                summary=summary,
            )
            uow.audit.record(channel, actor.name, reply.change())
            uow.commit()
        return reply

    def _topics(self, channel: ChannelRef, actor: Actor, command: c.BrowseTopics) -> r.Reply:
        """Without a prefix the top-level areas; with one, each topic it finds with everything under it."""
        prefix = command.prefix.strip().lower()
        if not prefix:
            areas = sorted((t for t in self.taxonomy if not t.parent), key=lambda t: t.slug)
            rows = tuple((t.slug, _area(t.name, len(self.taxonomy.subtree(t.slug)) - 1), 0) for t in areas)
            return r.TopicList("", rows, len(self.taxonomy))
        found = self.taxonomy.browse(prefix)
        if not found:
            suggestions = self.taxonomy.suggest(command.prefix)
            hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
            raise BadCommand(f"No topic starts with {echo(command.prefix)}.{hint}", usage="topics")
        slugs = {t.slug for t in found}
        tops = [t for t in found if not (set(self.taxonomy.ancestors(t.slug)) & slugs)]
        rows = tuple((t.slug, t.name, depth) for top in tops for t, depth in self.taxonomy.tree(top.slug))
        return r.TopicList(command.prefix, rows, len(self.taxonomy))

    def _status(self, channel: ChannelRef, actor: Actor, command: c.Status) -> r.Reply:
        with self.uow() as uow:
            schedule = uow.channels.schedule(channel)  # its time zone is the one every time below is shown in
            sources = tuple(
                r.SourceState(s.source, local(s.last_success_at, schedule.tz), s.last_added, s.last_error)
                for s in uow.sources.all()
                if s.source in SOURCES  # an older version recorded any name `ingest --source` was given
            )
            subs = tuple(s.query for s in uow.subscriptions.for_channel(channel))
            row = uow.channels.get(channel)
            changes = tuple(
                f"{stamp(local(a.at, schedule.tz))} {a.actor} {a.action}" for a in uow.audit.recent(channel)
            )
            papers = uow.papers.count()
        return r.StatusReport(
            sources,
            subs,
            schedule,
            row.paused_reason if row else None,
            local(row.last_post_at, schedule.tz) if row else None,
            local(next_slot(schedule, self.clock()), schedule.tz) if subs else None,
            papers,
            changes,
            where=feeds.where(channel),
            upvotes=row.upvotes if row else "normal",
        )

    def _help(self, channel: ChannelRef, actor: Actor, command: c.Help) -> r.Reply:
        if command.command and command.command not in c.USAGE:
            raise BadCommand(f"There is no command {echo(command.command)}.", usage="help")
        names = [command.command] if command.command else list(c.USAGE)
        examples = tuple(dict.fromkeys(EXAMPLES[command.command])) if command.command else ()
        return r.HelpText(tuple(c.USAGE[name] for name in names), examples)


def _area(name: str, under: int) -> str:
    return f"{name} ({plural(under, 'topic')} under it)" if under else name
