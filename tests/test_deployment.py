"""The deployment files agree with each other and with the code (Docker is not run here: they are read)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from adapters.health import PROCESSES
from adapters.modes import missing
from bot.config import Settings

ROOT = Path(__file__).parent.parent
SETTINGS = [name.upper() for name in Settings.model_fields]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_the_procfile_processes_with_the_same_commands() -> None:
    services = compose()["services"]
    ours = {name: service for name, service in services.items() if name != "db"}
    assert {name: service["command"] for name, service in ours.items()} == procfile()
    assert set(procfile()) == set(PROCESSES)  # and `papers-bot health NAME` knows each of them


def test_each_process_has_its_health_check_and_waits_for_a_healthy_database() -> None:
    services = compose()["services"]
    assert (
        services["db"]["healthcheck"]["test"][0] == "CMD-SHELL"
        and "pg_isready" in services["db"]["healthcheck"]["test"][1]
    )
    for name in procfile():
        service = services[name]
        assert service["healthcheck"]["test"] == ["CMD", "papers-bot", "health", name], name
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://papers:"), name
        assert service["env_file"] == ".env" and service["restart"] == "unless-stopped", name
        assert service["stop_grace_period"], name  # time to finish the message in hand after SIGTERM


def test_the_web_process_is_slack_in_http_mode_and_volumes_are_declared() -> None:
    spec = compose()
    web = spec["services"]["web"]
    assert web["environment"]["PORT"] == "3000" and web["ports"] == ["3000:3000"]
    used = {mount.split(":", 1)[0] for service in spec["services"].values() for mount in service.get("volumes", [])}
    assert used == set(spec["volumes"]) == {"postgres-data", "find-index"}


def test_a_platform_process_starts_only_under_its_profile_so_none_crash_loops_without_credentials() -> None:
    # `run --only PART` exits 2 when PART lacks its credentials; restarted (unless-stopped), it would loop.
    services = compose()["services"]
    bare = Settings(_env_file=None, database_url="sqlite://")  # type: ignore[call-arg]  # no credentials at all
    for name, service in services.items():
        part = service["command"].rsplit(" ", 1)[-1] if name != "db" else None
        port = service.get("environment", {}).get("PORT")
        needs = bool(part and missing(bare.model_copy(update={"port": int(port) if port else None}), part))
        assert bool(service.get("profiles")) == needs, name
    assert services["web"]["profiles"] == ["slack"] and services["worker"]["profiles"] == ["discord"]
    example = (ROOT / ".env.example").read_text()
    assert re.search(r"^COMPOSE_PROFILES=slack,discord$", example, flags=re.M)  # both, once credentials are set
    readme = (ROOT / "README.md").read_text()
    assert "COMPOSE_PROFILES" in readme and "--profile" in readme


def test_the_volume_folder_exists_and_belongs_to_the_user_before_it_is_declared() -> None:
    # A named volume is first filled from the image's folder, owner included; a folder VOLUME makes is root's.
    lines = (ROOT / "Dockerfile").read_text().split("FROM ")[-1].replace("\\\n", " ").splitlines()
    [volume_at] = [n for n, line in enumerate(lines) if line.startswith("VOLUME")]
    [folder] = re.findall(r'"([^"]+)"', lines[volume_at])
    user_at = next(n for n, line in enumerate(lines) if line.strip() == "USER papers")

    def made_for_the_user(n: int, line: str) -> bool:
        if not line.startswith("RUN"):
            return False
        owned = re.search(rf"install -d -o papers -g papers [^&]*{re.escape(folder)}(\s|$)", line)
        made_as_user = n > user_at and re.search(rf"mkdir -p [^&]*{re.escape(folder)}(\s|$)", line)
        return bool(owned or made_as_user)

    assert any(made_for_the_user(n, line) for n, line in enumerate(lines[:volume_at])), folder
    parent = str(Path(folder).parent)
    assert parent == "/home/papers" or any(re.search(rf"-o papers [^&]*{re.escape(parent)}\s", line) for line in lines)
    mounts = {
        m.split(":", 1)[1] for s in compose()["services"].values() for m in s.get("volumes", []) if "find-index" in m
    }
    assert mounts == {folder}  # compose mounts the volume where the image made it


def test_the_image_is_built_in_two_stages_and_runs_as_a_user_without_build_tools() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    assert (
        len(stages) == 2
        and stages[0].startswith("python:3.11-slim AS builder")
        and stages[1].startswith("python:3.11-slim")
    )
    builder, final = stages
    assert "pip wheel" in builder and "constraints.txt" in builder
    assert "--no-index" in final and "papers_bot-*.whl)[postgres]" in final  # only the wheels built above
    assert not re.search(r"apt-get|gcc|build-essential|COPY (bot|adapters|storage)", final)
    assert re.search(r"^USER papers$", final, flags=re.M) and "useradd" in final
    assert "HEALTHCHECK" in final and 'CMD ["papers-bot", "run"]' in final
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git"} <= set(ignored)  # no secret or local environment in the build context


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.M))
    assert [name for name in SETTINGS if name not in listed] == []
    assert listed - set(SETTINGS) == {"POSTGRES_PASSWORD", "COMPOSE_PROFILES"}  # compose's own, said so in the file


def test_the_readme_table_lists_every_setting() -> None:
    table = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    named = {name for line in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])}
    assert [name for name in SETTINGS if name not in named] == []


def test_ci_runs_the_readme_test_command_verbatim_with_the_constraints() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    readme = (ROOT / "README.md").read_text()
    assert f"    {command}\n" in readme
    assert "-c constraints.txt" in command  # CI installs the versions it was tested with


def test_the_licence_is_the_one_the_package_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and (ROOT / "LICENSE").read_text().startswith("MIT License")
