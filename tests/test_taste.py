"""What a channel teaches the bot and can see of it: likes alone re-rank its post, `/papers taste` shows and resets it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from adapters.discord import replies as discord_replies
from adapters.slack import replies as slack_replies
from bot.app import build_app
from bot.chat import replies as r
from bot.chat.commands import parse_command
from bot.chat.service import CHANGING
from bot.config import Settings
from bot.domain import Actor, Paper
from storage.uow import UnitOfWork
from tests.chat import Chat
from tests.test_learned_ranking import NOW, lab, locomotion, preview, teach, trading

__all__ = ["lab"]  # the fixture, shared with the re-ranker's own tests


def test_likes_alone_rerank_the_post(lab: Chat) -> None:
    """Most people only click 👍: six likes and no dislike, nothing posted yet, and the post follows them."""
    before = preview(lab)
    assert all(title.startswith("Reinforcement learning for legged") for title, _ in before[:6])
    teach(lab, likes=6, dislikes=0)
    after = preview(lab)
    trading = [title.startswith("Deep reinforcement learning for portfolio") for title, _ in after[:6]]
    assert trading[0] and sum(trading) >= 4  # six signals: the model has most of its say, not all of it
    assert after[0][1][0].startswith("ranked up: like 3 papers this channel liked")


def test_a_reply_promises_only_what_the_next_post_does(lab: Chat) -> None:
    """Dislikes alone cannot re-rank (what a channel wants is learned from its likes): their reply says so."""
    for i in range(4):
        lab.say(f"/papers dislike 2605.{50 + i:05d}")
    fifth = lab.say("/papers dislike 2605.00054")
    assert "in this channel's posts" not in fifth
    assert fifth.endswith("This channel's posts follow its feedback once it has liked a paper too.")
    assert lab.say("/papers like 2605.00010").startswith("Noted: more papers like “Deep reinforcement")
    assert lab.say("/papers like 2605.00010").startswith("You had already liked")
    assert lab.say("/papers dislike 2605.00055").endswith("in this channel's posts.")


def test_taste_shows_what_weighs_most_for_and_against(lab: Chat) -> None:
    assert lab.say("/papers taste") == (
        "This channel's posts follow its likes and dislikes from 5 on (0 likes and 0 dislikes so far); "
        "/papers like with a paper's arXiv id teaches them."
    )
    teach(lab, likes=5, dislikes=2)
    lines = lab.say("/papers taste").splitlines()
    assert lines[0] == "What this channel's posts learned from its 5 likes and 2 dislikes:"
    assert lines[1].startswith("For: words ") and "portfolio" in lines[1] and "locomotion" not in lines[1]
    assert "; liked “Deep reinforcement learning for portfolio trading in stock markets, part" in lines[1]
    assert lines[2].startswith("Against: words ") and "locomotion" in lines[2].split("; disliked")[0]
    assert "; disliked “Reinforcement learning for legged robot locomotion, study" in lines[2]
    assert lines[3] == "/papers taste reset forgets it (saved papers stay)."
    assert len(lines) == 4


def test_taste_reset_asks_then_forgets_likes_and_dislikes_but_not_saves(lab: Chat) -> None:
    before = preview(lab)
    teach(lab, likes=5, dislikes=2)
    lab.say("/papers save 2605.00011")
    assert preview(lab) != before
    asked = lab.say("/papers taste reset")
    assert asked.startswith(
        "That forgets this channel's 5 likes and 2 dislikes and what its posts learned from them (saved papers stay); "
        "to do it, type /papers taste reset confirm."
    )
    assert preview(lab) != before  # asking changed nothing
    assert lab.say("/papers taste reset confirm") == (
        "ana reset this channel's taste: its 5 likes and 2 dislikes are forgotten, and its posts keep their own "
        "order until they are taught again. Saved papers stay."
    )
    assert preview(lab) == before
    assert "(0 likes and 0 dislikes so far)" in lab.say("/papers taste")
    assert "Deep reinforcement learning for portfolio trading in stock markets, part 1" in lab.say("/papers saved")
    assert lab.say("/papers like 2605.00010").startswith("Noted: more papers like")  # it can be taught again


def test_taste_takes_only_reset(lab: Chat) -> None:
    assert lab.say("/papers taste everything") == (
        "taste takes nothing, reset, or reset confirm, not `everything`.\nUsage: /papers taste [reset]"
    )


def test_the_taste_message_keeps_titles_and_words_inert_on_every_platform() -> None:
    """Words and titles come from papers (untrusted): they must not ping anyone or format on Slack or Discord."""
    nasty = Paper("<!channel> @everyone **free** <https://x|click>", "x", "2605.00099")
    reply = r.TasteShown(5, 2, 5, ("<!here>", "@everyone"), ("a`b",), (), (), (nasty,), (nasty,))
    slack = json.dumps(slack_replies.render(reply, "U1"))
    assert "<!channel>" not in slack and "<!here>" not in slack and "<https://x|click>" not in slack
    assert "&lt;!channel&gt;" in slack and "For: words `&lt;!here&gt;`, `@everyone`" in slack
    discord = discord_replies.render(reply, 0).content
    assert "@everyone" not in discord and "**free**" not in discord
    assert discord.startswith("What this channel's posts learned from its 5 likes and 2 dislikes:\nFor: words `")


def test_a_channel_chooses_how_much_upvotes_weigh_in_its_post(lab: Chat) -> None:
    """A paper the whole community upvotes but that only mentions the channel's topic: where it stands is the
    channel's choice, kept and shown in list and status."""
    popular = Paper(
        "Household tasks for embodied agents",
        "We train the agents with reinforcement learning; the policy gets a reward per task, over many episodes.",
        "2605.00099",
        published_at=NOW - timedelta(days=1),
        upvotes=400,
    )
    with UnitOfWork(lab.app.engine) as uow:
        uow.papers.merge([popular])
        uow.commit()

    def place() -> int:
        return [title for title, _ in preview(lab)].index(popular.title)

    usual = place()
    assert lab.say("/papers ranking") == (
        "Hugging Face upvotes weigh as usual in this channel's post; "
        "/papers ranking upvotes off|low|normal|high changes it."
    )
    assert lab.say("/papers ranking upvotes high") == (
        "ana set Hugging Face upvotes to weigh twice as much as usual in this channel's post (high)."
    )
    assert place() == 0 < usual
    lab.say("/papers ranking upvotes off")
    assert place() == 12 > usual
    assert "Hugging Face upvotes weigh nothing in the post (/papers ranking upvotes off)." in lab.say("/papers list")
    status = lab.say("/papers status")
    assert "Hugging Face upvotes weigh nothing in the post" in status and "ana set upvotes to weigh off" in status
    lab.say("/papers ranking upvotes normal")
    assert place() == usual
    assert "upvotes" not in lab.say("/papers list")


