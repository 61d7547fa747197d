"""Build bot/data/seed.jsonl, the papers a fresh database starts with: real ones, with full metadata.

    python scripts/build_seed.py [--hf ../shared/data/hf-daily] [--days 2026-08-17:2026-08-21]
                                 [--page ../shared/seed/daily-papers-page.jsonl]

The bundled set is the given days of saved Hugging Face daily responses (ids, authors, dates,
upvotes, AI summaries and keywords, code and project links), then the 74 papers of the seed page
(title and abstract only), each completed from any saved response that holds the same title.
A paper in both is written once, with the response's metadata.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain import Paper, normalise_title  # noqa: E402
from bot.sources.hf import parse_hf_daily  # noqa: E402

SHARED = ROOT.parent / "shared"  # ../shared beside the working copy; --hf and --page name other places


def record(paper: Paper) -> dict[str, object]:
    """A paper as one JSONL line of the ingest format (README: JSONL input), empty fields left out."""
    fields: dict[str, object] = {
        "id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "categories": list(paper.categories),
        "upvotes": paper.upvotes,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "code_url": paper.code_url,
        "project_url": paper.project_url,
        "thumbnail_url": paper.thumbnail_url,
        "on_hf": paper.on_hf or None,
    }
    return {name: value for name, value in fields.items() if value not in (None, [], "")}


def saved_days(folder: Path) -> dict[date, list[Paper]]:
    days = {}
    for path in sorted(folder.glob("*.json")):
        try:
            days[date.fromisoformat(path.stem)] = parse_hf_daily(json.loads(path.read_text(encoding="utf-8"))).papers
        except (ValueError, TypeError) as error:  # a broken archive day: nothing to complete from it
            print(f"{path.name}: skipped ({error})", file=sys.stderr)
    return days


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hf", type=Path, default=SHARED / "data" / "hf-daily")
    parser.add_argument("--days", default="2026-08-17:2026-08-21", help="first:last day bundled")
    parser.add_argument("--page", type=Path, default=SHARED / "seed" / "daily-papers-page.jsonl")
    parser.add_argument("--out", type=Path, default=ROOT / "bot" / "data" / "seed.jsonl")
    args = parser.parse_args()
    first, last = (date.fromisoformat(d) for d in args.days.split(":"))
    days = saved_days(args.hf)
    by_title = {normalise_title(p.title): p for papers in days.values() for p in papers}
    chosen: dict[str, Paper] = {}
    for day in sorted((d for d in days if first <= d <= last), reverse=True):
        for paper in days[day]:
            chosen.setdefault(paper.key, paper)
    completed = 0
    for line in args.page.read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        paper = by_title.get(normalise_title(page["title"]))
        completed += paper is not None
        paper = paper or Paper(title=page["title"], abstract=page["abstract"])
        chosen.setdefault(paper.key, paper)
    with args.out.open("w", encoding="utf-8") as out:
        for paper in chosen.values():
            out.write(json.dumps(record(paper), ensure_ascii=False) + "\n")
    print(f"{len(chosen)} papers written to {args.out} ({completed} of the page's completed from saved responses)")


if __name__ == "__main__":
    main()
