"""Logs for every ``digestbot`` command: text or JSON lines on stderr, every secret redacted.

Kept apart from the long-running process so that a one-shot command (``digestbot health`` runs every 30 s in
Docker's HEALTHCHECK) sets up the same redacting logs without importing the whole bot.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any
from urllib.parse import unquote

from pydantic import SecretStr

from digestbot.app.platforms import platform_secrets
from digestbot.bot.config import Settings

# scheme://user:password@…, the password ending at the first "@" (as SQLAlchemy reads it).
_URL_PASSWORD = re.compile(r"[\w+.-]+://[^:/@]*:(?P<password>[^@]*)@")


def secret_values(settings: Settings) -> list[str]:
    """Every configured secret: the SecretStr settings, every platform's, and the database
    password, as written in ``DATABASE_URL`` and percent-decoded (errors quote either form). A pattern reads it, as
    SQLAlchemy's does, because a URL too malformed to parse must still have its password hidden
    (SQLAlchemy's own error quotes the whole URL), and importing SQLAlchemy would double the
    start-up time of a one-shot command."""
    values = [v.get_secret_value() for _, v in settings if isinstance(v, SecretStr) and v.get_secret_value()]
    values += platform_secrets()
    found = _URL_PASSWORD.match(settings.database_url)
    if found:
        values += [found["password"], unquote(found["password"])]
    return [value for value in values if len(value) >= 4]


class RedactSecrets(logging.Filter):
    """Replace configured secret values anywhere in a record, tracebacks included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted(set(secrets), key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg, record.args = self.redact(record.getMessage()), None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            entry["error"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, *, level: str | None = None) -> None:
    """Log to stderr through the redacting filter; every CLI command calls this (``level``
    overrides ``LOG_LEVEL``: one-shot commands log warnings only, unless ``--verbose``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets(secret_values(settings)))
    handler.setFormatter(
        JsonFormatter()
        if settings.log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or settings.log_level).upper())
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
