"""The kinds of value a setting holds (a time, a time zone, a cadence, a URL...), each checked and normalised."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.delivery.schedule import parse_weekday, zone_names
from bot.domain import CADENCES, WEEKDAYS
from bot.errors import BadSchedule
from bot.relevance import categories

KIND = "setting"  # the error type the settings loader recognises as one of ours
SAID = "setting-said"  # ours too, its message the whole rest of the sentence after "NAME=value"
HH_MM = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")
ARXIV_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z\-]+)?$")
SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")
DATABASES = ("sqlite", "postgresql", "postgres")
HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def problem(text: str) -> PydanticCustomError:
    """A bad value, said as the end of the sentence "NAME=value is not ..."."""
    return PydanticCustomError(KIND, text)


def unusable(text: str) -> PydanticCustomError:
    """A value of the right kind that cannot work here, said as the end of the sentence "NAME=value ..."."""
    return PydanticCustomError(SAID, text)


def clock_time(text: str) -> str:
    match = HH_MM.match(text.strip())
    if not match:
        raise problem("a time of day in HH:MM (24-hour clock)")
    return f"{int(match['h']):02d}:{match['m']}"


def time_zone(text: str) -> str:
    name = text.strip()
    if name.upper() == "UTC":
        return "UTC"
    if name not in zone_names():
        raise problem("an IANA time zone name")
    return name


def cadence(text: str) -> str:
    words = text.lower().split()
    if len(words) == 1 and words[0] in CADENCES and words[0] not in ("weekly", "off"):
        return words[0]
    if len(words) == 2 and words[0] == "weekly":
        try:
            return f"weekly {WEEKDAYS[parse_weekday(words[1])]}"
        except BadSchedule:
            pass
    raise problem("a cadence: daily, weekdays or weekly followed by a day")


def items(text: str) -> list[str]:
    """`a, b,,c` -> [a, b, c]: how every comma-separated setting is read."""
    return [item.strip() for item in text.split(",") if item.strip()]


def arxiv_categories(text: str) -> str:
    """Each category checked against arXiv's list and spelt as arXiv does (`cs.lg` -> cs.LG)."""
    found = items(text)
    listed = "a comma-separated list of arXiv categories"
    if not found or not all(ARXIV_CATEGORY.match(item) for item in found):
        raise problem(listed)
    between = [part.strip() for part in text.split(",")][1:-1]  # a comma at either end is harmless; `a,,b` lost one
    faults = ["nothing between two commas"] if "" in between else []
    faults += [
        f"`{item}` is not one, {categories.unknown_because(item)}" for item in found if not categories.known(item)
    ]
    if faults:
        raise problem(f"{listed} ({'; '.join(faults)})")
    return ",".join(categories.known(item) or item for item in found)


def slack_users(text: str) -> str:
    found = items(text)
    if not all(SLACK_USER.match(item) for item in found):
        raise problem("a comma-separated list of Slack user ids")
    return ",".join(found)


def http_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise problem("an http:// or https:// URL")
    return text.strip()


def slack_api_url(text: str) -> str:
    # WebClient joins method names onto the base with urljoin: without the trailing / the last part is lost.
    url = http_url(text)
    return url if url.endswith("/") else url + "/"


def database_url(text: str) -> str:
    try:
        backend = make_url(text.strip()).get_backend_name()
    except (ArgumentError, ValueError):
        backend = ""
    if backend not in DATABASES:
        raise problem("a sqlite:/// or postgresql+psycopg:// database URL")
    from storage.engine import normalise_url  # here: storage's modules read the settings' types

    url = make_url(normalise_url(text.strip()))
    if backend == "sqlite":
        folder = Path(url.database).parent if url.database and url.database != ":memory:" else None
        if folder is not None and not folder.is_dir():  # a typo here would otherwise become a new, empty database
            raise unusable(
                f"names the folder {folder}, which does not exist; create it first, or leave DATABASE_URL unset "
                "for the default database in the user data folder"
            )
        return text.strip()
    try:
        url.get_dialect().import_dbapi()
    except ImportError:
        driver = url.get_driver_name()
        raise unusable(
            "needs the `postgres` extra, which is not installed: pip install 'papers-bot[postgres]'"
            if driver == "psycopg"
            else f"needs the {driver} package, which is not installed; postgresql+psycopg:// works with "
            "pip install 'papers-bot[postgres]'"
        ) from None
    return text.strip()


def email(text: str) -> str:
    local, at, domain = text.strip().partition("@")
    if not (local and at and "." in domain) or " " in text.strip():
        raise problem("an email address")
    return text.strip()


def host(text: str) -> str:
    """An address to listen on: an IPv4 or IPv6 address (without brackets) or a host name."""
    value = text.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if not HOST_NAME.match(value) or value.replace(".", "").isdigit():
        raise problem("an address to listen on, such as 0.0.0.0 (every interface), 127.0.0.1 or ::")
    return value


def lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


ClockTime = Annotated[str, AfterValidator(clock_time)]
TimeZone = Annotated[str, AfterValidator(time_zone)]
Cadence = Annotated[str, AfterValidator(cadence)]
ArxivCategories = Annotated[str, AfterValidator(arxiv_categories)]
SlackUsers = Annotated[str, AfterValidator(slack_users)]
HttpUrl = Annotated[str, AfterValidator(http_url)]
SlackApiUrl = Annotated[str, AfterValidator(slack_api_url)]
DatabaseUrl = Annotated[str, AfterValidator(database_url)]
Email = Annotated[str, AfterValidator(email)]
Host = Annotated[str, AfterValidator(host)]
Lower = BeforeValidator(lower)  # for choices: `Admins` is `admins`
Upper = BeforeValidator(upper)
