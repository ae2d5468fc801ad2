"""The deployment files say what self-hosting relies on: the image runs the bot as a non-root
user with its data on a volume and a healthcheck, compose wires the token and Ollama, the
systemd unit restarts on failure with the token from its environment file, and the commands
they run are the bot's own. deploy/check.sh adds hadolint and systemd-analyze where present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import parse_settings
from tests.deploy_files import (
    COMPOSE,
    DOCKERFILE,
    ENV_EXAMPLE,
    REPO,
    UNIT,
    DeployFileError,
    Instruction,
    dockerfile_instructions,
    exec_form,
    final_stage,
    healthcheck_command,
    image_commands,
    only,
    unit_settings,
)
from tests.test_cli import run_cli

DATA = "/data"
IMAGE_CONFIG = "/data/config.toml"


def image() -> list[Instruction]:
    return final_stage(dockerfile_instructions())


def load_compose() -> dict[str, object]:
    yaml = pytest.importorskip("yaml", reason="PyYAML reads compose.yaml (in the dev extras)")
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict), "compose.yaml must be a mapping"
    return document


# ---- Dockerfile -------------------------------------------------------------------------------


def test_the_image_is_a_slim_python_that_the_bot_supports() -> None:
    base = only(image(), "FROM").arguments.split()[0]
    assert re.fullmatch(r"python:3\.1[1-3]-slim(-\w+)?", base), base


def test_the_image_runs_the_bot_as_a_non_root_user() -> None:
    users = [i for i in image() if i.keyword == "USER"]
    assert users, "the image must switch to a non-root USER"
    user = users[-1].arguments.split(":")[0]
    assert user not in ("root", "0"), user
    entrypoint = only(image(), "ENTRYPOINT")
    assert users[-1].line < entrypoint.line


def test_the_bot_starts_in_exec_form_so_sigterm_reaches_python() -> None:
    commands = image_commands()
    assert commands["entrypoint"] == ["python", "-m", "bot"]
    assert commands["run"] == ["python", "-m", "bot", "run", "--config", IMAGE_CONFIG]
    assert only(image(), "STOPSIGNAL").arguments == "SIGTERM"


def test_the_healthcheck_asks_the_bot_about_the_config_it_runs_with() -> None:
    options, command = healthcheck_command(only(image(), "HEALTHCHECK"))
    assert command == ["python", "-m", "bot", "health", "--config", IMAGE_CONFIG]
    # Checked at least as often as the heartbeat's 90 s limit, with time to start.
    assert options.keys() >= {"interval", "timeout", "start-period", "retries"}


def test_the_data_lives_on_a_volume_the_user_owns() -> None:
    volume = only(image(), "VOLUME")
    assert DATA in exec_form(volume)
    assert only(image(), "WORKDIR").arguments == DATA
    setup = " ".join(i.arguments for i in image() if i.keyword == "RUN")
    assert re.search(r"install -d -o (\S+) -g \S+ .*" + DATA, setup), "create /data for the user"


def test_the_image_installs_the_package_without_dev_extras() -> None:
    runs = " ".join(i.arguments for i in dockerfile_instructions() if i.keyword == "RUN")
    assert re.search(r"pip install \.(\s|$)", runs), "pip install . (no -e, no extras)"
    assert "[dev" not in runs


def test_the_build_context_holds_what_the_build_copies_and_no_secrets() -> None:
    allowed = [
        line[1:].rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    rules = [
        line
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", ".dockerignore must start by excluding everything"
    copied = [
        source.rstrip("/")
        for i in dockerfile_instructions()
        if i.keyword == "COPY" and "--from" not in i.arguments
        for source in i.arguments.split()[:-1]
    ]
    assert sorted(copied) == sorted(allowed)
    assert all((REPO / source).exists() for source in copied)
    assert not {"bazaar.env", "data", "config.toml", "*.db"} & set(allowed)


def test_a_shell_form_entrypoint_is_refused_with_the_reason(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM python:3.11-slim\nENTRYPOINT python -m bot\nCMD ["run"]\n')
    instruction = only(final_stage(dockerfile_instructions(dockerfile)), "ENTRYPOINT")
    with pytest.raises(DeployFileError, match="exec form"):
        exec_form(instruction)
    dockerfile.write_text('FROM python:3.11-slim\nENTRYPOIN ["python"]\n')
    with pytest.raises(DeployFileError, match="unknown instruction 'ENTRYPOIN'"):
        dockerfile_instructions(dockerfile)


async def test_the_commands_of_the_image_are_the_bots_own() -> None:
    code, out, err = await run_cli("--help")
    assert code == 0, err
    assert "run" in out and "health" in out
    for name, argv in image_commands().items():
        assert argv[:3] == ["python", "-m", "bot"], name
        code, out, err = await run_cli(*argv[3:], "--help")
        assert code == 0, f"{name}: {argv} --help failed: {err}"
        assert out.startswith("usage: python -m bot"), name


# ---- compose.yaml -----------------------------------------------------------------------------


def test_compose_runs_the_bot_with_its_token_and_its_data() -> None:
    bazaar = load_compose()["services"]["bazaar"]  # type: ignore[index]
    assert bazaar["build"] == "."
    assert bazaar["env_file"] == "bazaar.env"
    assert any(volume.endswith(f":{DATA}") for volume in bazaar["volumes"])
    assert bazaar["restart"] == "unless-stopped"
    assert bazaar["init"] is True  # SIGTERM forwarded, workers reaped
    assert "healthcheck" not in bazaar  # the image's HEALTHCHECK applies
    assert "environment" not in bazaar  # the token comes from bazaar.env, never from here


def test_compose_offers_ollama_under_the_llm_profile_at_the_documented_url(
    tmp_path: Path,
) -> None:
    compose = load_compose()
    ollama = compose["services"]["ollama"]  # type: ignore[index]
    assert ollama["profiles"] == ["llm"]
    assert ollama["image"].startswith("ollama/ollama")
    assert "11434" in [str(port) for port in ollama["expose"]]
    base_url = "http://ollama:11434/v1"  # the service name is its host name on the network
    assert f'base_url = "{base_url}"' in COMPOSE.read_text()
    settings = parse_settings(
        {"llm": {"enabled": True, "base_url": base_url, "model": "qwen2.5:7b-instruct"}},
        base_dir=tmp_path,
        environ={},
    )
    assert settings.llm.base_url == base_url


# ---- systemd ----------------------------------------------------------------------------------


def test_the_unit_restarts_on_failure_as_its_own_user_with_the_token_from_a_file() -> None:
    service = unit_settings()["Service"]
    assert service["Restart"] == ["on-failure"]
    assert service["RestartSec"]
    assert service["EnvironmentFile"] == ["/etc/bazaar/bazaar.env"]
    assert service["User"][0] not in ("root", "0")
    assert service["Type"][0] in ("simple", "exec")
    assert unit_settings()["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_unit_runs_the_bot_from_a_virtualenv_with_the_etc_config() -> None:
    (exec_start,) = unit_settings()["Service"]["ExecStart"]
    python, *arguments = exec_start.split()
    assert python.startswith("/") and python.endswith("/bin/python")
    assert arguments == ["-m", "bot", "run", "--config", "/etc/bazaar/config.toml"]


def test_the_unit_can_write_only_its_state_directory() -> None:
    service = unit_settings()["Service"]
    assert service["ProtectSystem"] == ["strict"]
    assert service["WorkingDirectory"][0] in service["ReadWritePaths"]
    for setting in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[setting] == ["yes"], setting


def test_the_env_example_has_a_placeholder_never_a_token() -> None:
    settings = [
        line
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert settings == ["DISCORD_TOKEN="]


def test_the_files_are_where_the_docs_say() -> None:
    for path in (DOCKERFILE, COMPOSE, UNIT, ENV_EXAMPLE, REPO / "deploy" / "check.sh"):
        assert path.is_file(), path
