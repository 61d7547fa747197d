"""The journal club in the core: who may ask, the vote's rules, and the clock closing each club once, on both
databases (restarts, two clocks at once, a closing that died after announcing, a poll's count not yet final)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.app import App
from bot.club import rules
from bot.club.chat import posted, vote
from bot.club.closing import LEASE, Counted, close_due
from bot.club.replies import ClubBallot
from bot.delivery.senders import RecordingSender
from bot.domain import Actor, ChannelRef
from storage.engine import make_engine
from storage.tables import ClubRow
from storage.uow import UnitOfWork
from tests.chat import Chat

LAB = ChannelRef("slack", "T1", "C1")
ANA, BO, CY = Actor("U1", "ana"), Actor("U2", "bo"), Actor("U3", "cy")


def test_a_club_needs_subscriptions_a_channel_and_sensible_numbers(chat: Chat) -> None:
    assert chat.say("/papers club") == "This channel follows nothing yet, so there are no papers to vote on."
    chat.say("/papers subscribe reinforcement-learning")
    assert chat.say("/papers club 11") == (
        "A journal club votes on 2 to 10 papers, not 11.\nUsage: /papers club [papers 2-10] [hours 1-168]"
    )
    assert chat.say("/papers club 3 200").startswith("A vote lasts 1 to 168 hours, not 200.\nUsage: /papers club")
    assert chat.say("/papers club three").startswith("club takes a number of papers and a number of hours")
    chat.channel = ChannelRef.person("terminal", "local", "U1")  # a person's own feed: a direct message
    assert chat.say("/papers club") == "A journal club needs a channel to vote in, not a direct message."


def test_the_terminal_lists_the_candidates_and_says_it_holds_no_vote(chat: Chat) -> None:
    chat.say("/papers subscribe reinforcement-learning")
    shown = chat.say("/papers club 3")
    assert shown.startswith("Journal club: this week's top 3 papers\n\n1. ")
    assert "\n\n3. " in shown and "\n\n4. " not in shown
    assert shown.endswith(
        "A vote needs a Slack or Discord channel (a poll there, the winner announced when it closes); "
        "here, read the one you like."
    )


def test_a_second_click_moves_a_vote_and_the_same_paper_takes_it_back() -> None:
    votes, said = rules.cast({}, "U1", 0)
    assert (votes, said) == ({"U1": 0}, "You voted for paper 1.")
    votes, said = rules.cast(votes, "U1", 2)
    assert (votes, said) == ({"U1": 2}, "You moved your vote from paper 1 to paper 3.")
    votes, said = rules.cast(votes, "U1", 2)
    assert (votes, said) == ({}, "You took back your vote for paper 3.")


def test_the_winner_a_tie_and_no_votes_in_words() -> None:
    assert rules.outcome((1, 3, 0)).headline == "Journal club: paper 2 won with 3 votes of 4."
    tie = rules.outcome((2, 0, 2, 2))
    assert tie.winners == (0, 2, 3)
    assert tie.headline == "Journal club: a tie between papers 1, 3 and 4, 2 votes each (6 in all)."
    assert rules.outcome((0, 0)).headline == "Journal club: the vote closed with no votes, so there is no winner."


def opened(app: App, papers: int = 3, hours: int = 24) -> ClubBallot:
    """A club asked for in #lab and shown there (as the Slack adapter does once its message is posted)."""
    app.service.answer(LAB, ANA, "/papers subscribe reinforcement-learning")
    ballot = app.service.answer(LAB, ANA, f"/papers club {papers} {hours}")
    assert isinstance(ballot, ClubBallot), ballot
    assert posted(app.service, ballot.club_id, ["1700000000.000100"])
    return ballot


def closes_at(engine: Engine, club_id: int) -> datetime:
    with UnitOfWork(engine) as uow:
        row = uow.clubs.get(club_id)
        assert row is not None
        return row.closes_at


def club_row(engine: Engine, club_id: int) -> ClubRow:
    with UnitOfWork(engine) as uow:
        row = uow.clubs.get(club_id)
        assert row is not None
        return row


