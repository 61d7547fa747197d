"""Installing the app into a workspace over OAuth, stored in our database, then used by its commands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.app import App
from tests.slack_api import SECRET, SlackAPI, signed_headers
from tests.slack_web import WebProcess
from tests.test_slack_app import fresh_stand_in, slack_app
from tests.test_slack_http import command_body, eventually

CLIENT_ID = "1111.2222"


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(database_url: str, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(
        database_url,
        slack,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret="client-secret",
        slack_changes_by="admins",
    )


@pytest.fixture
def running(papers: App, slack: SlackAPI, tmp_path: Path) -> Iterator[WebProcess]:
    env = {
        "DATABASE_URL": papers.settings.database_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": "client-secret",
        "SLACK_CHANGES_BY": "admins",
    }
    with WebProcess(env, cwd=tmp_path) as web:
        yield web


def manifest_scopes() -> list[str]:
    manifest = (Path(__file__).parents[1] / "slack" / "manifest.yml").read_text()
    block = manifest.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    return re.findall(r"^\s+- ([a-z_:.]+)", block, re.M)


def install(running: WebProcess, code: str = "one-time-code") -> tuple[int, str]:
    """A browser's trip: /slack/install -> Slack's consent page (skipped) -> /slack/oauth_redirect."""
    status, headers, _ = running.request("GET", "/slack/install")
    assert status == 302
    consent = urlparse(headers["location"])
    assert consent.path == "/oauth/v2/authorize" and parse_qs(consent.query)["client_id"] == [CLIENT_ID]
    assert parse_qs(consent.query)["scope"][0].split(",") == manifest_scopes()
    state = parse_qs(consent.query)["state"][0]
    cookie = SimpleCookie(headers["set-cookie"])
    assert cookie["slack-app-oauth-state"].value == state
    status, _, page = running.request(
        "GET", f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": f"slack-app-oauth-state={state}"}
    )
    return status, page


def test_an_install_is_stored_in_our_database_and_its_token_used_by_later_commands(
    papers: App, running: WebProcess, slack: SlackAPI
) -> None:
    slack.state.admins.add("U7")
    status, _ = install(running)
    assert status == 200
    [exchange] = slack.state.calls_to("oauth.v2.access")
    assert exchange["code"] == "one-time-code"

    bot = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=papers.engine).find_bot(
        enterprise_id=None, team_id="T9"
    )
    assert bot is not None and bot.bot_token == "xoxb-installed-T9"

    body = command_body(slack, "subscribe robotics", team="T9", user="U7", name="respond/t9")
    assert running.request("POST", "/slack/events", body, signed_headers(body))[0] == 200
    posted = eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/t9"])
    assert posted[0]["text"].startswith("<@U7> subscribed this channel to `robotics`")
    assert slack.state.token_for("users.info") == ["xoxb-installed-T9"]  # the admin check ran as that workspace's bot
    assert "one-time-code" not in running.stderr  # no access log: the redirect's query holds the code


def test_a_state_is_good_for_one_install_only(running: WebProcess, slack: SlackAPI) -> None:
    _status, headers, _ = running.request("GET", "/slack/install")
    state = parse_qs(urlparse(headers["location"]).query)["state"][0]
    path, cookie = f"/slack/oauth_redirect?code=c&state={state}", {"Cookie": f"slack-app-oauth-state={state}"}
    assert running.request("GET", path, headers=cookie)[0] == 200
    assert running.request("GET", path, headers=cookie)[0] != 200  # replayed: the state was consumed
    assert running.request("GET", "/slack/oauth_redirect?code=c&state=forged", headers={"Cookie": "x=y"})[0] != 200
    assert len(slack.state.calls_to("oauth.v2.access")) == 1


def test_a_workspace_that_never_installed_is_asked_to_install(running: WebProcess, slack: SlackAPI) -> None:
    body = command_body(slack, "help", team="T404", name="respond/t404")
    assert running.request("POST", "/slack/events", body, signed_headers(body))[0] == 200
    posted = eventually(lambda: [r for r in slack.state.responses if r["url"] == "respond/t404"])
    assert posted[0]["text"].startswith("papers-bot is not installed in this workspace")
