"""`/papers export` and `/papers import` in chat: one channel's lines out, into another channel, on both databases."""

from __future__ import annotations

import json

from adapters.terminal.render import render
from bot.chat import commands as c
from bot.chat import replies as r
from bot.domain import Actor, ChannelRef
from tests.chat import Chat


def test_export_then_import_into_another_channel_gives_the_same_subscriptions(chat: Chat) -> None:
    chat.say("subscribe reinforcement-learning -survey")
    chat.say('subscribe author:"Sergey Levine"')
    chat.say("schedule 07:30 Europe/Berlin weekly friday")
    exported = chat.reply("export")
    assert (
        isinstance(exported, r.ExportFile) and exported.count == 2 and exported.filename == "papers-terminal-lab.jsonl"
    )
    assert [json.loads(line)["channel"] for line in exported.content.splitlines()] == ["terminal:lab"] * 2

    other = Chat(chat.app, ChannelRef("terminal", "local", "reading-group"))
    done = other.app.service.run(other.channel, other.actor, c.Import(tuple(exported.content.splitlines())))
    assert isinstance(done, r.Imported) and (done.added, done.already, done.refused) == (2, 0, ())
    assert other.say("list").replace("reading-group", "lab") == chat.say("list")
    assert chat.app.service.run(
        other.channel, other.actor, c.Import(tuple(exported.content.splitlines()))
    ) == r.Imported(0, 2, None, (), "ana")  # the same file again changes nothing


def test_an_import_only_ever_changes_the_channel_it_is_typed_in(chat: Chat) -> None:
    line = '{"channel": "slack:T1:C1", "query": "robotics"}'
    assert "1 subscription added" in chat.say(f"import {line}")  # on the terminal the lines may follow the word
    with chat.app.service.uow() as uow:
        assert uow.subscriptions.for_channel(ChannelRef("slack", "T1", "C1")) == []
    assert "1. robotics" in chat.say("list")


def test_bad_lines_are_refused_by_number_and_the_rest_goes_in(chat: Chat) -> None:
    lines = (
        '{"query": "robotics"}',
        "nope",
        '{"query": "reinforcment-learning"}',
        '{"query": "x", "schedule": "25:00"}',
    )
    done = chat.app.service.run(chat.channel, chat.actor, c.Import(lines))
    assert isinstance(done, r.Imported) and done.added == 1
    assert [number for number, _ in done.refused] == [2, 3, 4]
    assert "Did you mean reinforcement-learning" in done.refused[1][1]


NESTED = "[" * 100_000  # deeper than Python recurses: json.loads raises RecursionError, not ValueError


def test_a_line_nested_too_deep_is_refused_alone_by_its_number(chat: Chat) -> None:
    lines = ('{"query": "robotics"}', NESTED, '{"query": "reinforcement-learning"}')
    done = chat.app.service.run(chat.channel, chat.actor, c.Import(lines))
    assert isinstance(done, r.Imported) and done.added == 2
    assert done.refused == ((2, "This line is not JSON; write one object a line."),)
    assert "line 2: This line is not JSON" in render(done) and "2 subscriptions added" in render(done)


def test_import_needs_lines_may_not_be_huge_and_is_a_change(chat: Chat) -> None:
    assert "attach it to the command" in chat.say("import")
    huge = chat.app.service.run(chat.channel, chat.actor, c.Import(('{"query": "robotics"}',) * 201))
    assert isinstance(huge, r.Problem) and "201 lines" in huge.message
    visitor = Actor("U9", "vi", is_admin=False)
    refused = chat.app.service.run(chat.channel, visitor, c.Import(('{"query": "robotics"}',)))
    assert isinstance(refused, r.Problem) and "Only workspace admins" in refused.message


def test_an_empty_channel_has_nothing_to_export(chat: Chat) -> None:
    assert chat.say("export") == "This channel has no subscriptions to export."
