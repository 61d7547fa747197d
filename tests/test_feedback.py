"""Feedback in a channel: like, dislike, save, saved and forget, per person, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.chat import replies as r
from bot.domain import Actor, ChannelRef, Paper
from bot.feedback.signals import paper_named, saved_papers
from storage.uow import UnitOfWork
from tests.chat import Chat

GO_EXPLORE = Paper("Go-Explore: a New Approach for Hard-Exploration Problems", "Sparse rewards.", "1901.10995")
DREAMER = Paper("Mastering Diverse Domains through World Models", "A world model learns.", "2301.04104")


@pytest.fixture
def lab(app: App) -> Chat:
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge([GO_EXPLORE, DREAMER])
        uow.commit()
    return Chat(app)


def other(chat: Chat, actor: str = "ben") -> Chat:
    return Chat(chat.app, chat.channel, Actor(f"U-{actor}", actor))


def test_a_like_is_noted_once_however_often_it_is_clicked(lab: Chat) -> None:
    answer = lab.say("/papers like 1901.10995")
    assert answer.startswith("Noted: more papers like “Go-Explore")
    assert "from 5 on (1 so far)" in answer
    assert lab.say("/papers like https://arxiv.org/abs/1901.10995v2").startswith("You had already liked “Go-Explore")
    assert "(2 so far)" in other(lab).say("/papers like arXiv:1901.10995")
    with UnitOfWork(lab.app.engine) as uow:
        assert uow.feedback.votes(str(lab.channel)) == {"1901.10995": 2}


def test_a_dislike_replaces_the_same_persons_like_and_forget_undoes_it(lab: Chat) -> None:
    lab.say("/papers like 1901.10995")
    other(lab).say("/papers dislike 1901.10995")
    reply = lab.reply("/papers dislike 1901.10995")
    assert isinstance(reply, r.FeedbackNoted) and reply.changed and reply.ephemeral
    with UnitOfWork(lab.app.engine) as uow:
        assert uow.feedback.votes(str(lab.channel)) == {"1901.10995": -2}
    assert lab.say("/papers forget 1901.10995").startswith("Forgot what you said about “Go-Explore")
    assert lab.say("/papers forget 1901.10995").startswith("You had said nothing about")
    with UnitOfWork(lab.app.engine) as uow:
        assert uow.feedback.votes(str(lab.channel)) == {"1901.10995": -1}


def test_feedback_belongs_to_its_channel(lab: Chat) -> None:
    lab.say("/papers like 1901.10995")
    elsewhere = Chat(lab.app, ChannelRef("terminal", "local", "other"))
    assert "(1 so far)" in elsewhere.say("/papers dislike 2301.04104")
    with UnitOfWork(lab.app.engine) as uow:
        assert uow.feedback.signals([str(lab.channel), str(elsewhere.channel), "terminal:none"]) == {
            str(lab.channel): 1,
            str(elsewhere.channel): 1,
        }


def test_saved_lists_the_channels_saved_papers_newest_first(lab: Chat) -> None:
    assert "saved no papers yet" in lab.say("/papers saved")
    assert lab.say("/papers save 1901.10995").startswith("Saved “Go-Explore")
    other(lab).say("/papers save 2301.04104")
    other(lab, "cy").say("/papers save 1901.10995")  # saved again by someone else: still one entry
    reply = lab.reply("/papers saved")
    assert isinstance(reply, r.SavedList)
    assert [(p.arxiv_id, who) for p, _, who in reply.papers] == [("2301.04104", "U-ben"), ("1901.10995", "U1")]
    answer = lab.say("/papers saved")
    assert answer.index("Mastering Diverse Domains") < answer.index("Go-Explore") and "saved by U-ben" in answer
    lab.say("/papers forget 1901.10995")
    with UnitOfWork(lab.app.engine) as uow:  # cy's save stays (forget undoes only your own), and is now its date
        assert [(p.arxiv_id, who) for p, _, who in saved_papers(uow, lab.channel)] == [
            ("1901.10995", "U-cy"),
            ("2301.04104", "U-ben"),
        ]


def test_saving_does_not_count_as_a_like(lab: Chat) -> None:
    lab.say("/papers save 1901.10995")
    with UnitOfWork(lab.app.engine) as uow:
        assert uow.feedback.votes(str(lab.channel)) == {}
        assert uow.feedback.mine(str(lab.channel), "1901.10995", "U1") == {"save"}


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/papers like", "`like` needs a paper's arXiv id or link"),
        ("/papers dislike go explore", "Name the paper by its arXiv id or link"),
        ("/papers save 2401.99999", "I have no paper `2401.99999`"),
        ("/papers saved please", "`saved` takes no arguments"),
    ],
)
def test_bad_feedback_gets_one_sentence_and_the_usage(lab: Chat, typed: str, said: str) -> None:
    answer = lab.say(typed)
    assert said in answer
    assert "Usage: /papers " + typed.split()[1] in answer


def test_help_lists_the_feedback_commands(lab: Chat) -> None:
    answer = lab.say("/papers help")
    for command in ("like", "dislike", "save", "saved", "forget"):
        assert f"/papers {command} " in answer + " "


def test_papers_are_named_by_id_link_or_key() -> None:
    assert paper_named("https://huggingface.co/papers/2401.12345") == "2401.12345"
    assert paper_named("<https://arxiv.org/pdf/2401.12345v3.pdf|pdf>") == "2401.12345"
    assert paper_named("title:go explore") == "title:go explore"
    assert paper_named("go explore") is None


def test_feedback_rows_keep_when_they_were_given(lab: Chat) -> None:
    with UnitOfWork(lab.app.engine) as uow:
        moment = datetime(2026, 6, 1, tzinfo=UTC)
        assert uow.feedback.give("terminal:x", "1901.10995", "U9", "save", moment)
        assert not uow.feedback.give("terminal:x", "1901.10995", "U9", "save", moment)
        uow.commit()
        assert uow.feedback.saved("terminal:x")[0][1].replace(tzinfo=UTC) == moment
