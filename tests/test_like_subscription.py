"""`/papers subscribe like:2605.00001`: a channel follows papers like one paper, with what they share as the why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_app
from bot.chat import replies as r
from bot.config import Settings
from bot.domain import Paper
from storage.uow import UnitOfWork
from tests.chat import Chat

NOW = datetime.now(UTC)
SPLATTING = "3D Gaussian splatting renders radiance fields in real time; we {} the Gaussians of a scene for novel view synthesis."
RL = "A reinforcement learning agent learns a policy from rewards; we {} the value function for continuous control."


def paper(n: int, title: str, abstract: str, days_ago: int = 1) -> Paper:
    return Paper(title, abstract, f"2605.{n:05d}", published_at=NOW - timedelta(days=days_ago))


@pytest.fixture
def lab(settings: Settings) -> Iterator[Chat]:
    app = build_app(settings, seed=False)
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge(
            [
                paper(1, "Palette-based colour grading for 3D Gaussian splatting", SPLATTING.format("recolour"), 60),
                paper(2, "Pruning 3D Gaussian splatting for fast rendering", SPLATTING.format("prune")),
                paper(3, "Editable 3D Gaussian splatting with segmentation", SPLATTING.format("segment")),
                paper(4, "Dynamic 3D Gaussian splatting for moving scenes", SPLATTING.format("animate")),
                paper(5, "Offline reinforcement learning with conservative critics", RL.format("regularise")),
                paper(6, "Reinforcement learning for quadruped locomotion", RL.format("shape")),
            ]
        )
        uow.commit()
    yield Chat(app)
    app.engine.dispose()


def test_following_papers_like_one_gets_the_alike_ones_and_says_what_they_share(lab: Chat) -> None:
    reply = lab.reply("/papers subscribe like:2605.00001")
    assert isinstance(reply, r.Subscribed) and reply.understood == "papers like 2605.00001"
    preview = lab.reply("/papers digest")
    assert isinstance(preview, r.DigestPreview)
    titles = sorted(m.paper.title for m in preview.digest.matches)
    assert titles == [
        "Dynamic 3D Gaussian splatting for moving scenes",
        "Editable 3D Gaussian splatting with segmentation",
        "Pruning 3D Gaussian splatting for fast rendering",
    ]  # not the paper itself (published long ago here anyway), nothing about RL
    why = preview.digest.matches[0].why[0]
    assert why.startswith("like:2605.00001: ") and '"splatting"' in why and '"gaussian"' in why  # the post's line
    assert len(why) <= 100


def test_like_combines_with_the_rest_of_the_language_and_takes_links(lab: Chat) -> None:
    lab.say('/papers subscribe like:https://arxiv.org/abs/2605.00001v2 -"moving scenes"')
    assert 'papers like 2605.00001, not "moving scenes"' in lab.say("/papers list")
    preview = lab.reply("/papers digest")
    assert isinstance(preview, r.DigestPreview)
    assert len(preview.digest.matches) == 2 and all("Dynamic" not in m.paper.title for m in preview.digest.matches)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("/papers subscribe like:2609.99999", "I have no paper `2609.99999` to follow papers like"),
        ("/papers subscribe like:go-explore", "like: needs an arXiv id or link, such as like:2401.12345"),
    ],
)
def test_a_like_of_no_stored_paper_is_refused_in_one_sentence(lab: Chat, typed: str, said: str) -> None:
    answer = lab.say(typed)
    assert said in answer and "Usage: /papers subscribe" in answer
    assert "no subscriptions" in lab.say("/papers list")


def test_a_link_or_a_versioned_id_is_kept_as_the_bare_id(lab: Chat) -> None:
    said = lab.say("/papers subscribe like:https://arxiv.org/abs/2605.00001")
    assert said.startswith("ana subscribed this channel to like:2605.00001 (papers like 2605.00001).")
    assert "1. like:2605.00001  (papers like 2605.00001)" in lab.say("/papers list")
    exported = lab.reply("/papers export")
    assert isinstance(exported, r.ExportFile) and '"query": "like:2605.00001"' in exported.content
    assert "already follows `like:2605.00001`" in lab.say("/papers subscribe like:2605.00001v3")
    lab.say('/papers import {"channel": "terminal:lab", "query": "robotics -like:huggingface.co/papers/2605.00002v1"}')
    assert "2. robotics -like:2605.00002" in lab.say("/papers list")
    assert "subscribed this channel to like:2605.00003 " in lab.say("/papers subscribe like:hf.co/papers/2605.00003")


def test_like_resembles_as_find_by_meaning_ranks_words_in_any_form_and_not_common_ones(lab: Chat) -> None:
    """The reference's typical words in other forms (splatted, pruned, rendered) make a paper like it; words
    every abstract uses (we propose a fast method with strong results) do not."""
    with UnitOfWork(lab.app.engine) as uow:
        uow.papers.merge(
            [
                paper(
                    7, "Splatted Gaussians, pruned", "Pruned Gaussians are splatted and rendered as radiance fields."
                ),
                paper(
                    8,
                    "A fast method for sorting",
                    "We propose a fast method for rendering lists in order and show strong results for scenes of data.",
                ),
            ]
        )
        uow.commit()
    lab.say("/papers subscribe like:2605.00002")
    preview = lab.reply("/papers digest")
    assert isinstance(preview, r.DigestPreview)
    titles = [m.paper.title for m in preview.digest.matches]
    assert "Splatted Gaussians, pruned" in titles and "A fast method for sorting" not in titles
