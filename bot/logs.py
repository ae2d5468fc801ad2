"""Logging for every command: the level, text or JSON lines, stderr and optionally a rotating
file; from the command line (before or after the command) or the config's [logging]."""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.config import LoggingSettings

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
FILE_BYTES = 10 * 1024 * 1024  # a log file rotates at this size...
FILE_BACKUPS = 5  # ...keeping this many old ones beside it
# Library noise: every start of a text-only bot would warn that voice is missing (it never
# uses voice), and every login retry during an outage would announce itself (the bot's own
# line says the outage once).
_NOISE = ("voice will NOT be supported", "logging in using static token")


@dataclass(frozen=True)
class LogOptions:
    level: str = "INFO"
    format: str = "text"
    file: Path | None = None

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, config: LoggingSettings | None = None
    ) -> LogOptions:
        """The command line's choices, else the config's, else the defaults."""
        config = config or LoggingSettings()
        file = getattr(args, "log_file", None)
        return cls(
            level=getattr(args, "log_level", None) or config.level,
            format=getattr(args, "log_format", None) or config.format,
            file=Path(file) if file else config.file,
        )


def log_options_parser(*, suppress: bool) -> argparse.ArgumentParser:
    """The logging options, for the main parser (`suppress` False) and for every command
    (True: an option not given after the command leaves the one given before it)."""
    default = argparse.SUPPRESS if suppress else None
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("logging")
    group.add_argument("--log-level", choices=LEVELS, default=default, help="default INFO")
    group.add_argument("--log-format", choices=FORMATS, default=default, help="default text")
    group.add_argument(
        "--log-file", default=default, metavar="PATH", help="also log here (rotated at 10 MB)"
    )
    return parser


def configure_logging(options: LogOptions) -> None:
    """Log at `options.level` to stderr (and to `options.file`), replacing any earlier setup:
    a command configures once from the command line, then again with its config's
    [logging]."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter: logging.Formatter = (
        JsonFormatter()
        if options.format == "json"
        else logging.Formatter(TEXT_FORMAT, "%Y-%m-%d %H:%M:%S")
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if options.file is not None:
        options.file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                options.file, maxBytes=FILE_BYTES, backupCount=FILE_BACKUPS, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_drop_noise)
        root.addHandler(handler)
    root.setLevel(options.level)
    # httpx logs every request URL at INFO; feed URLs are fine but the noise is not. The
    # article extractor warns about pages it cannot read, which the caller already reports.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for extractor in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(extractor).setLevel(logging.ERROR)


def _drop_noise(record: logging.LogRecord) -> bool:
    return not (record.name.startswith("discord") and any(n in record.getMessage() for n in _NOISE))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
