"""What the deployment files say, read with the standard library: the Dockerfile's
instructions, a systemd unit's settings, and the Docker image's commands as argv lists.

Used by tests/test_deploy.py and by deploy/check.sh, which runs

    python -m tests.deploy_files entrypoint   # the ENTRYPOINT, one JSON array
    python -m tests.deploy_files commands     # ENTRYPOINT + CMD and the HEALTHCHECK, JSON lines

so that it runs exactly the commands the image would, without Docker.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
COMPOSE = REPO / "compose.yaml"
UNIT = REPO / "deploy" / "bazaar.service"
ENV_EXAMPLE = REPO / "deploy" / "bazaar.env.example"

# The instructions a Dockerfile may use (docs.docker.com/reference/dockerfile).
KNOWN_INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
}  # fmt: skip


class DeployFileError(Exception):
    """A deployment file does not say what it must; the message names the file and line."""


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    arguments: str


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Every instruction, continuation lines joined, comments dropped; unknown keywords and
    a continuation running off the end are errors."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped too
        if not pending:
            start = number
        continued = stripped.endswith("\\")
        pending.append(stripped[:-1].strip() if continued else stripped)
        if continued:
            continue
        text = " ".join(part for part in pending if part)
        pending = []
        keyword, _, arguments = text.partition(" ")
        if keyword.upper() not in KNOWN_INSTRUCTIONS:
            raise DeployFileError(f"{path.name}:{start}: unknown instruction {keyword!r}")
        instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
    if pending:
        raise DeployFileError(f"{path.name}:{start}: the last instruction ends with a '\\'")
    return instructions


def final_stage(instructions: Sequence[Instruction]) -> list[Instruction]:
    """The instructions of the last stage (the image that runs)."""
    starts = [i for i, instruction in enumerate(instructions) if instruction.keyword == "FROM"]
    if not starts:
        raise DeployFileError("Dockerfile: no FROM instruction")
    return list(instructions[starts[-1] :])


def only(instructions: Sequence[Instruction], keyword: str) -> Instruction:
    """The one `keyword` instruction of a stage (the last one counts in Docker; two is a
    mistake here)."""
    found = [i for i in instructions if i.keyword == keyword]
    if len(found) != 1:
        raise DeployFileError(
            f"Dockerfile: expected one {keyword} in the image, found {len(found)}"
        )
    return found[0]


def exec_form(instruction: Instruction, text: str | None = None) -> list[str]:
    """The JSON array of an exec-form instruction (a shell string is an error: with it the
    shell, not python, would be PID 1 and SIGTERM would not reach the bot)."""
    text = instruction.arguments if text is None else text
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise DeployFileError(
            f"Dockerfile:{instruction.line}: {instruction.keyword} must be in exec form, "
            f'a JSON array of strings like ["python", "-m", "bot"] (got {text!r})'
        )
    return value


def healthcheck_command(instruction: Instruction) -> tuple[dict[str, str], list[str]]:
    """The HEALTHCHECK's options (`--interval` → `30s`) and its exec-form command."""
    options: dict[str, str] = {}
    rest = instruction.arguments
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.strip()
    keyword, _, command = rest.partition(" ")
    if keyword.upper() != "CMD":
        raise DeployFileError(f"Dockerfile:{instruction.line}: HEALTHCHECK must be CMD [...]")
    return options, exec_form(instruction, command.strip())


def image_commands(path: Path = DOCKERFILE) -> dict[str, list[str]]:
    """The argv lists the image runs: `entrypoint`, `run` (ENTRYPOINT + CMD), `health`."""
    image = final_stage(dockerfile_instructions(path))
    entrypoint = exec_form(only(image, "ENTRYPOINT"))
    return {
        "entrypoint": entrypoint,
        "run": entrypoint + exec_form(only(image, "CMD")),
        "health": healthcheck_command(only(image, "HEALTHCHECK"))[1],
    }


def unit_settings(path: Path = UNIT) -> dict[str, dict[str, list[str]]]:
    """A systemd unit's sections and settings (a key may repeat; each value is kept)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        section = re.fullmatch(r"\[([A-Za-z]+)\]", line)
        if section:
            current = sections.setdefault(section.group(1), {})
            continue
        key, equals, value = line.partition("=")
        if current is None or not equals or not re.fullmatch(r"[A-Za-z]+", key.strip()):
            raise DeployFileError(f"{path.name}:{number}: not a Key=value setting: {raw!r}")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["entrypoint"]:
        print(json.dumps(image_commands()["entrypoint"]))
        return 0
    if list(argv) == ["commands"]:
        for name, command in image_commands().items():
            print(json.dumps({"name": name, "argv": command}))
        return 0
    print("usage: python -m tests.deploy_files entrypoint|commands", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except DeployFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
