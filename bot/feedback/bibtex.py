"""Saved papers as BibTeX: one @misc entry per paper, in the form arXiv itself exports."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bot.domain import Paper

# Characters that mean something to (Bib)TeX: written as text, so that no title can run commands.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}


def tex(text: str) -> str:
    """Untrusted text as literal BibTeX field content: specials escaped, controls and line breaks out."""
    text = " ".join("".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ").split())
    return "".join(_SPECIAL.get(ch, ch) for ch in text)


def cite_key(paper: Paper, taken: set[str]) -> str:
    """`vaswani2017attention`-style: first author's family name, year, first title word; unique among `taken`."""
    family = paper.authors[0].split()[-1] if paper.authors and paper.authors[0].split() else "anon"
    year = paper.dated.year if paper.dated else ""
    word = next((w for w in re.findall(r"[A-Za-z]+", paper.title) if len(w) > 3), "paper")
    ascii_only = unicodedata.normalize("NFKD", f"{family}{year}{word}").encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]", "", ascii_only.lower()) or "paper"
    unique, n = key, 1
    while unique in taken:
        n += 1
        unique = f"{key}{chr(ord('a') + n - 2)}" if n <= 27 else f"{key}{n}"
    taken.add(unique)
    return unique


def entry(paper: Paper, key: str) -> str:
    fields = [("title", "{" + tex(paper.title) + "}"), ("author", " and ".join(tex(a) for a in paper.authors))]
    if paper.dated:
        fields.append(("year", str(paper.dated.year)))
    if paper.arxiv_id:
        fields += [("eprint", tex(paper.arxiv_id)), ("archivePrefix", "arXiv")]
        if paper.categories:
            fields.append(("primaryClass", tex(paper.categories[0])))
    if url := paper.abs_url:
        fields.append(("url", tex(url)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}"


def bibtex(papers: Iterable[Paper]) -> str:
    """Every paper as one entry, blank lines between; cite keys unique within the file."""
    taken: set[str] = set()
    return "\n\n".join(entry(paper, cite_key(paper, taken)) for paper in papers) + "\n"