def test_the_clock_closes_a_club_once_and_announces_the_winner_with_its_card(app: App) -> None:
    ballot = opened(app)
    assert vote(app.service, LAB, ballot.club_id, ANA.id, 1).message == "You voted for paper 2."
    assert vote(app.service, LAB, ballot.club_id, BO.id, 1).ballot.counts == (0, 2, 0)  # type: ignore[union-attr]
    assert vote(app.service, LAB, ballot.club_id, CY.id, 0).ballot.counts == (1, 2, 0)  # type: ignore[union-attr]
    elsewhere = ChannelRef("slack", "T1", "C2")  # a button of #lab's vote cannot be pressed from another channel
    assert vote(app.service, elsewhere, ballot.club_id, CY.id, 2).message == "That vote is not known in this channel."
    sender, end = RecordingSender(), closes_at(app.engine, ballot.club_id)

    assert close_due(app.engine, {"slack": sender}, {}, end - timedelta(minutes=1)) == []  # not yet
    assert close_due(app.engine, {"slack": sender}, {}, end) == [ballot.club_id]
    assert close_due(app.engine, {"slack": sender}, {}, end + timedelta(hours=2)) == []  # once

    [announcement] = sender.messages
    assert announcement.title == "Journal club: paper 2 won with 2 votes of 3."
    assert announcement.paper_keys == (ballot.matches[1].paper.key,)  # the winner's card
    assert announcement.mark == f"club-{ballot.club_id}" and announcement.channel == str(LAB)
    row = club_row(app.engine, ballot.club_id)
    assert (row.status, row.outcome) == ("closed", announcement.title)
    assert vote(app.service, LAB, ballot.club_id, ANA.id, 0).message.startswith("That vote has closed")


def test_a_tie_is_announced_with_every_tied_paper(app: App) -> None:
    ballot = opened(app, papers=4)
    for person, choice in ((ANA, 0), (BO, 3), (CY, 2), (CY, 2)):  # cy takes hers back
        vote(app.service, LAB, ballot.club_id, person.id, choice)
    sender = RecordingSender()
    close_due(app.engine, {"slack": sender}, {}, closes_at(app.engine, ballot.club_id))
    [announcement] = sender.messages
    assert announcement.title == "Journal club: a tie between papers 1 and 4, 1 vote each (2 in all)."
    assert announcement.paper_keys == (ballot.matches[0].paper.key, ballot.matches[3].paper.key)


def test_a_restart_before_the_close_loses_nothing(app: App, database_url: str) -> None:
    ballot = opened(app)
    vote(app.service, LAB, ballot.club_id, BO.id, 2)
    app.engine.dispose()  # the process stops; another starts on the same database
    engine = make_engine(database_url)
    sender = RecordingSender()
    assert close_due(engine, {"slack": sender}, {}, closes_at(engine, ballot.club_id) + timedelta(days=3)) == [
        ballot.club_id
    ]
    assert [m.title for m in sender.messages] == ["Journal club: paper 3 won with 1 vote of 1."]
    engine.dispose()


