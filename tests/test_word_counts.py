"""A paper's words counted the fast way are the very counts the hashing vectorizer makes: the models do not move."""

from __future__ import annotations

import numpy as np

from bot.feedback.word_counts import count_words, words_hasher
from bot.retrieval.features import Stemmer, stems

TEXTS = [
    "Reinforcement learning for legged robots. Reinforcement learning for legged robots. RL, robotics "
    "We train (deep) reinforcement-learning policies: the policy's reward is 2x higher than PPO's on 3 tasks.",
    "ΟΔΥΣΣΕΥΣ ΚΑΙ ΣΟΦΙΑΣ. Οδυσσεύς: Lähner's café naïve résumé — ﬁne-tuning ① ² x² H₂O Ⅻ",
    "snake_case words_with_underscores a b c 1 2 3 I an the of to be it's don't",
    "Pneumonoultramicroscopicsilicovolcanoconiosisandevenlongerwordsthanthat is long; so is this one.",
    "tabs\there, non\u00a0breaking\u2009spaces, line\nbreaks and \u0301combining \u200bzero width",
    "",
]


def test_a_batch_of_texts_is_stemmed_as_each_text_alone() -> None:
    stemmer = Stemmer()
    for text in [*TEXTS, *TEXTS]:
        assert stemmer.stems(text) == stems(text)


def test_counted_words_are_the_hashing_vectorizers_to_the_bit() -> None:
    expected, made = words_hasher().transform(TEXTS), count_words(TEXTS)
    assert made.dtype == expected.dtype == np.float32 and made.shape == expected.shape
    assert np.array_equal(made.indptr, expected.indptr) and np.array_equal(made.indices, expected.indices)
    assert np.array_equal(made.data, expected.data)
    assert made.nnz > 50
