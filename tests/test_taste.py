"""What a channel teaches the bot and can see of it: likes alone re-rank its post, `/papers taste` shows and resets it."""

from __future__ import annotations

from tests.chat import Chat
from tests.test_learned_ranking import lab, preview, teach

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
