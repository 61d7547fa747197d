"""Topics mentioned in passing are not the topic: robots, navigation, safety, alignment, ASR; and the labelled set's F1."""

from __future__ import annotations

from bot.domain import Paper
from bot.relevance.matching import Matcher
from bot.relevance.query import parse_query
from bot.relevance.topics import default_taxonomy
from tests.labelled import held_out, labelled, macro_f1

TAXONOMY = default_taxonomy()
MATCHER = Matcher(TAXONOMY)


def matches(topic: str, paper: Paper) -> bool:
    return MATCHER.match(parse_query(topic, TAXONOMY), paper) is not None


def test_a_paper_that_mentions_robots_only_in_passing_is_not_robotics() -> None:
    embeddings = Paper(
        "Steering through embedding spaces",
        "We navigate the embedding space of a text encoder to find prompts with a wanted property, "
        "as one would plan a route. Active exploration of the space finds better prompts than sampling; "
        "the method could later serve a robot, but we study text retrieval.",
        categories=("cs.CL",),
    )
    robot = Paper(
        "Object-goal navigation for a mobile robot",
        "A robot explores an unseen house and finds the object it is asked for, building a semantic map.",
        categories=("cs.RO",),
    )
    assert not matches("robotics", embeddings)
    assert not matches("navigation", embeddings)
    assert matches("robotics", robot)
    assert matches("navigation", robot)


def test_web_navigation_is_not_robot_navigation() -> None:
    web = Paper(
        "Agents that book flights",
        "Web navigation agents click through websites; our navigation agent completes 60% of web navigation tasks.",
        categories=("cs.CL",),
    )
    assert not matches("navigation", web)


def test_safety_in_content_moderation_is_not_ai_safety() -> None:
    moderation = Paper(
        "Reclaimed slurs or hate?",
        "Content moderation on social platforms must tell hate speech from reclaimed language. We detect "
        "harmful content and toxicity in posts with a small classifier and label-noise filtering.",
        categories=("cs.CL",),
    )
    jailbreak = Paper(
        "Fiction as a jailbreak",
        "Safety-aligned LLMs refuse harmful requests; we show a jailbreak that writes the request as fan fiction "
        "and raises the attack success rate on HarmBench.",
        categories=("cs.CL",),
    )
    assert not matches("ai-safety", moderation)
    assert matches("ai-safety", jailbreak)


def test_alignment_of_features_is_not_ai_safety_but_safety_alignment_is() -> None:
    features = Paper(
        "Alignment of VLM latents to patch embeddings",
        "We improve the alignment between image features and text, fixing their misalignment with a "
        "lightweight adapter; the alignment loss helps 3D generation.",
        categories=("cs.CV",),
    )
    aligned = Paper(
        "Keeping safety alignment through fine-tuning",
        "Fine-tuning weakens the safety alignment of open LLMs; a reusable adapter restores refusal of "
        "harmful requests.",
        categories=("cs.AI",),
    )
    assert not matches("ai-safety", features)
    assert matches("ai-safety", aligned)


def test_asr_in_a_jailbreak_paper_is_an_attack_success_rate_not_speech() -> None:
    jailbreak = Paper(
        "Re-masking diffusion language models",
        "Our attack reaches 76.1% ASR on HarmBench against one model and 81.8% ASR against another; "
        "the ASR stays high under defenses.",
        categories=("cs.CL",),
    )
    speech = Paper(
        "Domain adaptation for LLM-based ASR",
        "We adapt ASR to a new domain with little audio; ASR errors fall by a third.",
        categories=("cs.CL",),
    )
    assert not matches("speech-and-audio", jailbreak)
    assert matches("speech-and-audio", speech)


def test_the_labelled_papers_keep_macro_f1_at_or_above_095_and_the_held_out_quarter_above_093() -> None:
    rows = labelled()
    assert len(rows) == 515 and len(held_out(rows)) == 120
    assert macro_f1(MATCHER, rows) >= 0.95
    assert macro_f1(MATCHER, held_out(rows)) >= 0.93
