"""Subscriptions in and out as JSON Lines: `{"channel": ..., "query": ..., "schedule": "09:00 UTC weekdays"}`.

Export writes one subscription a line with its channel's schedule in the words `/papers schedule`
takes, and the week's best's when the channel has one (`"weekly_best": "17:00 UTC weekly friday"`;
with `top only` the regular schedule says `off`). Import checks every line with the grammar chat uses; a bad line is refused with its number
and one sentence, the rest goes in; importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from bot.chat.limits import MAX_SUBSCRIPTIONS
from bot.delivery.schedule_words import parse_schedule, parse_weekly_best, schedule_words
from bot.domain import WEEKLY_BEST, ChannelRef, Schedule
from bot.errors import BadInput, PapersError
from bot.relevance.query import Query, parse_query
from bot.relevance.topics import Taxonomy
from bot.wording import plural
from storage.uow import UnitOfWork

BATCH = 20_000  # lines written per transaction
WeeklyBest = tuple[Schedule | None, bool]  # the week's best's schedule (None: off), and whether it is `only`


def export_lines(engine: Engine, channels: Iterable[ChannelRef] = ()) -> Iterator[str]:
    """One JSON object a line, by channel and in the order each channel subscribed."""
    refs = [str(channel) for channel in channels] or None
    with UnitOfWork(engine) as uow:
        followed = uow.bulk.followed(refs)
    for item in followed:
        line: dict[str, str] = {"channel": item.channel, "query": item.query}
        if item.schedule is not None:
            line["schedule"] = schedule_words(item.schedule)
        if item.weekly_best is not None:
            line["weekly_best"] = schedule_words(item.weekly_best)
        yield json.dumps(line, ensure_ascii=False)


@dataclass
class ImportReport:
    """What an import did: subscriptions added, already there, schedules set, and each refused line."""

    added: int = 0
    already: int = 0
    schedules: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.added:,} added, {self.already:,} already there, {plural(self.schedules, 'schedule')} set, "
            f"{plural(len(self.refused), 'line')} refused"
        )


@dataclass(frozen=True)
class _Line:
    number: int
    channel: str
    query: Query
    schedule: Schedule | None
    weekly_best: WeeklyBest | None = None  # absent: the line leaves the week's best as it is


class _Reader:
    """Checks lines as chat would, each distinct query and schedule parsed once."""

    def __init__(self, taxonomy: Taxonomy, into: ChannelRef | None = None) -> None:
        self.taxonomy = taxonomy
        self.into = str(into) if into else None
        self.queries: dict[str, Query | PapersError] = {}
        self.schedules: dict[str, Schedule | PapersError] = {}
        self.weekly: dict[str, WeeklyBest | PapersError] = {}

    def read(self, number: int, text: str) -> _Line:
        try:
            record = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: `[[[[...` nested deeper than Python recurses
            raise BadInput("This line is not JSON; write one object a line.") from None
        if not isinstance(record, dict):
            raise BadInput('This line is not a JSON object like {"channel": ..., "query": ...}.')
        channel, query, schedule = record.get("channel"), record.get("query"), record.get("schedule")
        best = record.get("weekly_best")
        channel = self.into or channel  # a chat import lands in the channel it was typed in, whatever the file says
        if not isinstance(channel, str) or not isinstance(query, str):
            raise BadInput('A line needs "channel" and "query", both as text.')
        if schedule is not None and not isinstance(schedule, str):
            raise BadInput('"schedule" must be text, like "09:00 Europe/Berlin weekdays".')
        if best is not None and not isinstance(best, str):
            raise BadInput('"weekly_best" must be text, like "17:00 Europe/Berlin weekly friday".')
        ref = str(ChannelRef.parse(channel))
        return _Line(
            number,
            ref,
            self._parsed(self.queries, query, lambda: parse_query(query, self.taxonomy)),
            None if schedule is None else self._parsed(self.schedules, schedule, lambda: parse_schedule(schedule)),
            None if best is None else self._parsed(self.weekly, best, lambda: parse_weekly_best(best)),
        )

    @staticmethod
    def _parsed(cache: dict, text: str, parse):
        if text not in cache:
            try:
                cache[text] = parse()
            except PapersError as error:
                cache[text] = error
        found = cache[text]
        if isinstance(found, PapersError):
            raise found
        return found


def import_lines(
    engine: Engine,
    taxonomy: Taxonomy,
    lines: Iterable[str],
    actor: str = "import",
    default_schedule: Schedule | None = None,
    into: ChannelRef | None = None,
) -> ImportReport:
    """Check and store every line; the report says what happened to each. With `into`, every line
    goes to that one channel (a chat import), whichever channel the file names."""
    report = ImportReport()
    reader = _Reader(taxonomy, into)
    batch: list[_Line] = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            batch.append(reader.read(number, text))
        except PapersError as error:
            report.refused.append((number, error.message))
        if len(batch) >= BATCH:
            _store(engine, batch, report, actor, default_schedule)
            batch = []
    _store(engine, batch, report, actor, default_schedule)
    report.refused.sort()
    return report


def _store(engine: Engine, batch: list[_Line], report: ImportReport, actor: str, default: Schedule | None) -> None:
    if not batch:
        return
    with UnitOfWork(engine, default) as uow:
        # The lock subscribe takes, before counting: two imports (or an import and a subscribe) at once would
        # each count the channel as it was before the other wrote, and together pass MAX_SUBSCRIPTIONS.
        uow.bulk.lock({line.channel for line in batch})
        following = {ref: set(texts) for ref, texts in uow.bulk.queries_of({line.channel for line in batch}).items()}
        stored = uow.bulk.schedules_of(
            {line.channel for line in batch if line.schedule is not None or line.weekly_best is not None}
            | {line.channel + WEEKLY_BEST for line in batch if line.weekly_best is not None}
        )
        new: list[tuple[str, str, int]] = []
        schedules: dict[str, Schedule] = {}
        for line in batch:
            texts = following.setdefault(line.channel, set())
            if line.query.text in texts:
                report.already += 1
            elif len(texts) >= MAX_SUBSCRIPTIONS:
                report.refused.append(
                    (
                        line.number,
                        f"{line.channel} already has {MAX_SUBSCRIPTIONS} subscriptions, the most a channel can have.",
                    )
                )
                continue
            else:
                texts.add(line.query.text)
                new.append((line.channel, line.query.text, line.query.min_upvotes))
            if line.schedule is not None and stored.get(line.channel) != line.schedule:
                schedules[line.channel] = stored[line.channel] = line.schedule
            if line.weekly_best is not None:
                _weekly_best(line.channel, line.weekly_best, stored, schedules, default or Schedule())
        uow.bulk.add(new, actor)
        uow.bulk.set_schedules(schedules)
        uow.commit()
    report.added += len(new)
    report.schedules += len(schedules)


def _weekly_best(
    channel: str, best: WeeklyBest, stored: dict[str, Schedule], changed: dict[str, Schedule], default: Schedule
) -> None:
    """A line's week's best into the schedules to write: its feed (`.../top`) on or off, and with `only` the
    channel's regular post off, as `/papers schedule ... top [only|off]` would."""
    schedule, only = best
    feed = channel + WEEKLY_BEST
    if schedule is None:  # off: a feed that never had one gets no row only to say so
        if feed in stored and stored[feed].cadence != "off":
            changed[feed] = stored[feed] = replace(stored[feed], cadence="off")
        return
    if stored.get(feed) != schedule:
        changed[feed] = stored[feed] = schedule
    regular = stored.get(channel, default)
    if only and regular.cadence != "off":
        changed[channel] = stored[channel] = replace(regular, cadence="off")


__all__ = ["ImportReport", "export_lines", "import_lines"]
