"""`/papers export` and `/papers import`: a channel's subscriptions and schedules as a file, and back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.limits import MAX_IMPORT_LINES, MAX_SUBSCRIPTIONS
from bot.chat.transfer import export_lines, import_lines
from bot.domain import Actor, ChannelRef
from bot.errors import BadCommand, LimitReached
from storage.channels import schedule_of

if TYPE_CHECKING:
    from bot.chat.service import Service

_FILE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def export(service: Service, channel: ChannelRef, actor: Actor, command: c.Export) -> r.Reply:
    lines = list(export_lines(service.engine, [channel]))
    name = _FILE_NAME.sub("-", f"papers-{channel.platform}-{channel.channel}")[:80]
    return r.ExportFile(f"{name}.jsonl", "".join(line + "\n" for line in lines), len(lines))


def import_file(service: Service, channel: ChannelRef, actor: Actor, command: c.Import) -> r.Reply:
    if not command.lines:
        raise BadCommand(
            "Send the file /papers export gave with the word import: attach it to the command, "
            "or to a message that mentions the bot.",
            usage="import",
        )
    if len(command.lines) > MAX_IMPORT_LINES:
        raise LimitReached(
            f"That file has {len(command.lines):,} lines; a channel's export has at most {MAX_SUBSCRIPTIONS}.",
            usage="import",
        )
    report = import_lines(
        service.engine, service.taxonomy, command.lines, actor.name, service.default_schedule, into=channel
    )
    with service.uow() as uow:
        schedule = uow.channels.schedule(channel) if report.schedules else None
        best = uow.channels.get(channel.weekly_best()) if report.schedules else None
    weekly = schedule_of(best) if best is not None and best.cadence != "off" else None
    return r.Imported(report.added, report.already, schedule, tuple(report.refused), actor.name, weekly)