def test_ranking_takes_upvotes_and_a_level(lab: Chat) -> None:
    assert lab.say("/papers ranking upvotes loud") == (
        "ranking takes upvotes and one of off, low, normal, high, not `upvotes loud`.\n"
        "Usage: /papers ranking [upvotes off|low|normal|high]"
    )


def test_a_papers_words_are_counted_once_for_every_model_that_needs_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding stems is most of what training costs: a pass meets the same papers in channel after channel."""
    from bot.feedback import learned, word_counts

    papers = [trading(i, 1) for i in range(3)] + [locomotion(i, 1) for i in range(3)]
    counted: list[int] = []
    transform, count = learned.WORDS.transform, word_counts.count_words
    monkeypatch.setattr(word_counts, "count_words", lambda texts: counted.append(len(texts)) or count(texts))
    counts = learned.WordCounts()
    first = counts.counts(papers)
    again = counts.counts([*papers[2:], trading(9, 1)])
    assert counted == [6, 1]
    assert (first != transform(learned.paper_texts(papers))).nnz == 0
    assert (again[:-1] != first[2:]).nnz == 0
    changed = replace(papers[0], abstract="A new abstract on market making with limit order books.")
    assert (counts.counts([changed]) != transform(learned.paper_texts([changed]))).nnz == 0
    assert counted == [6, 1, 1]  # a changed text is counted again, under its own hash


def test_a_kept_model_keeps_only_the_idf_of_its_papers_words_and_weighs_every_paper_as_before() -> None:
    """A model kept in memory holds the idf of the columns its papers have, not of all 263,168: the same vectors."""
    from sklearn.feature_extraction.text import TfidfTransformer

    from bot.feedback import learned

    taught = learned.WORD_COUNTS.counts([trading(i, 1) for i in range(4)] + [locomotion(i, 1) for i in range(2)])
    others = learned.WORD_COUNTS.counts([trading(i, 1) for i in range(3, 9)] + [locomotion(i, 1) for i in range(7)])
    full = TfidfTransformer(sublinear_tf=True).fit(taught)
    kept = learned.Idf.fitted(taught)
    assert len(kept.values) < 1_000
    for counts in (taught, others):
        expected, made = full.transform(counts), kept.transform(counts)
        assert made.dtype == expected.dtype and (made != expected).nnz == 0


def test_a_model_weighs_the_rows_a_pass_shares_into_the_vectors_it_would_build_alone() -> None:
    """A pass builds each candidate's rows once (bot/feedback/candidates.py); each model's idf then makes of them
    the very vectors it would build from the papers' counts on its own: what is posted does not change."""
    from bot.feedback.candidates import Candidates
    from bot.feedback.learned import train
    from bot.feedback.signals import Labels
    from bot.feedback.taste import select_columns, vectors

    liked, disliked = [trading(i, 1) for i in range(4)], [locomotion(i, 1) for i in range(3)]
    taste = train(Labels(tuple(liked), tuple(disliked), ()), {liked[0].key: {"reinforcement-learning": (3.0, ())}})
    assert taste is not None
    papers = [trading(i, 2) for i in range(4, 12)] + [locomotion(i, 2) for i in range(4, 9)]
    evidence = {p.key: {"reinforcement-learning": (2.0, ()), "robotics": (1.0, ())} for p in papers[:5]}
    alone = select_columns(vectors(papers, evidence, taste.weights), taste.columns)
    shared = Candidates()
    for some in (papers[:6], papers, papers[3:], papers[::-1]):  # the rows built in two goes, then stacked
        made = taste.vectors(some, evidence, shared)
        expected = alone[[papers.index(p) for p in some]]
        assert made.dtype == alone.dtype and made.shape == expected.shape and (made != expected).nnz == 0
    assert shared.built == len(papers)


