"""One clock for the whole core: nothing in `bot/` reads the date except `bot/clock.py`."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "bot"
READS_THE_DATE = re.compile(r"\b(datetime\.(now|utcnow|today)|date\.today|time\.time)\(")


def test_only_the_clock_module_reads_the_date() -> None:
    readers = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "clock.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if READS_THE_DATE.search(line)
    ]
    assert readers == [], "take the time from the injected Clock instead"