def test_two_clocks_at_the_same_moment_close_it_once(app: App, database_url: str) -> None:
    ballot = opened(app)
    vote(app.service, LAB, ballot.club_id, ANA.id, 0)
    sender, end = RecordingSender(), closes_at(app.engine, ballot.club_id)
    engines = [make_engine(database_url) for _ in range(4)]
    start = threading.Barrier(len(engines))
    closed: list[list[int]] = []

    def clock(engine: Engine) -> None:
        start.wait()
        closed.append(close_due(engine, {"slack": sender}, {}, end))

    threads = [threading.Thread(target=clock, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(closed) == [[], [], [], [ballot.club_id]]
    assert len(sender.messages) == 1
    for engine in engines:
        engine.dispose()


def test_a_closing_that_died_after_announcing_is_finished_without_a_second_announcement(app: App) -> None:
    ballot = opened(app)
    vote(app.service, LAB, ballot.club_id, ANA.id, 1)
    sender, end = RecordingSender(), closes_at(app.engine, ballot.club_id)
    sender.script("crash")  # posted, then the process died before recording it
    assert close_due(app.engine, {"slack": sender}, {}, end) == []
    assert club_row(app.engine, ballot.club_id).status == "closing"
    assert close_due(app.engine, {"slack": sender}, {}, end + LEASE / 2) == []  # the claim may still be alive
    assert close_due(app.engine, {"slack": sender}, {}, end + LEASE * 2) == [ballot.club_id]
    assert len(sender.messages) == 1  # found by its mark, not posted again
    assert club_row(app.engine, ballot.club_id).message_ids == ["1700000000.000100", sender.messages[0].id]


class Poll:
    """A platform that counts the votes itself (Discord's poll): final when it says so."""

    def __init__(self, *answers: Counted) -> None:
        self.answers = list(answers)
        self.closed: list[ClubBallot] = []

    def results(self, channel: ChannelRef, message_ids: tuple[str, ...], papers: int) -> Counted | None:
        return self.answers.pop(0)

    def show_closed(self, channel: ChannelRef, message_ids: tuple[str, ...], ballot: ClubBallot) -> None:
        self.closed.append(ballot)


def test_a_platforms_count_not_yet_final_is_asked_again_at_a_later_tick(app: App) -> None:
    ballot = opened(app)
    poll = Poll(Counted((0, 4, 5), final=False), Counted((0, 4, 6), final=True))
    sender, end = RecordingSender(), closes_at(app.engine, ballot.club_id)
    assert close_due(app.engine, {"slack": sender}, {"slack": poll}, end) == []
    assert close_due(app.engine, {"slack": sender}, {"slack": poll}, end + timedelta(minutes=1)) == [ballot.club_id]
    assert [m.title for m in sender.messages] == ["Journal club: paper 3 won with 6 votes of 10."]
    [shown] = poll.closed
    assert shown.closed and shown.counts == (0, 4, 6)


def test_a_retried_request_that_found_its_vote_posted_opens_no_second_club(app: App) -> None:
    ballot = opened(app)  # the vote is posted; the process dies before its reply in the mention's thread
    retried = app.service.answer(LAB, ANA, "/papers club 3 24")  # the request again: the vote is found by mark
    assert isinstance(retried, ClubBallot) and retried.club_id != ballot.club_id
    assert not posted(app.service, retried.club_id, ["1700000000.000100"])  # the first club's message
    assert club_row(app.engine, retried.club_id).status == "abandoned"
    vote(app.service, LAB, ballot.club_id, BO.id, 1)
    sender = RecordingSender()
    assert close_due(app.engine, {"slack": sender}, {}, closes_at(app.engine, ballot.club_id)) == [ballot.club_id]
    assert [m.title for m in sender.messages] == ["Journal club: paper 2 won with 1 vote of 1."]


def test_a_club_never_shown_is_abandoned_not_announced(app: App) -> None:
    app.service.answer(LAB, ANA, "/papers subscribe reinforcement-learning")
    ballot = app.service.answer(LAB, ANA, "/papers club")  # the platform refused the post: posted() never came
    assert isinstance(ballot, ClubBallot)
    sender = RecordingSender()
    assert close_due(app.engine, {"slack": sender}, {}, closes_at(app.engine, ballot.club_id)) == []
    assert sender.messages == [] and club_row(app.engine, ballot.club_id).status == "abandoned"


def test_a_failed_announcement_is_tried_again_and_a_refused_one_closes_the_club_unannounced(app: App) -> None:
    ballot = opened(app)
    vote(app.service, LAB, ballot.club_id, ANA.id, 0)
    sender, end = RecordingSender(), closes_at(app.engine, ballot.club_id)
    sender.script("fail")  # Slack answered 503
    assert close_due(app.engine, {"slack": sender}, {}, end) == []
    assert club_row(app.engine, ballot.club_id).status == "open"
    assert close_due(app.engine, {"slack": sender}, {}, end + timedelta(minutes=1)) == [ballot.club_id]
    assert [m.title for m in sender.messages] == ["Journal club: paper 1 won with 1 vote of 1."]

    other = app.service.answer(LAB, BO, "/papers club 2")
    assert isinstance(other, ClubBallot) and posted(app.service, other.club_id, ["1700000000.000200"])
    sender.script("permanent")  # channel_not_found: the bot was removed
    assert close_due(app.engine, {"slack": sender}, {}, closes_at(app.engine, other.club_id)) == [other.club_id]
    row = club_row(app.engine, other.club_id)
    assert (row.status, row.outcome) == ("closed", "not announced: channel_not_found")
    assert len(sender.messages) == 1
