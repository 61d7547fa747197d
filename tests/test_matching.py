"""Matching papers to subscriptions as a researcher would: the seed page, fields, senses, ranking."""

import json
from datetime import UTC, datetime

import pytest

from bot.domain import Paper
from bot.relevance.matching import Matcher
from bot.relevance.query import parse_query
from bot.relevance.topics import default_taxonomy
from tests.shared_data import SHARED

SEED = SHARED / "seed" / "daily-papers-page.jsonl"
TAXONOMY = default_taxonomy()
MATCHER = Matcher(TAXONOMY)

# Hand labels for `reinforcement-learning` on the seed page (line numbers), by reading each
# abstract. Papers not listed are "partial": LLM/agent work near RL (SPRING, Meta-Explore VLN,
# ToolChain*, B-STaR, Odyssey, NAS with an RL controller, RL-stage idea generation, ...).
RL_PAPERS = {
    3,
    5,
    8,
    10,
    12,
    14,
    15,
    18,
    19,
    20,
    25,
    26,
    27,
    28,
    30,
    31,
    32,
    34,
    35,
    38,
    44,
    45,
    46,
    47,
    48,
    49,
    50,
    51,
    53,
    55,
    56,
    57,
    58,
    60,
    61,
    65,
    66,
    68,
    69,
    71,
}
NOT_RL = {
    0,
    2,
    4,
    6,
    7,
    9,
    11,
    13,
    16,
    17,
    21,
    22,
    23,
    24,
    33,
    36,
    37,
    39,
    40,
    41,
    54,
    59,
    62,
    70,
    72,
}


def paper(title: str, abstract: str = "", **fields) -> Paper:
    return Paper(title=title, abstract=abstract, **fields)


def match(query: str, p: Paper):
    return MATCHER.match(parse_query(query, TAXONOMY), p)


@pytest.mark.skipif(not SEED.exists(), reason="needs the shared seed page")
def test_reinforcement_learning_gets_every_rl_paper_on_the_seed_page_and_no_other_sense():
    rows = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    query = parse_query("reinforcement-learning", TAXONOMY)
    got = {i for i, r in enumerate(rows) if MATCHER.match(query, paper(r["title"], r["abstract"]))}
    titles = {i: rows[i]["title"] for i in range(len(rows))}
    assert [titles[i] for i in sorted(RL_PAPERS - got)] == []
    assert [titles[i] for i in sorted(got & NOT_RL)] == []


def test_toponav_is_rl_without_saying_reinforcement():
    p = paper(
        "TopoNav: Topological Navigation for Efficient Exploration in Sparse Reward Environments",
        "Autonomous robots exploring unknown areas ... intrinsic reward mechanisms ...",
    )
    m = match("reinforcement-learning", p)
    assert m is not None
    assert m.why[0] == 'reinforcement-learning: "sparse reward" in title'
    assert m.subscription == "reinforcement-learning"


def test_exploration_in_another_sense_is_not_rl():
    p = paper(
        "DendroMap: Visual Exploration of Large-Scale Image Datasets for Machine Learning with Treemaps",
        "We present an approach to interactively exploring large-scale image datasets.",
    )
    assert match("reinforcement-learning", p) is None


def test_acronyms_are_case_sensitive():
    assert (
        match("reinforcement-learning", paper("Scaling RL for agents", "We scale RL with policy rewards.")) is not None
    )
    assert match("reinforcement-learning", paper("Learning rl-style curves", "curves of rl and url.")) is None


def test_title_outweighs_keywords_outweighs_abstract():
    in_title = match("graph-neural-networks", paper("Graph neural networks for traffic"))
    in_keywords = match("graph-neural-networks", paper("Traffic", ai_keywords=("graph neural network",)))
    in_abstract = match(
        "graph-neural-networks",
        paper(
            "Traffic",
            "We propose a graph neural network (GNN) for traffic. The GNN uses message passing over road graphs.",
        ),
    )
    assert in_title.score > in_keywords.score > in_abstract.score >= 0.5


