"""The bolt App built from every mix of Slack settings: as configured, and without a warning at start."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from adapters.slack.app import build_slack_app
from bot.app import build_app
from bot.config import load_settings

TOKEN = "xoxb-from-the-environment"
OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-secret"}
COMPOSE_BLANKS = {"SLACK_CLIENT_ID": "", "SLACK_CLIENT_SECRET": ""}  # `.env`'s empty lines, passed by compose

COMBINATIONS = {
    "bot token": ({"SLACK_BOT_TOKEN": TOKEN}, TOKEN, False),
    "bot token, blank OAuth lines": ({"SLACK_BOT_TOKEN": TOKEN} | COMPOSE_BLANKS, TOKEN, False),
    "bot token and OAuth": ({"SLACK_BOT_TOKEN": TOKEN} | OAUTH, None, True),
    "OAuth": (OAUTH, None, True),
    "no token: answers through response_url": ({}, None, False),
    "blank OAuth lines only": (COMPOSE_BLANKS, None, False),
    "socket mode": ({"SLACK_BOT_TOKEN": TOKEN, "SLACK_APP_TOKEN": "xapp-1"}, TOKEN, False),
}


@pytest.mark.parametrize(("env", "token", "oauth"), COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_the_app_starts_as_configured_and_logs_no_warning(
    env: dict[str, str],
    token: str | None,
    oauth: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in [name for name in os.environ if name.startswith("SLACK_")]:
        monkeypatch.delenv(name)
    for name, value in (env | {"SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/"}).items():
        monkeypatch.setenv(name, value)  # as a process is started: settings from the environment
    monkeypatch.chdir(tmp_path)  # no .env of the working copy
    app = build_app(load_settings(database_url=f"sqlite:///{tmp_path / 'papers.db'}"), seed=False)

    with caplog.at_level(logging.INFO):
        bolt = build_slack_app(app)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert bolt.client.token == token and (bolt.oauth_flow is not None) == oauth
    assert bolt.client.base_url == "http://127.0.0.1:9/"  # SLACK_API_URL, whichever way it was built
    assert {name: os.environ.get(name) for name in env} == env  # the environment is as it was