def test_a_model_reads_each_papers_liking_and_its_interests_voices_as_its_vectors_give_them() -> None:
    """A post reads its candidates' liking without building their vectors (bot/feedback/candidates.py: `read`):
    the same probabilities and interests' voices as the vectors give, to float32's precision, in the same order."""
    from bot.feedback.candidates import Candidates
    from bot.feedback.interests import voices
    from bot.feedback.learned import train
    from bot.feedback.signals import Labels

    liked = [trading(i, 1) for i in range(3)] + [locomotion(i, 1) for i in range(3)]
    taste = train(Labels(tuple(liked), tuple(trading(i, 3) for i in range(5, 8)), ()), {})
    assert taste is not None
    taste = replace(taste, kind=np.array([0, 0, 0, 1, 1, 1]))  # two interests, whatever the clustering says
    papers = [trading(i, 2) for i in range(4, 12)] + [locomotion(i, 2) for i in range(4, 9)]
    evidence = {p.key: {"reinforcement-learning": (2.0, ()), "robotics": (1.0, ())} for p in papers[:5]}
    vectors = taste.vectors(papers, evidence)
    expected = 1.0 / (1.0 + np.exp(-(vectors @ taste.coef + taste.intercept)))
    for shared in (None, Candidates()):
        liking, voice = taste.liking((shared or Candidates()).rows(papers, evidence))
        assert np.allclose(liking, expected, rtol=0, atol=1e-6) and np.ptp(liking) > 0.1
        assert np.allclose(voice, voices(vectors, taste), rtol=0, atol=1e-6) and voice.shape == (len(papers), 2)
        assert (np.argsort(-liking) == np.argsort(-expected)).all()


