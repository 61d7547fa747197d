"""The App Home tab (each section drawn by its own function) and the subscribe modal with its dry-run preview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.slack.render import MAX_BUTTON, MAX_SECTION, fit, paper_text, text
from adapters.slack.replies import code, context, header, section
from bot.chat import replies as r
from bot.chat.home import ChannelFollows, Home, query_check
from bot.domain import Match

Block = dict[str, Any]

SUBSCRIBE_MODAL = "papers_subscribe"  # the modal's callback_id
OPEN_SUBSCRIBE = "papers_open_subscribe"  # action ids of the Home tab's controls and the modal's query input
UNSUBSCRIBE = "papers_unsubscribe"
QUERY = "papers_query"
CHANNEL = "papers_channel"
MAX_OPTION = 75  # an option's text
MAX_PLACEHOLDER = 150
MAX_SAVED = 10


def plain(words: str, limit: int = MAX_BUTTON) -> dict[str, Any]:
    # plain_text shows `<!channel>` as those characters and never pings: a query goes in as typed, only cut.
    return {"type": "plain_text", "text": words[:limit], "emoji": True}


def option_value(follows: ChannelFollows, number: int, query: str) -> str:
    """`C1 3 crc`: the channel, the query's number in /papers list, and a check that it is still that query."""
    return f"{follows.channel.channel} {number} {query_check(query)}"


def _saved(home: Home) -> list[Block]:
    """The person's saved papers; nothing at all while there is no saved-papers store."""
    if not home.saved:
        return []
    blocks: list[Block] = [header("Saved papers")]
    for paper in home.saved[:MAX_SAVED]:
        blocks.append(section(paper_text(Match(paper, 0.0, ()), compact=True)))
    return blocks


def _channel(follows: ChannelFollows, may_change: bool) -> list[Block]:
    queries = ", ".join(code(q) for q in follows.queries) or "nothing yet"
    paused = f"\n:pause_button: paused: {text(follows.paused, 300)}" if follows.paused else ""
    about = f"<#{follows.channel.channel}> follows {queries}{paused}"
    blocks: list[Block] = [
        section(fit(about, MAX_SECTION)),
        context(f"Posts {text(follows.schedule.describe())}."),
    ]
    if may_change:
        elements: list[Block] = [
            {
                "type": "button",
                "action_id": OPEN_SUBSCRIBE,
                "text": plain("Subscribe…"),
                "value": follows.channel.channel,
            }
        ]
        if follows.queries:
            options = [
                {"text": plain(" ".join(q.split()), MAX_OPTION), "value": option_value(follows, i, q)}
                for i, q in enumerate(follows.queries, 1)
            ]
            elements.append(
                {
                    "type": "static_select",
                    "action_id": UNSUBSCRIBE,
                    "placeholder": plain("Unsubscribe…"),
                    "options": options,
                }
            )
        blocks.append({"type": "actions", "block_id": f"channel-{follows.channel.channel}", "elements": elements})
    return blocks


def _channels(home: Home) -> list[Block]:
    """The workspace's channels with what each follows, and (for those who may change them) the controls."""
    blocks: list[Block] = [header("Channels")]
    if home.may_change:
        blocks.append(
            {
                "type": "actions",
                "block_id": "subscribe-any",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OPEN_SUBSCRIBE,
                        "style": "primary",
                        "text": plain("Subscribe a channel…"),
                    }
                ],
            }
        )
    else:
        blocks.append(
            context("Only workspace admins and the people the bot's operator listed may change channels' papers.")
        )
    if not home.channels:
        return [
            *blocks,
            section("No channel follows anything yet. Try `/papers subscribe reinforcement-learning` in one."),
        ]
    for follows in home.channels:
        blocks += [{"type": "divider"}, *_channel(follows, home.may_change)]
    if home.more_channels:
        blocks.append(context(f"and {home.more_channels} more channels: `/papers list` in each shows what it follows."))
    return blocks


def _own(home: Home) -> list[Block]:
    """The person's own feed, delivered by direct message; changed with `/papers ... for me`."""
    if home.own is None:
        return []
    queries = ", ".join(code(q) for q in home.own.queries)
    paused = f"\n:pause_button: paused: {text(home.own.paused, 300)}" if home.own.paused else ""
    return [
        header("Your own feed"),
        section(fit(f"You follow {queries}{paused}", MAX_SECTION)),
        context(f"Posts to you {text(home.own.schedule.describe())}. Change it with `/papers subscribe ... for me`."),
    ]


# Home's sections, top to bottom: one function each, drawing nothing when it has nothing to show.
HOME_SECTIONS: tuple[Callable[[Home], list[Block]], ...] = (_own, _saved, _channels)


def home_view(home: Home, notice: str | None = None) -> dict[str, Any]:
    """The tab; `notice` (one sentence: why a change was refused) on top."""
    blocks = [section(":warning: " + text(notice))] if notice else []
    blocks.append(
        section("*papers-bot* brings new research papers into your channels. `/papers help` lists the commands.")
    )
    for draw in HOME_SECTIONS:
        blocks += draw(home)
    return {"type": "home", "blocks": blocks[:100]}


def _preview(run: r.DryRun | r.Problem | None) -> list[Block]:
    if run is None:
        return [context("Press Enter in the query to see what it would have brought over the last days.")]
    if isinstance(run, r.Problem):
        return [section(":warning: " + text(run.message))]
    blocks = [
        section(f"{code(run.query)}: {text(run.understood, 500)}"),
        context(run.estimate()),
    ]
    if run.warning:
        blocks.append(section(":bulb: " + text(run.warning)))
    for match in run.top:
        blocks += [{"type": "divider"}, section(paper_text(match, compact=True))]
    return blocks


def subscribe_modal(channel: str, query: str = "", run: r.DryRun | r.Problem | None = None) -> dict[str, Any]:
    """The subscribe form: a channel, a query (Enter previews it), and the preview of what it would bring."""
    picker: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": CHANNEL,
        "placeholder": plain("A channel", MAX_PLACEHOLDER),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel:
        picker["initial_conversation"] = channel
    field: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": QUERY,
        "placeholder": plain('reinforcement-learning, "world model" -survey, cat:cs.RO', MAX_PLACEHOLDER),
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        "max_length": 400,
    }
    if query:
        field["initial_value"] = query[:400]
    return {
        "type": "modal",
        "callback_id": SUBSCRIBE_MODAL,
        "title": plain("Subscribe a channel", 24),
        "submit": plain("Subscribe", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "input", "block_id": CHANNEL, "label": plain("Channel", 2000), "element": picker},
            {
                "type": "input",
                "block_id": QUERY,
                "dispatch_action": True,
                "label": plain("Query", 2000),
                "hint": plain('A topic slug, "a phrase", cat:cs.LG, author:"Name"; -word excludes.', 2000),
                "element": field,
            },
            *_preview(run),
        ],
    }


def modal_values(view: dict[str, Any]) -> tuple[str, str]:
    """(channel id, query) as the person left them in the modal."""
    values = (view.get("state") or {}).get("values") or {}
    channel = (values.get(CHANNEL) or {}).get(CHANNEL) or {}
    query = (values.get(QUERY) or {}).get(QUERY) or {}
    return str(channel.get("selected_conversation") or ""), str(query.get("value") or "").strip()
