"""The command line's answers to scripts: exit codes that tell failure from success, options and settings
checked before anything runs (one sentence, status 2), and light commands that start light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.cli import cli
from bot.config import BadSettings, Settings, load_settings

ROOT = Path(__file__).parent.parent
OURS = tuple(name.upper() for name in Settings.model_fields)


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in OURS}
    return env | {"DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}", "RUNTIME_DIR": str(tmp_path / "run")} | extra


def papers_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`papers-bot ARGS` in a process of its own, nothing of ours set but what `env` says."""
    return _process(["-m", "adapters.cli", *args], tmp_path, env)


def _process(argv: list[str], tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        env=clean_env(tmp_path, **env),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in OURS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'papers.db'}")
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    return CliRunner()


# --- exit codes ------------------------------------------------------------------------------------


def test_deliver_exits_1_when_its_summary_says_a_channel_failed(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["say", "slack:T1:C1", "/papers subscribe reinforcement-learning"]).exit_code == 0
    delivered = runner.invoke(cli, ["deliver", "--now"])  # no Slack token: nothing can send to that channel
    assert "1 failed" in delivered.output
    assert delivered.exit_code == 1


def test_say_exits_1_when_the_reply_is_an_error_and_0_when_it_is_not(runner: CliRunner) -> None:
    refused = runner.invoke(cli, ["say", "terminal:lab", "/papers subscribe nonsense-topic-xyz"])
    assert "I don't know the topic `nonsense-topic-xyz`." in refused.output
    assert refused.exit_code == 1
    as_json = runner.invoke(cli, ["say", "terminal:lab", "/papers subscribe nonsense-topic-xyz", "--json"])
    assert as_json.exit_code == 1 and '"type": "Problem"' in as_json.output
    assert runner.invoke(cli, ["say", "terminal:lab", "/papers list"]).exit_code == 0


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_find_refuses_a_limit_below_one_in_one_sentence(runner: CliRunner, limit: str) -> None:
    for args in (["find", "attention", "--limit", limit], ["find", "--stdin", "--json", "--limit", limit]):
        found = runner.invoke(cli, args, input="attention\n", prog_name="papers-bot")
        assert found.exit_code == 2, args
        assert found.output.splitlines() == [
            f"error: --limit must be 1 or more, not {limit}.",
            "Usage: papers-bot find [OPTIONS] [query]",
        ]


# --- the database a DATABASE_URL names ------------------------------------------------------------


def without_module(module: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`papers-bot ARGS` with `module` made unimportable in that process only, as on an install without its extra."""
    wrapper = (
        f"import sys; sys.modules[{module!r}] = None; from adapters.cli import main; sys.argv[0] = 'papers-bot'; main()"
    )
    return _process(["-c", wrapper, *args], tmp_path, env)


def test_a_postgres_url_without_the_postgres_extra_names_the_extra(tmp_path: Path) -> None:
    run = without_module(
        "psycopg",
        tmp_path,
        "say",
        "terminal:lab",
        "/papers list",
        DATABASE_URL="postgresql://papers:hunter2@db.example/papers",
    )
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (
        "DATABASE_URL=postgresql://papers:***@db.example/papers needs the `postgres` extra, which is not installed: "
        "pip install 'papers-bot[postgres]'.\n"
    )


def test_a_sqlite_url_in_a_folder_that_does_not_exist_is_refused_and_nothing_is_created(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no" / "such"
    url = f"sqlite:///{missing / 'papers.db'}"
    said = (
        f"DATABASE_URL={url} names the folder {missing}, which does not exist; create it first, or leave "
        "DATABASE_URL unset for the default database in the user data folder."
    )
    with pytest.raises(BadSettings) as bad:
        load_settings(_env_file=None, database_url=url)
    assert bad.value.problems == [said]
    monkeypatch.setenv("DATABASE_URL", url)
    run = runner.invoke(cli, ["say", "terminal:lab", "/papers list"])
    assert (run.exit_code, run.output) == (2, said + "\n")
    assert not (tmp_path / "no").exists()


# --- light commands start light ---------------------------------------------------------------------

# What only some commands need: the platforms' SDKs, the scheduler, the learned model, the sources' HTTP
# and feed parsing, schema migrations, the MCP server. Each costs every command a tenth of a second or more
# to import.
HEAVY = (
    "sklearn",
    "scipy",
    "slack_bolt",
    "slack_sdk",
    "discord",
    "apscheduler",
    "httpx",
    "feedparser",
    "alembic",
    "numpy",
    "mcp",  # the MCP SDK and its web server stack: `papers-bot mcp` only
)
PROBE = (
    "import sys\n"
    "from adapters.cli import cli\n"
    "try:\n"
    "    cli(sys.argv[1:], prog_name='papers-bot')\n"
    "finally:\n"
    f"    print('imported:', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        (["say", "terminal:lab", "/papers list"], ""),
        (["find", "attention is all you need"], " numpy"),  # the title index's arrays
        (["digest", "terminal:lab"], ""),
        (["deliver"], ""),  # no platform configured: none of their SDKs, nor the clock or the sources
    ],
    ids=["say-list", "find", "digest", "deliver"],
)
def test_light_commands_import_no_platform_sdk_scheduler_or_model(tmp_path: Path, args: list[str], needed: str) -> None:
    setup = papers_bot(tmp_path, "say", "terminal:lab", "/papers subscribe reinforcement-learning")
    assert setup.returncode == 0, setup.stderr
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=clean_env(tmp_path),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr.splitlines()[-1] == "imported:" + needed
