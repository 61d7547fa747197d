"""What of a natural question or description is worth searching for: its content words, in order."""

from __future__ import annotations

import re

from storage.search import fold, tokens

MAX_TERMS = 32  # a pasted abstract is a description too; its first words say enough and cost little
MAX_CHARS = 4000

# English function words (the usual IR list, shortened to what occurs in questions), and the words
# people wrap a question in: "is there a paper on ...", "I'm looking for work about ...".
_STOP_WORDS = """
    a about above after again against all also am an and any anyone anything are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing don down during
    each either else etc ever every few for from further get gets got had hadn has hasn have haven having he her
    here hers herself him himself his how i if in into is isn it its itself just let like ll me might more most
    much must my myself no nor not now of off on once one only or other others ought our ours ourselves out over
    own per please re same shall she should shouldn so some somebody someone something such than that the their
    theirs them themselves then there these they this those through thus to too under until up upon us ve very
    via vs was wasn we were weren what whatever when where whether which while who whom whose why will with
    within without won would wouldn yet you your yours yourself yourselves
    paper papers article articles publication publications preprint preprints arxiv work works study studies
    research researcher researchers looking look find finding know knows remember recall recent recently title
    titled called named someone anybody exists exist existing show shows showing tell says said
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
HYPHENATED = re.compile(r"([^\W_]+)-([^\W_]+)")
HALF = 0.5  # the weight of `made` in `made-up`: a phrasal compound's meaning is not in its content half alone


def terms(text: str) -> list[str]:
    """The words of `text` that carry its meaning: folded, question scaffolding and function words left out.

    Never empty for text that has words: a query of nothing but function words keeps them.
    """
    words = [w for w in tokens(text[:MAX_CHARS]) if len(w) > 1 or w.isdigit()]
    kept = [w for w in words if w not in STOP_WORDS]
    return (kept or words)[:MAX_TERMS]


def weighted_terms(text: str) -> dict[str, float]:
    """The content words of `text` (`terms`), each with its weight: 1, or `HALF` for the content half of a
    compound whose other half is a function word (`made-up`, `built-in`, `follow-up`)."""
    words = dict.fromkeys(terms(text), 1.0)
    for first, second in HYPHENATED.findall(fold(text[:MAX_CHARS])):
        if second in STOP_WORDS and first in words:
            words[first] = HALF
        elif first in STOP_WORDS and second in words:
            words[second] = HALF
    return words
