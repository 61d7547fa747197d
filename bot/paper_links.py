"""How people name a paper: an arXiv id, or a link to its page on arXiv, Hugging Face or alphaXiv read as a URL."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ARXIV_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I)
# `2401.01234v2`, `arXiv:2401.01234`: an id alone.
BARE_ID = re.compile(rf"(?:arxiv:\s*)?{ARXIV_ID.pattern}", re.I)
# The id segment of a paper's page: `2401.01234v2`, `hep-th/9901001.pdf`, `2401.01234/`.
ID_PATH = re.compile(rf"{ARXIV_ID.pattern}(?:\.pdf)?/?", re.I)

_ARXIV = ("/abs/", "/pdf/", "/html/")
_HF = ("/papers/",)
_ALPHAXIV = ("/abs/", "/overview/", "/pdf/")
# The whole host (no user, no port: `arxiv.org@evil.example` is evil.example's) -> the paths its paper pages
# start with. A link elsewhere on these hosts (`huggingface.co/spaces/x/arxiv.org/abs/...`,
# `huggingface.co/login?next=/arxiv.org/abs/...`) names no paper, whatever follows.
PAPER_ROUTES: dict[str, tuple[str, ...]] = {
    "arxiv.org": _ARXIV,
    "www.arxiv.org": _ARXIV,
    "export.arxiv.org": _ARXIV,
    "huggingface.co": _HF,
    "www.huggingface.co": _HF,
    "hf.co": _HF,
    "alphaxiv.org": _ALPHAXIV,
    "www.alphaxiv.org": _ALPHAXIV,
}
# Around a link in a message: `<url>`, `<url|label>` (Slack), `[label](url)`, `(url)`, `url.` at a sentence's end.
_SEPARATORS = re.compile(r"[\s<>]+")
_AROUND = "()[]{}'\".,;:!?*_~`"


def strip_version(arxiv_id: str) -> str:
    """`2401.01234v3` -> `2401.01234`: a new version is the same paper."""
    return re.sub(r"v\d+$", "", arxiv_id.strip())


def link_id(url: str) -> str | None:
    """The arXiv id (without version) one link names: its host a paper site, its path that site's paper page."""
    text = url.strip()
    if "://" not in text:
        text = "https://" + text  # `arxiv.org/abs/...` typed without a scheme
    try:
        parts = urlsplit(text)
    except ValueError:  # `http://[::1` and other broken hosts
        return None
    routes = PAPER_ROUTES.get(parts.netloc.lower())
    if parts.scheme.lower() not in ("http", "https") or routes is None:
        return None
    for route in routes:
        if parts.path.lower().startswith(route):
            found = ID_PATH.fullmatch(parts.path[len(route) :])
            return found["id"] if found else None
    return None


def arxiv_key(text: str) -> str | None:
    """The bare arXiv id a whole text names (an id, versioned or not, or a link to a paper's page), else None:
    how find, like:, feedback and why all read a paper someone names. Slack's `<url|label>` is read as its url."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0].strip()
    bare = BARE_ID.fullmatch(text)
    if bare:
        return strip_version(bare["id"])
    return link_id(text) if len(text) <= 2_000 and not any(c.isspace() for c in text) else None


def links_in(text: str) -> list[str]:
    """Each word of a message that may be a link, without the brackets and punctuation around it."""
    found = []
    for word in _SEPARATORS.split(text):
        word = word.split("|", 1)[0]  # Slack's `url|label`: the label is no link
        word = word.rsplit("](", 1)[-1]  # markdown's `[label](url)`: the url
        word = word.strip(_AROUND)
        if word:
            found.append(word)
    return found


__all__ = ["ARXIV_ID", "PAPER_ROUTES", "arxiv_key", "link_id", "links_in", "strip_version"]
