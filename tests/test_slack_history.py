"""Confirming Slack posts after a crash or a 5xx under the history limits, also in channels the bot never joined."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from adapters.slack.sender import SlackSender, _recorded_at, make_client
from bot.delivery.passes import deliver_due
from bot.delivery.senders import MARK_EVENT
from bot.domain import ChannelRef, Digest, Match
from storage.uow import UnitOfWork
from tests.slack_server import TOKEN, SlackServer, SlackState
from tests.test_deliver_crash import digest
from tests.test_delivery import at, build, channel_row, deliveries, paper, setup

LAB = ChannelRef("slack", "T1", "C1")
WANTS = {str(LAB): [0, 1]}


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    # A new install of an app outside the Marketplace: 15 messages a call, one call a "minute" (here 1 s).
    with SlackServer(SlackState(retry_after=0).outside_marketplace(every=1.0, retry_after=1)) as server:
        yield server


def sender_for(server: SlackServer, engine: Engine) -> SlackSender:
    client = make_client(TOKEN, server.url)
    return SlackSender(lambda _team: client, backoff=0.01, recorded_at=_recorded_at(engine))


def deliver(engine: Engine, sender: SlackSender, minute: int = 0) -> str:
    report = deliver_due(engine, WANTS, {"slack": sender}, at(0, 9, minute), build=build)
    return report.details[0] if report.details else report.summary()


def history_calls(slack: SlackServer) -> list[dict[str, object]]:
    with slack.state.lock:
        return [params for name, params in slack.state.calls if name == "conversations.history"]


def posted_then_crashed(engine: Engine, sender: SlackSender) -> str:
    """A digest recorded and posted, whose process died before it wrote down that it was sent."""
    setup(engine, LAB, range(2))
    with UnitOfWork(engine) as uow:
        delivery = uow.outbox.record(
            LAB, "mark-crash", "2 new papers for you", [(paper(n).key, 1.0, ()) for n in range(2)]
        )
        uow.commit()
        papers = [uow.papers.get(paper(n).key) for n in range(2)]
    digest = Digest(LAB, tuple(Match(p, 1.0, ()) for p in papers if p), 0, "2 new papers for you")
    sender.send(LAB, digest, "mark-crash")
    assert delivery
    return "mark-crash"


def test_after_a_crash_the_post_is_found_behind_twenty_messages_without_posting_again(
    engine: Engine, slack: SlackServer
) -> None:
    sender = sender_for(slack, engine)
    posted_then_crashed(engine, sender)
    for n in range(20):  # the channel talks on meanwhile
        slack.state.messages["C1"].append({"type": "message", "ts": f"{9e9 + n:.6f}", "text": f"chatter {n}"})

    assert "resent 1" in deliver(engine, sender)
    assert slack.state.count("chat.postMessage") == 1  # confirmed from history, not posted again
    calls = history_calls(slack)
    assert 1 <= len(calls) <= 3 and all(int(str(c["limit"])) <= 15 and c.get("oldest") for c in calls)
    assert [d.status for d in deliveries(engine)] == ["sent"]


def test_a_history_limit_longer_than_a_wait_leaves_the_check_for_a_later_pass(
    engine: Engine, slack: SlackServer
) -> None:
    sender = sender_for(slack, engine)
    posted_then_crashed(engine, sender)
    slack.state.history_retry_after = 60  # Slack's real minute: too long to hold a delivery worker
    slack.state.history_last["conversations.history"] = 9e18  # as if the minute had just begun
    detail = deliver(engine, sender)
    assert "ratelimited" in detail or "429" in detail
    [pending] = deliveries(engine)
    assert pending.status == "pending" and pending.next_attempt_at is not None
    assert channel_row(engine, LAB).paused_reason is None
    assert slack.state.count("chat.postMessage") == 1


def test_a_503_in_a_public_channel_the_bot_never_joined_is_checked_by_joining_not_by_pausing(
    engine: Engine, slack: SlackServer
) -> None:
    setup(engine, LAB, range(2))
    slack.state.public.add("C1")  # chat:write.public: posting works, reading history does not
    slack.state.lost_answers = 1  # the post lands, then Slack answers 503
    detail = deliver(engine, sender_for(slack, engine))
    assert channel_row(engine, LAB).paused_reason is None, detail
    assert slack.state.count("conversations.join") == 1
    assert sorted(slack.state.posted_keys().values()) == [1, 1]  # found after joining, not posted twice
    assert [d.status for d in deliveries(engine)] == ["sent"]


def test_a_join_that_fails_for_a_moment_leaves_the_check_for_later_instead_of_posting_twice(
    engine: Engine, slack: SlackServer
) -> None:
    setup(engine, LAB, range(2))
    slack.state.public.add("C1")
    slack.state.lost_answers = 1  # the post lands, then Slack answers 503
    slack.state.script += [("conversations.join", 503, "service_unavailable")]  # and joining to look fails once

    deliver(engine, sender_for(slack, engine))

    assert sorted(slack.state.posted_keys().values()) == [1, 1]  # found after joining, never posted twice
    assert slack.state.count("conversations.join") == 2  # the passing failure was tried again, not taken as a no
    assert [d.status for d in deliveries(engine)] == ["sent"]


def test_where_the_bot_may_not_join_a_503_still_never_pauses(engine: Engine, slack: SlackServer) -> None:
    setup(engine, LAB, range(2))
    slack.state.public.add("C1")
    slack.state.unjoinable.add("C1")
    slack.state.script += [("chat.postMessage", 503, "service_unavailable")]  # refused before posting
    deliver(engine, sender_for(slack, engine))
    assert channel_row(engine, LAB).paused_reason is None
    assert [d.status for d in deliveries(engine)] == ["sent"]
    assert sum(slack.state.posted_keys().values()) == 2


@pytest.mark.parametrize("error", ["msg_blocks_too_long", "invalid_blocks"])
def test_blocks_slack_refuses_are_posted_as_text_not_retried(engine: Engine, slack: SlackServer, error: str) -> None:
    setup(engine, LAB, range(2))
    slack.state.script += [("chat.postMessage", 200, error)]
    deliver(engine, sender_for(slack, engine))
    [message] = slack.state.messages["C1"]
    assert message["blocks"] is None and "Paper number 0" in message["text"]
    assert message["metadata"]["event_payload"]["mark"]  # still recognisable after a crash
    assert [d.status for d in deliveries(engine)] == ["sent"]


def test_a_request_slack_refuses_is_recorded_with_its_reason_not_retried_for_ever(
    engine: Engine, slack: SlackServer
) -> None:
    setup(engine, LAB, range(2))
    slack.state.script += [("chat.postMessage", 200, "invalid_arguments")]
    detail = deliver(engine, sender_for(slack, engine))
    assert "invalid_arguments" in detail
    assert channel_row(engine, LAB).paused_reason == "Slack refused the post: invalid_arguments"
    assert slack.state.count("chat.postMessage") == 1


def test_a_reply_whose_answer_was_lost_is_looked_for_in_its_thread_however_old_the_parent(slack: SlackServer) -> None:
    client = make_client(TOKEN, slack.url)
    sender = SlackSender(lambda _team: client, backoff=0.01)
    began = time.time() - 600  # a post cut short by a crash ten minutes ago: only its parent made it
    slack.state.messages["C1"] = [
        {
            "type": "message",
            "ts": f"{began:.6f}",
            "text": "9 new papers",
            "metadata": {
                "event_type": MARK_EVENT,
                "event_payload": {"mark": "mark-old", "part": 0, "parts": 4, "papers": []},
            },
        }
    ]
    slack.state.lost_answers = 1  # the first reply lands, then Slack answers 503
    ids = sender.resume(LAB, digest(9), "mark-old")
    assert ids[0] == f"{began:.6f}" and len(ids) == 4
    assert sorted(slack.state.posted_keys().values()) == [1] * 9
