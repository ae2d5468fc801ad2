#!/usr/bin/env bash
# Rebuild the 28 part-b texts in ../texts from their packages, then validate them.
# See README.md for what each step needs. part-b.json is never written.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-/tmp/venv/bin/python}          # the project's interpreter (for validate.py)
MDPY=${MDPY:-/tmp/qb_venv/bin/python}   # any Python with markdown==3.11 (for essays.py)
DL=${DL:-/tmp/qb_dl}

if [ ! -d "$DL/instructor-1.17.0" ]; then
  mkdir -p "$DL"
  pip download --no-deps --no-binary :all: instructor==1.17.0 -d "$DL"
  tar -xzf "$DL/instructor-1.17.0.tar.gz" -C "$DL"
fi
"$MDPY" essays.py --instructor-dir "$DL/instructor-1.17.0"
python3 roundups.py
python3 comments.py
python3 discussions.py
"$PY" validate.py
