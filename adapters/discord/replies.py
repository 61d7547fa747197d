"""Every core reply as a Discord message (one function a reply type); the building blocks are in render.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import discord

from adapters.discord.render import (
    AUTHOR,
    COLOUR,
    CONTENT,
    DESCRIPTION,
    FIELD,
    PAGE,
    Message,
    code,
    core_text,
    escape,
    fit,
    fit_lines,
    found_embed,
    inert,
    match_embed,
    paged,
    paper_embed,
    when,
)
from bot.chat import replies as r
from bot.wording import plural


def _problem(reply: r.Problem, page: int) -> Message:
    usage = f"\n{code(reply.usage)}" if reply.usage else ""
    return Message(fit(reply.message, 1500, core_text) + usage, ephemeral=reply.ephemeral)


def _help(reply: r.HelpText, page: int) -> Message:
    lines = [f"{code(usage)} {escape(what)}" for usage, what in reply.commands]
    lines += ["For example:", *(code(e) for e in reply.examples)] if reply.examples else []
    embed = discord.Embed(title="papers-bot", description=fit_lines(lines, DESCRIPTION), colour=COLOUR)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _cap(where: str) -> str:
    return where[:1].upper() + where[1:]


def _subscribed(reply: r.Subscribed, page: int) -> Message:
    lines = [
        f"**{fit(reply.actor, 100)}** subscribed {reply.where} to {code(reply.query[:300])} "
        f"({fit(reply.understood, 300, core_text)}).",
        reply.estimate(),
    ]
    if reply.warning:
        lines.append(fit(reply.warning, 400, core_text))
    if reply.offers_warmup:
        lines.append(r.WARMUP_OFFER)
    return Message("\n".join(lines), [match_embed(m) for m in reply.top[:PAGE]], ephemeral=reply.ephemeral)


def _unsubscribed(reply: r.Unsubscribed, page: int) -> Message:
    if not reply.queries:
        return Message(f"{_cap(reply.where)} had no subscriptions.", ephemeral=reply.ephemeral)
    what = fit_lines([code(q[:200]) for q in reply.queries], 1500).replace("\n", ", ")
    return Message(f"**{fit(reply.actor, 100)}** unsubscribed {reply.where} from {what}.", ephemeral=reply.ephemeral)


def _list(reply: r.SubscriptionList, page: int) -> Message:
    if not reply.subscriptions:
        return Message(
            f"{_cap(reply.where)} has no subscriptions yet. Try `/papers subscribe reinforcement-learning`.",
            ephemeral=reply.ephemeral,
        )
    lines = [
        f"{i}\\. {code(q[:300])} {fit(understood, 300, core_text)}"
        for i, (q, understood) in enumerate(reply.subscriptions, 1)
    ]
    embed = discord.Embed(
        title=f"{_cap(reply.where)} follows", description=fit_lines(lines, DESCRIPTION), colour=COLOUR
    )
    embed.add_field(
        name="Posts", value=f"{escape(reply.schedule.describe())}; next {when(reply.next_post)}", inline=False
    )
    if reply.weekly_best:
        embed.add_field(name="The week's best", value=escape(reply.weekly_best.describe()), inline=False)
    if reply.upvotes_line():
        embed.add_field(name="Upvotes", value=escape(reply.upvotes_line() or ""), inline=False)
    if reply.paused:
        embed.add_field(name="Paused", value=fit(reply.paused, FIELD, core_text), inline=False)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _found(reply: r.FindResults, page: int) -> Message:
    if not reply.results:
        return Message(fit(reply.note or "Nothing found.", 1500, core_text), ephemeral=reply.ephemeral)
    embeds, page, pages = paged([found_embed(f) for f in reply.results], page)
    # The query rides in the first embed's author line (plain text, never rendered), so that the
    # paging buttons can run it again after a restart; see adapters/discord/views.py FindPage.
    embeds[0].set_author(name=fit(FIND_PREFIX + reply.text, AUTHOR, inert))
    note = f" · page {page + 1}/{pages}" if pages > 1 else ""
    return Message(f"Results for {code(reply.text[:200])}{note}", embeds, reply.ephemeral, page, pages)


FIND_PREFIX = "find: "


def _preview(reply: r.DigestPreview, page: int) -> Message:
    digest = reply.digest
    if not reply.has_subscriptions:
        return Message(
            f"{_cap(reply.where)} has no subscriptions, so its digest is empty. "
            "Try `/papers subscribe reinforcement-learning`.",
            ephemeral=reply.ephemeral,
        )
    if not digest.matches:
        return Message(f"Nothing new matches {reply.where}'s subscriptions yet.", ephemeral=reply.ephemeral)
    embeds, page, pages = paged([match_embed(m) for m in digest.matches], page)
    note = f" · page {page + 1}/{pages}" if pages > 1 else ""
    more = f"\n… and {digest.more} more after these." if digest.more and page == pages - 1 else ""
    return Message(f"**Preview: {fit(digest.title, 300)}**{note}{more}", embeds, reply.ephemeral, page, pages)


def _schedule(reply: r.ScheduleSet, page: int) -> Message:
    next_post = f"; next {when(reply.next_post)}" if reply.next_post else ""
    said = f"**{fit(reply.actor, 100)}** {escape(reply.change())}{next_post}."
    return Message(" ".join(x for x in (said, reply.silence()) if x), ephemeral=reply.ephemeral)


def _topics(reply: r.TopicList, page: int) -> Message:
    lines = ["\u2003" * depth + f"{code(slug)} {escape(name)}" for slug, name, depth in reply.topics]
    embed = discord.Embed(
        title="Topics" + (f" starting with {fit(reply.prefix, 60)}" if reply.prefix else ""),
        description=fit_lines(lines, DESCRIPTION),
        colour=COLOUR,
    )
    embed.set_footer(text=f"{reply.count()} · /papers subscribe <slug>")
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def _status(reply: r.StatusReport, page: int) -> Message:
    embed = discord.Embed(
        title="papers-bot status", description=f"{plural(reply.papers, 'paper')} stored.", colour=COLOUR
    )
    sources = [
        f"**{escape(s.source)}**: last fetch {when(s.last_success)}, {s.added} added"
        + (f"; last error: {fit(s.last_error, 200)}" if s.last_error else "")
        for s in reply.sources
    ]
    sources = sources or ["none fetched yet; the papers came from files or the bundled set"]
    embed.add_field(name="Sources", value=fit_lines(sources, FIELD), inline=False)
    follows = fit_lines([code(q[:200]) for q in reply.subscriptions], FIELD) or "nothing yet"
    embed.add_field(name="Subscriptions", value=follows, inline=False)
    embed.add_field(
        name="Posts",
        value=f"{escape(reply.schedule.describe())}; last {when(reply.last_post)}; next {when(reply.next_post)}",
        inline=False,
    )
    if reply.upvotes_line():
        embed.add_field(name="Upvotes", value=escape(reply.upvotes_line() or ""), inline=False)
    if reply.paused:
        embed.add_field(name="Paused", value=fit(reply.paused, FIELD, core_text), inline=False)
    if reply.changes:
        embed.add_field(name="Recent changes", value=fit_lines([escape(c) for c in reply.changes], FIELD), inline=False)
    return Message(embeds=[embed], ephemeral=reply.ephemeral)


def card_embed(card: r.PaperCard) -> discord.Embed:
    """A paper named by a link: the paper's embed, with the topics it belongs to."""
    embed = paper_embed(card.paper)
    if card.topics:
        embed.add_field(name="Topics", value=fit(", ".join(card.topics), 300), inline=False)
    return embed


