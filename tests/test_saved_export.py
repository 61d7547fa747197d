"""`papers-bot saved CHANNEL --bibtex`: a channel's saved papers as BibTeX, whatever their titles hold."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.domain import Paper
from bot.feedback.bibtex import bibtex
from storage.uow import UnitOfWork
from tests.chat import Chat

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = Paper(
    "50% of \\input{/etc/passwd} }{ $x^2$ & #1_a ~ Attention",
    "abstract",
    "2606.01234v2",
    ("Zoë Ångström", "Bob O'Neil"),
    datetime(2026, 6, 3, tzinfo=UTC),
    ("cs.LG",),
)
PLAIN = Paper("Attention Is All You Need", "abstract", "1706.03762", ("Ashish Vaswani", "Noam Shazeer"))


def test_entries_escape_what_tex_would_run_and_keys_stay_unique() -> None:
    twin = PLAIN.with_changes(arxiv_id="1706.03763")
    text = bibtex([HOSTILE, PLAIN, twin])
    first, second, third = text.strip().split("\n\n")
    assert first.startswith("@misc{angstrom2026input,\n")
    assert r"title = {{50\% of \textbackslash{}input\{/etc/passwd\} \}\{ \$x\^{}2\$ \& \#1\_a \~{} Attention}}" in first
    assert "author = {Zoë Ångström and Bob O'Neil}" in first and "eprint = {2606.01234v2}" in first
    assert "primaryClass = {cs.LG}" in first and "year = {2026}" in first
    assert second.startswith("@misc{vaswani2017attention,") and third.startswith("@misc{vaswani2017attentiona,")
    for entry in (first, second, third):  # braces balance once the escaped ones are set aside
        bare = entry.replace(r"\{", "").replace(r"\}", "").replace("{}", "")
        assert bare.count("{") == bare.count("}")


def test_the_command_line_exports_a_channels_saved_papers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'papers.db'}"
    app = build_app(Settings(_env_file=None, database_url=url, slack_bot_token=None, discord_token=None), seed=False)
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge([HOSTILE, PLAIN])
        uow.commit()
    chat = Chat(app)
    chat.say("/papers save 1706.03762")
    chat.say("/papers save 2606.01234")
    app.engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "", "DISCORD_TOKEN": ""}

    def papers_bot(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "adapters.cli", *args]
        return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)

    exported = papers_bot("saved", "terminal:lab", "--bibtex")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("@misc{angstrom2026input,") and "@misc{vaswani2017attention," in exported.stdout
    listed = papers_bot("saved", "terminal:lab")
    assert listed.returncode == 0 and listed.stdout.index("50% of") < listed.stdout.index("Attention Is All")
    assert papers_bot("saved", "terminal:nobody", "--bibtex").stdout == ""
    assert papers_bot("saved", "nowhere", "--bibtex").returncode == 2
