"""Slack installations in our database, their tokens encrypted (Fernet) when SLACK_TOKEN_KEY is set."""

from __future__ import annotations

import copy
import logging
from typing import Any

import sqlalchemy
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine

from bot.errors import PapersError

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"  # marks a sealed value; a value without it is a plain token stored before a key was set
BOT_TOKENS = ("bot_token", "bot_refresh_token")
USER_TOKENS = ("user_token", "user_refresh_token")
# slack_sdk makes these VARCHAR(200); a sealed rotating token (~150 characters in) is ~300 out.
WIDE = {"slack_bots": BOT_TOKENS, "slack_installations": BOT_TOKENS + USER_TOKENS}


class TokenKeyProblem(PapersError):
    """A stored token cannot be read: sealed with a key that is missing or different."""


class TokenCipher:
    """Seals and opens token strings; with no key it passes them through, as before encryption existed."""

    def __init__(self, key: SecretStr | str | bytes | None) -> None:
        if isinstance(key, SecretStr):
            key = key.get_secret_value()
        try:
            self.fernet = Fernet(key) if key else None
        except ValueError as error:
            raise TokenKeyProblem(
                "SLACK_TOKEN_KEY is not a Fernet key; make one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            ) from error

    def seal(self, token: str | None) -> str | None:
        if not token or self.fernet is None or token.startswith(PREFIX):
            return token
        return PREFIX + self.fernet.encrypt(token.encode()).decode()

    def open(self, value: str | None) -> str | None:
        if not value or not value.startswith(PREFIX):
            return value
        if self.fernet is None:
            raise TokenKeyProblem(
                "The stored Slack tokens are encrypted; set SLACK_TOKEN_KEY to the key that sealed them."
            )
        try:
            return self.fernet.decrypt(value.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            # The message names no token and no ciphertext: it ends up in logs.
            raise TokenKeyProblem(
                "A stored Slack token does not open with SLACK_TOKEN_KEY; is it the key that sealed it?"
            ) from None


def _with(entity: Any, fields: tuple[str, ...], change: Any) -> Any:
    """A copy of a Bot or Installation with `change` applied to its token fields (the caller's stays as it was)."""
    changed = copy.copy(entity)
    for name in fields:
        setattr(changed, name, change(getattr(changed, name, None)))
    return changed


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store whose bot, user and refresh tokens are sealed at rest when a key is given."""

    def __init__(
        self, client_id: str, engine: Engine, key: SecretStr | str | bytes | None = None, **kwargs: Any
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, **kwargs)
        self.cipher = TokenCipher(key)
        for table in (self.bots, self.installations):
            for name in BOT_TOKENS + USER_TOKENS:
                if name in table.c:
                    table.c[name].type = sqlalchemy.Text()

    def create_tables(self) -> None:
        super().create_tables()
        if self.engine.dialect.name != "postgresql":
            return  # SQLite does not enforce VARCHAR lengths
        # Tables made earlier by the plain store hold VARCHAR(200); TEXT is binary-compatible, so no rewrite.
        with self.engine.begin() as conn:
            for table in (self.bots, self.installations):
                for name in BOT_TOKENS + USER_TOKENS:
                    if name in table.c:
                        conn.execute(sqlalchemy.text(f'ALTER TABLE {table.name} ALTER COLUMN "{name}" TYPE TEXT'))

    def save(self, installation: Installation) -> None:
        # super().save also calls self.save_bot with the sealed copy's bot; seal() leaves sealed values alone.
        super().save(_with(installation, BOT_TOKENS + USER_TOKENS, self.cipher.seal))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(_with(bot, BOT_TOKENS, self.cipher.seal))

    def find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        bot = super().find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return _with(bot, BOT_TOKENS, self.cipher.open) if bot is not None else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        installation = super().find_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
        )
        if installation is None:
            return None
        return _with(installation, BOT_TOKENS + USER_TOKENS, self.cipher.open)