def _looked_up(reply: r.LookedUp, page: int) -> Message:
    missing = f"Neither stored nor known to arXiv: {', '.join(code(i) for i in reply.missing)}" if reply.missing else ""
    if not reply.cards:
        return Message(missing or "That message links to no paper (arXiv, Hugging Face or alphaXiv).", ephemeral=True)
    return Message(missing, [card_embed(card) for card in reply.cards[:PAGE]], ephemeral=reply.ephemeral)


def _export(reply: r.ExportFile, page: int) -> Message:
    if not reply.count:
        return Message("This channel has no subscriptions to export.", ephemeral=reply.ephemeral)
    text = f"This channel's {plural(reply.count, 'subscription')} and schedule; `/papers import` with this file follows the same."
    return Message(text, ephemeral=reply.ephemeral, attachment=(reply.filename, reply.content.encode()))


def _imported(reply: r.Imported, page: int) -> Message:
    lines = [f"**{fit(reply.actor, 100)}** imported into this channel: {escape(reply.describe())}"]
    lines += [f"line {number}: {fit(why, 300, core_text)}" for number, why in reply.refused]
    return Message(fit_lines(lines, 1800), ephemeral=reply.ephemeral)


def _explained(reply: r.Explained, page: int) -> Message:
    title = fit(" ".join(reply.paper.title.split()), 300)
    lines = [f"{code(query[:300])} {fit(why, 900, core_text)}" for query, why in reply.lines()]
    return Message(fit_lines([f"Why **{title}** would be posted here:", *lines], 1900), ephemeral=reply.ephemeral)


