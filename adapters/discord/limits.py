"""Discord's limits for one message, checked before anything is sent: what is over is cut, never sent to be refused.

Discord answers a message over any of these with 400 (code 50035, Invalid Form Body), and the
same payload is refused every time: so every answer and every digest post passes `fit_message`.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import discord

from adapters.discord.render import Message, fit

CONTENT, EMBEDS, TOTAL = 2000, 10, 6000
TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER, AUTHOR = 256, 4096, 25, 256, 1024, 2048, 256
CUSTOM_ID, LABEL, ROWS, PER_ROW = 100, 80, 5, 5


def _cut(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else fit(text, limit, lambda t: t)


def problems(message: Message, view: discord.ui.View | None = None) -> list[str]:
    """Every way the message breaks Discord's limits; empty when Discord will take it."""
    found = [f"content of {len(message.content)}"] if len(message.content) > CONTENT else []
    if len(message.embeds) > EMBEDS:
        found.append(f"{len(message.embeds)} embeds")
    for i, embed in enumerate(message.embeds):
        for what, text, limit in _texts(embed):
            if len(text or "") > limit:
                found.append(f"embed {i} {what} of {len(text or '')}, over {limit}")
        if len(embed.fields) > FIELDS:
            found.append(f"embed {i} has {len(embed.fields)} fields")
    if sum(len(e) for e in message.embeds) > TOTAL:
        found.append(f"embeds of {sum(len(e) for e in message.embeds)} characters in all, over {TOTAL}")
    for item in view.children if view else []:
        if len(getattr(item, "custom_id", None) or "") > CUSTOM_ID or len(getattr(item, "label", None) or "") > LABEL:
            found.append(f"component {getattr(item, 'custom_id', '?')!r} over its limits")
    return found


def _texts(embed: discord.Embed) -> list[tuple[str, str | None, int]]:
    texts = [
        ("title", embed.title, TITLE),
        ("description", embed.description, DESCRIPTION),
        ("footer", embed.footer.text, FOOTER),
        ("author", embed.author.name, AUTHOR),
    ]
    for field in embed.fields:
        texts += [("field name", field.name, FIELD_NAME), ("field value", field.value, FIELD_VALUE)]
    return texts


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """A copy of `embed` with every part within its own limit (25 fields at most)."""
    embed = copy.deepcopy(embed)
    embed.title, embed.description = _cut(embed.title, TITLE), _cut(embed.description, DESCRIPTION)
    for _ in range(len(embed.fields) - FIELDS):
        embed.remove_field(FIELDS)
    for i, field in enumerate(embed.fields):
        embed.set_field_at(
            i,
            name=_cut(field.name, FIELD_NAME) or "\u200b",
            value=_cut(field.value, FIELD_VALUE) or "\u200b",
            inline=bool(field.inline),
        )
    if embed.footer.text and len(embed.footer.text) > FOOTER:
        embed.set_footer(text=_cut(embed.footer.text, FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name and len(embed.author.name) > AUTHOR:
        embed.set_author(
            name=_cut(embed.author.name, AUTHOR) or "", url=embed.author.url, icon_url=embed.author.icon_url
        )
    return embed


def _shrink(embeds: list[discord.Embed]) -> None:
    """Take from the longest embed until all of them hold 6,000 characters: its description, then its last field."""
    while embeds and sum(len(e) for e in embeds) > TOTAL:
        over = sum(len(e) for e in embeds) - TOTAL
        longest = max(embeds, key=len)
        if longest.description:
            keep = max(0, len(longest.description) - over - 1)
            longest.description = fit(longest.description, keep, lambda t: t) if keep > 1 else None
        elif longest.fields:
            longest.remove_field(len(longest.fields) - 1)
        else:
            embeds.remove(longest)


def fit_message(message: Message, view: discord.ui.View | None = None) -> Message:
    """The message within Discord's limits (a copy; a view's over-long labels are cut in place).

    A custom_id over 100 characters cannot be cut without breaking the button, so it raises.
    """
    embeds = [fit_embed(e) for e in message.embeds[:EMBEDS]]
    _shrink(embeds)
    for item in view.children if view else []:
        if len(getattr(item, "custom_id", None) or "") > CUSTOM_ID:
            raise ValueError(f"custom_id {item.custom_id!r} is over Discord's {CUSTOM_ID} characters")  # type: ignore[attr-defined]
        if isinstance(item, discord.ui.Button) and item.label and len(item.label) > LABEL:
            item.label = item.label[: LABEL - 1] + "…"
    content = _cut(message.content, CONTENT) or ""
    return replace(message, content=content, embeds=embeds)


def as_plain(message: Message) -> Message:
    """The words of the message without embeds: what is posted when Discord refuses the embeds themselves."""
    lines = [message.content] if message.content else []
    for embed in message.embeds:
        lines += [f"**{embed.title}**" if embed.title else "", embed.url or ""]
        lines += [f"{field.name}: {field.value}" for field in embed.fields if field.name == "Links"]
    return Message(_cut("\n".join(line for line in lines if line), CONTENT) or "papers-bot", [], message.ephemeral)
