"""arXiv's categories (`bot/data/arxiv_categories.toml`): which codes exist, spelt as arXiv spells them."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.errors import BadQuery, echo

BUNDLED = Path(__file__).parents[1] / "data" / "arxiv_categories.toml"
TAXONOMY_PAGE = "https://arxiv.org/category_taxonomy"


@lru_cache(maxsize=1)
def categories() -> dict[str, str]:
    """Every category's code -> its name, as arXiv lists them."""
    groups = tomllib.loads(BUNDLED.read_text(encoding="utf-8"))
    return {code: str(name) for group in groups.values() for code, name in group.items()}


@lru_cache(maxsize=1)
def _by_folded() -> dict[str, str]:
    return {code.lower(): code for code in categories()}


def known(text: str) -> str | None:
    """The code as arXiv spells it (`cs.lg` -> `cs.LG`), or None when arXiv has no such category."""
    return _by_folded().get(text.strip().lower())


def suggest(text: str, limit: int = 1) -> list[str]:
    """Codes someone probably meant: the one whose name they typed (`Robotics`, `cs.robotics` -> cs.RO), or whose
    name's initials they gave (`cs.ML` -> cs.LG, Machine Learning), else the closest spellings."""
    typed = " ".join(text.lower().split())
    archive, dot, subject = typed.partition(".")
    named = [code for code, name in categories().items() if name.lower() == typed]
    initials = sorted(
        (code for code, name in categories().items() if dot and subject in (_initials(name), name.lower())),
        key=lambda code: not code.lower().startswith(archive + "."),  # the archive typed first
    )
    close = process.extract(
        typed, {code: code.lower() for code in categories()}, scorer=fuzz.ratio, limit=limit, score_cutoff=75
    )
    return list(dict.fromkeys(named + initials + [code for _, _, code in close]))[:limit]


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.lower().replace("-", " ").split() if word not in ("and", "of", "in"))


def unknown_because(text: str) -> str:
    """Why `text` is refused, in words that fit after "… is not an arXiv category": a guess, or where the list is."""
    inside = [code for code in categories() if code.lower().startswith(text.strip().lower() + ".")]
    if inside:
        return f"it is an archive: name one of its categories, such as {inside[0]}"
    found = suggest(text)
    return f"did you mean {found[0]}?" if found else f"arXiv lists them at {TAXONOMY_PAGE}"


def require(text: str) -> str:
    """The code as arXiv spells it, or BadQuery saying so with a did-you-mean."""
    code = known(text)
    if code is None:
        because = unknown_because(text)
        end = "" if because.endswith("?") else "."
        raise BadQuery(f"{echo(text)} is not an arXiv category; {because}{end}", usage="subscribe")
    return code


__all__ = ["categories", "known", "require", "suggest", "unknown_because"]
