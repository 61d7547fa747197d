"""Settings are checked at start: a bad one is one sentence naming the variable and a good value, status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.modes import missing
from bot.app import build_app
from bot.config import BadSettings, Settings, load_settings
from tests.chat import Chat

PAPERS_BOT = Path(sys.executable).parent / "papers-bot"
OURS = tuple(name.upper() for name in Settings.model_fields)


def papers_bot(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    clean |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}"} | env
    return subprocess.run(
        [str(PAPERS_BOT), *args],
        env=clean,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def problems(**values: object) -> list[str]:
    with pytest.raises(BadSettings) as bad:
        load_settings(_env_file=None, **values)
    return bad.value.problems


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        (
            "default_schedule_tz",
            "Mars/Olympus",
            "DEFAULT_SCHEDULE_TZ=Mars/Olympus is not an IANA time zone name; for example DEFAULT_SCHEDULE_TZ=Europe/Paris.",
        ),
        (
            "default_schedule_tz",
            "localtime",  # the host's own zone: no place, and not the same on every host
            "DEFAULT_SCHEDULE_TZ=localtime is not an IANA time zone name; for example DEFAULT_SCHEDULE_TZ=Europe/Paris.",
        ),
        (
            "default_schedule_time",
            "9am",
            "DEFAULT_SCHEDULE_TIME=9am is not a time of day in HH:MM (24-hour clock); for example DEFAULT_SCHEDULE_TIME=09:00.",
        ),
        (
            "default_schedule_cadence",
            "monthly",
            "DEFAULT_SCHEDULE_CADENCE=monthly is not a cadence: daily, weekdays or weekly followed by a day; "
            "for example DEFAULT_SCHEDULE_CADENCE=weekly friday.",
        ),
        (
            "default_schedule_cadence",
            "weekly someday",
            "DEFAULT_SCHEDULE_CADENCE=weekly someday is not a cadence: daily, weekdays or weekly followed by a day; "
            "for example DEFAULT_SCHEDULE_CADENCE=weekly friday.",
        ),
        (
            "ingest_arxiv_at",
            "25:00",
            "INGEST_ARXIV_AT=25:00 is not a time of day in HH:MM (24-hour clock); for example INGEST_ARXIV_AT=05:30.",
        ),
        (
            "slack_changes_by",
            "owners",
            "SLACK_CHANGES_BY=owners is not valid (input should be 'anyone' or 'admins'); for example SLACK_CHANGES_BY=admins.",
        ),
        (
            "arxiv_categories",
            "cs.LG; cs.AI",
            "ARXIV_CATEGORIES=cs.LG; cs.AI is not a comma-separated list of arXiv categories; "
            "for example ARXIV_CATEGORIES=cs.LG,cs.AI,stat.ML.",
        ),
        (
            "arxiv_categories",
            "cs.LG,,bogus",
            "ARXIV_CATEGORIES=cs.LG,,bogus is not a comma-separated list of arXiv categories (nothing between two "
            "commas; `bogus` is not one, arXiv lists them at https://arxiv.org/category_taxonomy); "
            "for example ARXIV_CATEGORIES=cs.LG,cs.AI,stat.ML.",
        ),
        (
            "arxiv_categories",
            "cs.LG,cs.XX,stat.LGG",
            "ARXIV_CATEGORIES=cs.LG,cs.XX,stat.LGG is not a comma-separated list of arXiv categories (`cs.XX` is not "
            "one, arXiv lists them at https://arxiv.org/category_taxonomy; `stat.LGG` is not one, did you mean "
            "stat.ML?); for example ARXIV_CATEGORIES=cs.LG,cs.AI,stat.ML.",
        ),
        (
            "slack_admins",
            "ana,bob",
            "SLACK_ADMINS=ana,bob is not a comma-separated list of Slack user ids; for example SLACK_ADMINS=U012AB3CD,U045EF6GH.",
        ),
        (
            "hf_api_url",
            "huggingface.co",
            "HF_API_URL=huggingface.co is not an http:// or https:// URL; for example HF_API_URL=https://huggingface.co.",
        ),
        (
            "port",
            "eighty",
            "PORT=eighty is not valid (input should be a valid integer, unable to parse string as an integer); "
            "for example PORT=3000.",
        ),
        (
            "port",
            "70000",
            "PORT=70000 is not valid (input should be less than or equal to 65535); for example PORT=3000.",
        ),
        (
            "digest_cap",
            "0",
            "DIGEST_CAP=0 is not valid (input should be greater than or equal to 1); for example DIGEST_CAP=10.",
        ),
        (
            "db_auto_upgrade",
            "perhaps",
            "DB_AUTO_UPGRADE=perhaps is not valid (input should be a valid boolean, unable to interpret input); "
            "for example DB_AUTO_UPGRADE=false.",
        ),
        (
            "log_format",
            "xml",
            "LOG_FORMAT=xml is not valid (input should be 'text' or 'json'); for example LOG_FORMAT=json.",
        ),
        (
            "contact_email",
            "nobody",
            "CONTACT_EMAIL=nobody is not an email address; for example CONTACT_EMAIL=you@your-lab.org.",
        ),
    ],
)
def test_a_bad_value_is_one_sentence_naming_the_variable_and_a_good_value(name: str, value: str, said: str) -> None:
    assert problems(**{name: value}) == [said]


def test_a_database_url_is_checked_without_showing_its_password() -> None:
    [said] = problems(database_url="mysql://papers:hunter2@db/papers")
    assert said == (
        "DATABASE_URL=mysql://papers:***@db/papers is not a sqlite:/// or postgresql+psycopg:// database URL; "
        "for example DATABASE_URL=postgresql+psycopg://papers@db:5432/papers."
    )


def test_a_bad_token_key_is_refused_without_showing_it() -> None:
    [said] = problems(slack_token_key="not-a-fernet-key-but-secret")
    assert said.startswith("SLACK_TOKEN_KEY=(the value set) is not a Fernet key; make one with `python -c")
    assert "not-a-fernet-key-but-secret" not in said


def test_a_topics_file_that_is_not_there_is_refused(tmp_path: Path) -> None:
    assert problems(topics_file=tmp_path / "nope.toml") == [
        f"TOPICS_FILE={tmp_path / 'nope.toml'} is not a file that exists; "
        "for example TOPICS_FILE=/etc/papers-bot/topics.toml."
    ]


def test_good_values_are_read_the_forgiving_way() -> None:
    settings = load_settings(
        _env_file=None,
        default_schedule_time="9:05",
        default_schedule_tz="utc",
        default_schedule_cadence="Weekly Fri",
        slack_changes_by="Admins",
        arxiv_categories=" cs.lg, cs.AI ,",
        slack_admins="U1, W2",
        slack_api_url="http://127.0.0.1:9/api",
        log_level="debug",
    )
    assert (settings.default_schedule_time, settings.default_schedule_tz, settings.default_schedule_cadence) == (
        "09:05",
        "UTC",
        "weekly friday",
    )
    assert settings.slack_changes_by == "admins" and settings.log_level == "DEBUG"
    assert settings.arxiv_category_list == ["cs.LG", "cs.AI"] and settings.slack_admin_ids == ["U1", "W2"]
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"  # WebClient's urljoin needs the slash


def test_an_empty_variable_means_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "DISCORD_GUILD_ID", "DEFAULT_SCHEDULE_TZ", "SLACK_BOT_TOKEN"):
        monkeypatch.setenv(name, "")  # what `NAME=` in an env file or compose's environment gives
    settings = load_settings(_env_file=None)
    assert settings.port is None and settings.discord_guild_id is None and settings.default_schedule_tz == "UTC"
    assert settings.slack_bot_token is None


def test_the_default_cadence_may_be_weekly_on_a_day(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        default_schedule_time="07:15",
        default_schedule_tz="Europe/Berlin",
        default_schedule_cadence="weekly friday",
    )
    app = build_app(settings)
    try:
        chat = Chat(app)
        chat.say("/papers subscribe reinforcement-learning")
        assert "every Friday at 07:15 Europe/Berlin" in chat.say("/papers list")
    finally:
        app.engine.dispose()


def test_the_command_line_names_every_bad_variable_and_exits_2(tmp_path: Path) -> None:
    run = papers_bot(
        ["say", "terminal:lab", "/papers list"],
        tmp_path,
        DEFAULT_SCHEDULE_TZ="Mars/Olympus",
        DEFAULT_SCHEDULE_TIME="9am",
        DEFAULT_SCHEDULE_CADENCE="monthly",
    )

    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "DEFAULT_SCHEDULE_TIME=9am is not a time of day in HH:MM (24-hour clock); for example DEFAULT_SCHEDULE_TIME=09:00.",
        "DEFAULT_SCHEDULE_TZ=Mars/Olympus is not an IANA time zone name; for example DEFAULT_SCHEDULE_TZ=Europe/Paris.",
        "DEFAULT_SCHEDULE_CADENCE=monthly is not a cadence: daily, weekdays or weekly followed by a day; "
        "for example DEFAULT_SCHEDULE_CADENCE=weekly friday.",
    ]
    assert run.stdout == "" and not (tmp_path / "papers.db").exists()  # refused before anything was touched


def test_categories_arxiv_does_not_have_are_refused_at_start_in_one_sentence(tmp_path: Path) -> None:
    run = papers_bot(["say", "terminal:lab", "/papers list"], tmp_path, ARXIV_CATEGORIES="cs.LG,cs.LGG")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "ARXIV_CATEGORIES=cs.LG,cs.LGG is not a comma-separated list of arXiv categories (`cs.LGG` is not one, "
        "did you mean cs.LG?); for example ARXIV_CATEGORIES=cs.LG,cs.AI,stat.ML."
    ]


def test_db_upgrade_and_run_refuse_bad_settings_too(tmp_path: Path) -> None:
    for args in (["db", "upgrade"], ["run", "--only", "scheduler"], ["health"]):
        run = papers_bot(args, tmp_path, SCHEDULER_TICK_MINUTES="0")
        assert run.returncode == 2, args
        assert run.stderr.splitlines()[-1] == (
            "SCHEDULER_TICK_MINUTES=0 is not valid (input should be greater than or "
            "equal to 1); for example SCHEDULER_TICK_MINUTES=5."
        ), args
        assert "Traceback" not in run.stderr


# --- each mode says what it is missing ----------------------------------------------------------


def settings_with(**values: object) -> Settings:
    return Settings(_env_file=None, database_url="sqlite://", **values)  # type: ignore[arg-type]


def test_only_slack_without_credentials_names_both_ways_to_run_it() -> None:
    assert missing(settings_with(), "slack") == [
        "`--only slack` needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode), or PORT, SLACK_SIGNING_SECRET and "
        "either SLACK_BOT_TOKEN or SLACK_CLIENT_ID with SLACK_CLIENT_SECRET (HTTP mode); none of them is set."
    ]


def test_http_mode_with_a_signing_secret_but_no_token_or_client_id_is_refused() -> None:
    assert missing(settings_with(port=3000, slack_signing_secret="s"), "slack") == [
        "Slack HTTP mode needs SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (the OAuth "
        "install flow, many workspaces); neither is set, so no command could be answered."
    ]


def test_oauth_needs_both_halves_and_socket_mode_needs_the_bot_token() -> None:
    assert missing(settings_with(port=3000, slack_signing_secret="s", slack_client_id="1.2"), "slack") == [
        "Slack's OAuth install flow needs SLACK_CLIENT_SECRET as well as SLACK_CLIENT_ID (Basic Information > App "
        "Credentials)."
    ]
    assert missing(settings_with(slack_app_token="xapp-1"), "slack") == [
        "Slack Socket Mode needs SLACK_BOT_TOKEN (the xoxb- token, OAuth & Permissions) as well as SLACK_APP_TOKEN."
    ]
    assert missing(settings_with(slack_app_token="xapp-1", slack_bot_token="xoxb-1"), "slack") == []
    assert (
        missing(
            settings_with(port=3000, slack_signing_secret="s", slack_client_id="1.2", slack_client_secret="c"), "slack"
        )
        == []
    )


def test_only_discord_without_a_token_names_it() -> None:
    assert missing(settings_with(), "discord") == [
        "`--only discord` needs DISCORD_TOKEN (Bot > Token at discord.com/developers/applications)."
    ]
    assert missing(settings_with(), "scheduler") == []


@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["run", "--only", "slack"], {}, "`--only slack` needs SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode)"),
        (["run", "--only", "discord"], {}, "`--only discord` needs DISCORD_TOKEN"),
        (["run"], {"PORT": "0", "SLACK_SIGNING_SECRET": "s"}, "Slack HTTP mode needs SLACK_BOT_TOKEN (one workspace)"),
    ],
    ids=["only-slack", "only-discord", "port-and-secret"],
)
def test_run_refuses_a_part_that_would_do_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], said: str
) -> None:
    run = papers_bot(args, tmp_path, **env)
    assert run.returncode == 2
    assert run.stderr.startswith(said) and len(run.stderr.splitlines()) == 1
    assert not (tmp_path / "papers.db").exists()