def _feedback(reply: r.FeedbackNoted, page: int) -> Message:
    return Message(
        reply.sentence("**" + fit(" ".join(reply.paper.title.split()), 300) + "**"), ephemeral=reply.ephemeral
    )


def _taste(reply: r.TasteShown, page: int) -> Message:
    lines = reply.lines(
        lambda word: code(word[:60]), lambda paper: "**" + fit(" ".join(paper.title.split()), 100) + "**"
    )
    return Message(fit_lines([escape(lines[0]), *lines[1:]], 1900), ephemeral=reply.ephemeral)


def _taste_reset(reply: r.TasteReset, page: int) -> Message:
    return Message(f"**{fit(reply.actor, 100)}** {escape(reply.describe())}", ephemeral=reply.ephemeral)


def _warmup(reply: r.WarmUpKinds, page: int) -> Message:
    lines = [escape(reply.heading())]
    for number, kind in enumerate(reply.kinds, 1):
        shown = "".join(f"\n“{fit(m.paper.title, 60)}”" for m in kind.typical)  # 7 kinds of 3 titles in 1,900
        lines.append(f"**{fit(reply.kind_line(number, kind), 300)}**{shown}")
    if reply.kinds:
        lines.append(escape(reply.how_to_pick("Pick the ones it wants below")))
    labels = tuple(reply.kind_line(number, kind) for number, kind in enumerate(reply.kinds, 1))
    return Message(fit_lines(lines, 1900), ephemeral=reply.ephemeral, kinds=labels, offer=reply.offer)


def _kinds_picked(reply: r.KindsPicked, page: int) -> Message:
    return Message(f"**{fit(reply.actor, 100)}** {escape(reply.describe())}", ephemeral=reply.ephemeral)


def _ranking(reply: r.RankingSet, page: int) -> Message:
    said = escape(reply.describe())
    return Message(f"**{fit(reply.actor, 100)}** {said}" if reply.actor else said, ephemeral=reply.ephemeral)


def _saved(reply: r.SavedList, page: int) -> Message:
    if not reply.papers:
        return Message(
            "This channel has saved no papers yet: `/papers save <arXiv id>` keeps one.", ephemeral=reply.ephemeral
        )
    shown = reply.papers[:PAGE]
    cards = [paper_embed(paper, footer=fit(f"saved by {who} on {at:%d %b %Y}", 200, inert)) for paper, at, who in shown]
    note = f" (the {len(shown)} saved last shown)" if len(reply.papers) > len(shown) else ""
    return Message(f"**{len(reply.papers)} saved papers in this channel**{note}", cards, reply.ephemeral)


def _club(reply: r.ClubBallot, page: int) -> Message:
    """The vote as text (the poll itself is built by adapters/discord/club.py, where the command is answered)."""
    lines = [f"{i}\\. {fit(m.paper.title, 150)}" for i, m in enumerate(reply.matches, 1)]
    return Message(f"**{escape(reply.question())}**\n" + "\n".join(lines), ephemeral=reply.ephemeral)


def _feed_link(reply: r.FeedLink, page: int) -> Message:
    # Our own words and URLs, nothing to escape; <url> keeps Discord from previewing each link.
    lines = [re.sub(r"(https?://\S+)", r"<\1>", line) for line in reply.lines()]
    return Message("\n".join(lines), ephemeral=reply.ephemeral)


RENDERERS: dict[type, Callable[[Any, int], Message]] = {
    r.Problem: _problem,
    r.HelpText: _help,
    r.Subscribed: _subscribed,
    r.Unsubscribed: _unsubscribed,
    r.SubscriptionList: _list,
    r.FindResults: _found,
    r.DigestPreview: _preview,
    r.ScheduleSet: _schedule,
    r.TopicList: _topics,
    r.StatusReport: _status,
    r.LookedUp: _looked_up,
    r.ExportFile: _export,
    r.Imported: _imported,
    r.FeedbackNoted: _feedback,
    r.SavedList: _saved,
    r.Explained: _explained,
    r.TasteShown: _taste,
    r.TasteReset: _taste_reset,
    r.RankingSet: _ranking,
    r.WarmUpKinds: _warmup,
    r.KindsPicked: _kinds_picked,
    r.ClubBallot: _club,
    r.VoteNoted: lambda reply, page: Message(escape(reply.message), ephemeral=reply.ephemeral),
    r.FeedLink: _feed_link,
}


def render(reply: r.Reply, page: int = 0) -> Message:
    """The Discord message for any reply, chosen by its type; `page` picks a page of paged replies."""
    message = RENDERERS[type(reply)](reply, page)
    message.content = fit(message.content, CONTENT, lambda text: text)  # already escaped; a last guard
    return message
