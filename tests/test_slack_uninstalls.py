"""A workspace uninstalls the app or revokes its token: installation gone, its channels paused and saying why; a reinstall resumes them."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import slack_bolt
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import build_slack_app, installation_store
from adapters.slack.uninstalls import REVOKED, UNINSTALLED
from adapters.wiring import delivery_pass
from bot.app import App, build_app
from bot.domain import Actor, ChannelRef
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, app_uninstalled, event_body, signed_headers, tokens_revoked
from tests.test_slack_app import RunAtOnce, fresh_stand_in, slack_app, slack_settings

NINE = "T9"  # the workspace the stand-in's oauth.v2.access installs
ANA = Actor("U1", "ana")


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(database_url: str, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(
        database_url, slack, slack_bot_token=None, slack_client_id="1111.2222", slack_client_secret="client-secret"
    )


@pytest.fixture
def bolt(papers: App) -> slack_bolt.App:
    return build_slack_app(papers, executor=RunAtOnce())


def install(bolt: slack_bolt.App, code: str = "one-time-code") -> BoltResponse:
    """The browser's trip through /slack/install and /slack/oauth_redirect, in-process."""
    start = bolt.oauth_flow.handle_installation(BoltRequest(body="", query=""))  # type: ignore[union-attr]
    state = parse_qs(urlparse(start.headers["location"][0]).query)["state"][0]
    return bolt.oauth_flow.handle_callback(
        BoltRequest(  # type: ignore[union-attr]
            body="", query=f"code={code}&state={state}", headers={"cookie": f"slack-app-oauth-state={state}"}
        )
    )


def send_event(bolt: slack_bolt.App, event: dict[str, object], team: str = NINE) -> int:
    body = event_body(event, team=team)
    return bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))).status


def paused(papers: App, channel: ChannelRef) -> str | None:
    with UnitOfWork(papers.engine) as uow:
        row = uow.channels.get(channel)
        return row.paused_reason if row else None


def subscribe(papers: App, *channels: ChannelRef) -> None:
    for channel in channels:
        papers.service.answer(channel, ANA, "/papers subscribe reinforcement-learning")


LAB, READING = ChannelRef("slack", NINE, "C1"), ChannelRef("slack", NINE, "C2")
ELSEWHERE, GONE = ChannelRef("slack", "T1", "C1"), ChannelRef("slack", NINE, "C3")


def test_an_uninstall_deletes_the_tokens_and_pauses_the_workspace_until_it_installs_again(
    papers: App, bolt: slack_bolt.App, slack: SlackAPI
) -> None:
    assert install(bolt).status == 200
    subscribe(papers, LAB, READING, GONE)
    with UnitOfWork(papers.engine) as uow:
        uow.channels.pause(GONE, "channel_not_found")
        uow.commit()
    delivery_pass(papers, force=True)
    assert set(slack.state.token_for("chat.postMessage")) == {"xoxb-installed-T9"}
    assert set(slack.state.messages) == {"C1", "C2"}
    subscribe(papers, ELSEWHERE)  # another workspace

    slack.state.installed.clear()  # Slack forgets the token, then tells the app
    assert send_event(bolt, app_uninstalled()) == 200
    assert installation_store(papers.settings, papers.engine).find_bot(enterprise_id=None, team_id=NINE) is None
    assert paused(papers, LAB) == paused(papers, READING) == UNINSTALLED
    assert paused(papers, GONE) == "channel_not_found" and paused(papers, ELSEWHERE) is None
    status = papers.service.answer(LAB, ANA, "/papers status")
    assert "uninstalled" in str(status.paused)

    posts = len(slack.state.calls_to("chat.postMessage"))
    delivery_pass(papers, force=True)
    assert len(slack.state.calls_to("chat.postMessage")) == posts  # the old token is not used

    assert install(bolt, code="second-code").status == 200
    assert paused(papers, LAB) is None and paused(papers, READING) is None
    assert paused(papers, GONE) == "channel_not_found"  # paused for its own reason: stays paused


def test_revoking_the_bots_token_pauses_revoking_a_users_does_not(papers: App, bolt: slack_bolt.App) -> None:
    install(bolt)
    subscribe(papers, LAB)
    assert send_event(bolt, tokens_revoked(bot=False, users=("U1",))) == 200
    assert paused(papers, LAB) is None
    assert send_event(bolt, tokens_revoked(bot=True)) == 200
    assert paused(papers, LAB) == REVOKED
    assert installation_store(papers.settings, papers.engine).find_bot(enterprise_id=None, team_id=NINE) is None


def test_with_one_bot_token_an_uninstall_is_answered_and_pauses_too(database_url: str, slack: SlackAPI) -> None:
    app = build_app(slack_settings(database_url, slack))
    try:
        one = build_slack_app(app, executor=RunAtOnce())
        subscribe(app, ELSEWHERE)
        assert send_event(one, app_uninstalled(), team="T1") == 200  # not 404: Slack would retry it
        assert paused(app, ELSEWHERE) == UNINSTALLED
        app.service.answer(ELSEWHERE, ANA, "/papers schedule 08:00")  # as before: a change resumes a paused channel
        assert paused(app, ELSEWHERE) is None
    finally:
        app.engine.dispose()