def test_a_broad_category_alone_is_not_enough():
    assert match("reinforcement-learning", paper("A new optimizer", "We train faster.", categories=("cs.LG",))) is None


def test_excluded_senses_do_not_count():
    assert match("speech-and-audio", paper("Detecting hate speech in tweets", "Hate speech classifiers.")) is None
    assert match("diffusion-models", paper("Information diffusion on social networks", "Rumor cascades.")) is None
    assert match("diffusion-models", paper("Fast sampling for diffusion models", "Denoising steps.")) is not None


def test_a_parent_subscription_matches_its_childrens_terms():
    p = paper("Conservative Q-learning revisited", "An offline RL study on D4RL.")
    m = match("reinforcement-learning", p)
    assert m is not None


def test_phrase_category_author_and_exclusions():
    p = paper(
        "World models for control",
        "We learn a world model.",
        categories=("cs.LG", "cs.RO"),
        authors=("Sergey Levine", "Chelsea Finn"),
    )
    assert match('"world model"', p) is not None
    assert match("cat:cs.RO", p) is not None
    assert match('author:"Sergey Levine"', p) is not None
    assert match("author:levine", p) is not None
    assert match('author:"Pieter Abbeel"', p) is None
    assert match('"world model" -control', p) is None
    assert match('"world model" -robotics', p) is not None


def test_min_upvotes_filters():
    p = paper("Sparse reward exploration", "An RL agent explores.", upvotes=3)
    assert match("reinforcement-learning min-upvotes=5", p) is None
    assert match("reinforcement-learning min-upvotes=3", p) is not None


def test_and_needs_both_or_needs_either():
    robot_rl = paper("Reinforcement learning for robot manipulation", "A robot arm learns grasping policies.")
    assert match("reinforcement-learning robotics", robot_rl) is not None
    assert match("reinforcement-learning time-series", robot_rl) is None
    assert match("time-series OR robotics", robot_rl) is not None


def test_ranking_relevance_then_upvotes_then_freshness():
    old = datetime(2026, 6, 1, tzinfo=UTC)
    new = datetime(2026, 6, 2, tzinfo=UTC)
    strong = paper(
        "Policy gradient tricks", "An RL agent with reward shaping and exploration.", upvotes=1, published_at=old
    )
    popular = paper("Policy gradient tricks", "", upvotes=50, published_at=old)
    fresh = paper("Policy gradient tricks II", "", upvotes=50, published_at=new)
    passing = paper(
        "A study of transformers", "Unlike reinforcement learning, we use rewards and a policy.", upvotes=99
    )
    ranked = MATCHER.match_many(parse_query("reinforcement-learning", TAXONOMY), [passing, popular, strong, fresh])
    assert [m.paper for m in ranked] == [strong, fresh, popular]  # a passing mention is not enough
    assert all(0.5 <= m.score < 1 for m in ranked)


def test_an_acronym_the_paper_spells_out_otherwise_is_not_the_topics() -> None:
    taxonomy = default_taxonomy()
    matcher = Matcher(taxonomy)
    embodied = parse_query("embodied-ai", taxonomy)
    exploratory = Paper(
        "Agents over data lakes",
        "Exploratory question answering (EQA) over data lakes needs an agent. We study EQA agents. EQA is hard.",
    )
    meant = Paper(
        "Agents in houses",
        "Embodied question answering (EQA) needs an agent that moves. We study EQA agents. EQA is hard.",
    )
    odd = Paper("Odd hyphens", "A state- (S) and multi-  (EQA) EQA EQA embodied agents in houses.")
    assert matcher.match(embodied, exploratory) is None
    assert matcher.match(embodied, meant) is not None
    matcher.match(embodied, odd)  # spelled-out forms with empty parts are read, never raise
