"""What /feeds import answers: the counts, then each failed feed with its reason, as many as
fit in one message ("… and N more" for the rest)."""

from __future__ import annotations

from bot.feed_lists import ImportOutcome, ImportReport
from bot.pages import MESSAGE_CHARS
from cogs.utils.display import shown_text, shown_url

REASON_CHARS = 200
URL_CHARS = 200
MORE_RESERVE = 40  # room for the "… and N more" line


def import_answer(report: ImportReport, channel: str, *, backfill: int) -> str:
    """The answer to an import into `channel` (a mention), within Discord's 2,000 characters."""
    followed = report.count(ImportOutcome.FOLLOWED)
    failures = report.failures
    lines = [
        f"Imported {_feeds(followed)} into {channel}; skipped "
        f"{report.count(ImportOutcome.ALREADY_FOLLOWED)} already followed; "
        f"{len(failures)} failed."
    ]
    if report.duplicates_in_file:
        lines.append(f"({report.duplicates_in_file} listed twice in the file, kept once.)")
    if followed:
        lines.append(
            f"Each is read at the next poll; the newest {backfill} of each is posted, then "
            "every new one. A feed that cannot be read shows as failing in /feeds list."
        )
    if failures:
        lines.append("Failed:")
    used = sum(len(line) + 1 for line in lines)
    for shown, step in enumerate(failures):
        line = f"• {shown_url(step.feed.url, URL_CHARS)}: {shown_text(step.reason, REASON_CHARS)}"
        left = len(failures) - shown
        if used + len(line) + 1 > MESSAGE_CHARS - (MORE_RESERVE if left > 1 else 0):
            lines.append(f"… and {left} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def _feeds(count: int) -> str:
    return f"{count} feed" if count == 1 else f"{count} feeds"