def test_warmup_shows_the_kinds_of_recent_papers_and_a_pick_teaches_the_post(lab: Chat) -> None:
    """Today's order leads with six legged-robot papers; the channel wants the trading ones and says so in one pick."""
    reply = lab.reply("/papers warmup")
    assert isinstance(reply, r.WarmUpKinds) and len(reply.kinds) == 2  # 12 papers make two kinds, not twelve
    said = lab.say("/papers warmup").splitlines()
    assert said[0] == "This channel's recent papers are of 2 kinds: which does it want?"
    trading = next(n for n, kind in enumerate(reply.kinds, 1) if "portfolio" in kind.words)
    assert said[-1] == (
        "Pick the ones it wants with /papers warmup pick 1 3: each kind picked counts its three most typical papers "
        "as likes, each other kind its three as dislikes."
    )
    assert [t.startswith("Reinforcement learning for legged") for t, _ in preview(lab)[:6]] == [True] * 6
    picked = lab.say(f"/papers warmup pick {trading}")
    assert picked.startswith("ana picked 1 kind (") and picked.endswith(
        "3 likes and 3 dislikes noted; this channel's posts follow them."
    )
    after = [title.startswith("Deep reinforcement learning for portfolio") for title, _ in preview(lab)[:6]]
    assert sum(after) >= 2  # six signals, three of them likes: the model has some of its say (rerank.weight)
    with UnitOfWork(lab.app.engine) as uow:
        votes = uow.feedback.votes(str(lab.channel))
    assert sorted(votes.values()) == [-1, -1, -1, 1, 1, 1]  # the buttons' path: the picker's votes, once each


def test_a_pick_of_kinds_that_changed_is_refused(lab: Chat) -> None:
    reply = lab.reply("/papers warmup")
    assert isinstance(reply, r.WarmUpKinds)
    lab.say(f"/papers warmup pick 1 #{reply.offer}")
    again = lab.say(f"/papers warmup pick 1 #{reply.offer}")  # a second click on the same Done
    assert again.startswith("Those kinds were answered or have changed since: /papers warmup shows them anew.")
    with UnitOfWork(lab.app.engine) as uow:
        assert len(uow.feedback.votes(str(lab.channel))) == 6
    assert lab.say("/papers warmup pick 9").startswith("There is no kind 9 to pick: /papers warmup shows them.")
    assert lab.say("/papers warmup please").startswith("warmup takes nothing, or pick and the kinds' numbers")


def test_slack_and_discord_offer_the_kinds_to_pick(lab: Chat) -> None:
    reply = lab.reply("/papers warmup")
    assert isinstance(reply, r.WarmUpKinds)
    blocks = slack_replies.render(reply, "U1")["blocks"]
    [picker] = [b for b in blocks if b["type"] == "actions"]
    boxes, done = picker["elements"]
    assert boxes["type"] == "checkboxes" and [o["value"] for o in boxes["options"]] == ["1", "2"]
    assert done["action_id"] == "papers_kinds_done" and done["value"] == reply.offer
    message = discord_replies.render(reply, 0)
    assert message.kinds[0].startswith("1. ") and message.offer == reply.offer


def test_warmup_needs_a_subscription(settings: Settings) -> None:
    app = build_app(settings, seed=False)
    assert Chat(app).say("/papers warmup") == (
        "This channel follows nothing yet: /papers subscribe a topic first, then /papers warmup."
    )
    app.engine.dispose()


def test_only_admins_reset_the_taste_or_change_the_ranking_anyone_sees_them(lab: Chat) -> None:
    """Slack and Discord tell the core who may change a channel by the command's kind (service.CHANGING)."""
    teach(lab, likes=5, dislikes=2)
    bob = Chat(lab.app, lab.channel, Actor("U2", "bob", is_admin=False))
    refused = "Only workspace admins and the people the bot's operator listed may change this channel's papers."
    assert bob.say("/papers taste reset confirm") == f"{refused}\nUsage: /papers taste [reset]"
    assert bob.say("/papers ranking upvotes off") == f"{refused}\nUsage: /papers ranking [upvotes off|low|normal|high]"
    assert bob.say("/papers taste").startswith("What this channel's posts learned from its 5 likes and 2 dislikes:")
    assert bob.say("/papers ranking").startswith("Hugging Face upvotes weigh as usual in this channel's post")
    assert isinstance(parse_command("/papers taste reset"), CHANGING)
    assert isinstance(parse_command("/papers ranking upvotes high"), CHANGING)
    assert not isinstance(parse_command("/papers taste"), CHANGING)
    assert not isinstance(parse_command("/papers ranking"), CHANGING)
