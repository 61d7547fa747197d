"""Slack installation tokens at rest: sealed when SLACK_TOKEN_KEY is set, readable as before when it is not."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine

from adapters.slack.installations import PREFIX, EncryptedInstallationStore, TokenKeyProblem

BOT_TOKEN = "xoxb-1111-2222-SECRETbottoken"
USER_TOKEN = "xoxp-1111-2222-SECRETusertoken"
# Rotating tokens are long; sealed, they no longer fit slack_sdk's VARCHAR(200) columns.
REFRESH_TOKEN = "xoxe-1-" + "SECRETrefresh" * 11
KEY = Fernet.generate_key().decode()


def installation(team: str = "T9", bot_token: str = BOT_TOKEN) -> Installation:
    return Installation(
        app_id="A1",
        team_id=team,
        team_name="Nine",
        bot_token=bot_token,
        bot_id="B1",
        bot_user_id="UBOT9",
        bot_scopes="commands,chat:write",
        bot_refresh_token=REFRESH_TOKEN,
        bot_token_expires_in=43_200,
        user_id="U1",
        user_token=USER_TOKEN,
        user_refresh_token=REFRESH_TOKEN,
        user_token_expires_in=43_200,
        installed_at=datetime(2026, 1, 5, 9, tzinfo=UTC).timestamp(),
    )


def store(engine: Engine, key: str | SecretStr | None = KEY) -> EncryptedInstallationStore:
    made = EncryptedInstallationStore(client_id="C1", engine=engine, key=key)
    made.create_tables()
    return made


def raw_rows(engine: Engine, made: SQLAlchemyInstallationStore) -> str:
    """Every value of both tables, as one string to search."""
    with engine.connect() as conn:
        rows = [*conn.execute(sqlalchemy.select(made.bots)), *conn.execute(sqlalchemy.select(made.installations))]
    assert rows
    return " ".join(str(value) for row in rows for value in row)


def test_with_a_key_no_token_is_stored_in_the_clear(engine: Engine) -> None:
    sealed = store(engine, SecretStr(KEY))
    sealed.save(installation())

    stored = raw_rows(engine, sealed)
    assert "SECRET" not in stored and "xox" not in stored
    assert stored.count(PREFIX) == 2 + 4  # the bot row's two tokens, the installation row's four

    bot = sealed.find_bot(enterprise_id=None, team_id="T9")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH_TOKEN
    found = sealed.find_installation(enterprise_id=None, team_id="T9")
    assert found is not None
    assert (found.bot_token, found.user_token, found.user_refresh_token) == (BOT_TOKEN, USER_TOKEN, REFRESH_TOKEN)
    by_user = sealed.find_installation(enterprise_id=None, team_id="T9", user_id="U1")
    assert by_user is not None and by_user.bot_token == BOT_TOKEN and by_user.user_token == USER_TOKEN


def test_saving_leaves_the_callers_installation_as_it_was(engine: Engine) -> None:
    given = installation()
    store(engine).save(given)
    assert given.bot_token == BOT_TOKEN and given.user_token == USER_TOKEN


def test_without_a_key_tokens_are_stored_plain_as_before(engine: Engine) -> None:
    plain = store(engine, key=None)
    plain.save(installation())
    assert BOT_TOKEN in raw_rows(engine, plain) and PREFIX not in raw_rows(engine, plain)
    assert (
        SQLAlchemyInstallationStore(client_id="C1", engine=engine).find_bot(enterprise_id=None, team_id="T9").bot_token
        == BOT_TOKEN
    )  # type: ignore[union-attr]


def test_a_plain_token_stored_before_the_key_was_set_still_reads(engine: Engine) -> None:
    old = SQLAlchemyInstallationStore(client_id="C1", engine=engine)
    old.create_tables()  # the tables as slack_sdk makes them, VARCHAR(200) tokens
    old.save(installation(bot_token="xoxb-old-SECRET"))

    sealed = store(engine)  # widens the columns of the existing tables on PostgreSQL
    assert sealed.find_bot(enterprise_id=None, team_id="T9").bot_token == "xoxb-old-SECRET"  # type: ignore[union-attr]

    sealed.save(installation(team="T10"))  # a new workspace, long refresh token and all, sealed
    assert sealed.find_bot(enterprise_id=None, team_id="T10").bot_refresh_token == REFRESH_TOKEN  # type: ignore[union-attr]
    assert BOT_TOKEN not in raw_rows(engine, sealed)


def test_a_sealed_token_without_its_key_is_a_clear_refusal(engine: Engine) -> None:
    store(engine).save(installation())

    with pytest.raises(TokenKeyProblem) as missing:
        store(engine, key=None).find_bot(enterprise_id=None, team_id="T9")
    with pytest.raises(TokenKeyProblem) as wrong:
        store(engine, key=Fernet.generate_key().decode()).find_installation(enterprise_id=None, team_id="T9")
    for refusal in (missing.value, wrong.value):
        assert "SLACK_TOKEN_KEY" in refusal.message and PREFIX not in refusal.message
        assert refusal.message.endswith((".", "?")) and "\n" not in refusal.message


def test_a_key_that_is_not_a_fernet_key_is_refused_in_one_sentence(engine: Engine) -> None:
    with pytest.raises(TokenKeyProblem) as refusal:
        EncryptedInstallationStore(client_id="C1", engine=engine, key="not-a-key")
    assert "Fernet" in refusal.value.message and "not-a-key" not in refusal.value.message
