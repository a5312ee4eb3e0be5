"""One settings object, read from the environment and ``.env``; secrets only from there.

A wrong value fails at start-up with a message that names the variable and the fix, instead
of surfacing as a confusing error at 09:00 when the first digest is due.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_ARXIV_CATEGORIES = ("cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "stat.ML", "eess.IV")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


def parse_time_of_day(text: str) -> dt.time:
    """``09:00`` -> 09:00; anything else gets a message naming the accepted form."""
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a time of day; use 24-hour HH:MM, e.g. 09:00 or 18:30.")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse_timezone(text: str) -> ZoneInfo:
    """An IANA zone name such as ``Asia/Seoul`` or ``UTC``."""
    try:
        return ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"'{text}' is not a time zone; use an IANA name such as UTC, Europe/Berlin or Asia/Seoul."
        ) from error


# Empty values count as unset, so a copied .env.example with blanks means "use the default".
_SOURCES = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True)


class Settings(BaseSettings):
    """Every variable is documented in ``.env.example``."""

    model_config = _SOURCES

    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    digest_model: str = "gpt-4o-mini"
    digest_model_categorize: str | None = None
    digest_model_summarize: str | None = None
    digest_model_answer: str | None = None

    # --- LLM back end: pacing, budget, cost levers (docs/llm.md explains each) ---
    llm_concurrency: int = Field(default=8, ge=1, le=256)
    llm_requests_per_minute: int = Field(default=0, ge=0)
    llm_timeout_seconds: float = Field(default=120.0, gt=0)
    llm_max_retries: int = Field(default=4, ge=0, le=10)
    llm_daily_budget_usd: float | None = Field(default=None, ge=0)
    llm_daily_budget_tokens: int | None = Field(default=None, ge=0)
    llm_categorize_batch_size: int = Field(default=25, ge=1, le=200)
    llm_summary_chunk_tokens: int = Field(default=48_000, ge=2_000)
    llm_batch_mode: bool = False
    llm_batch_lead_hours: float = Field(default=3.0, gt=0, le=24)
    llm_prices: dict[str, tuple[float, float, float]] = Field(default_factory=dict)

    # A chat platform's variables (SLACK_*, DISCORD_*) live in its adapter package's PlatformSettings.

    # --- Commands: fairness and abuse limits (docs/operations.md) ---
    commands_per_user_per_minute: int = Field(default=10, ge=1)
    commands_per_channel_per_minute: int = Field(default=30, ge=1)
    commands_in_flight_per_user: int = Field(default=3, ge=1)
    commands_in_flight_per_channel: int = Field(default=10, ge=1)
    commands_in_flight: int = Field(default=200, ge=1)
    commands_working: int = Field(default=8, ge=1)

    # --- Follow-up questions: abuse and cost limits, full text (docs/questions.md) ---
    questions_per_user_per_hour: int = Field(default=20, ge=1)
    questions_per_channel_per_hour: int = Field(default=60, ge=1)
    question_max_chars: int = Field(default=500, ge=20, le=4000)
    digest_fulltext: bool = True
    arxiv_html_url: str = "https://arxiv.org/html"

    database_url: str = "sqlite:///./digestbot.db"
    # Days of LLM cache, ledger, question turns, thread links, full texts and finished deliveries kept.
    digest_retention_days: int = Field(default=90, ge=1, le=36_500)
    port: int = Field(default=3000, ge=1, le=65535)

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    arxiv_categories: str = ",".join(DEFAULT_ARXIV_CATEGORIES)

    digest_source: str = "arxiv"
    digest_language: str = "en"
    digest_timezone: str = "UTC"
    digest_time: str = "09:00"
    digest_taxonomy_file: Path | None = None
    digest_channels: str = ""

    log_level: str = "INFO"
    log_format: str = "text"
    digest_loop_lag_log: float = Field(default=0.0, ge=0)

    @field_validator("digest_time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        parse_time_of_day(value)
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    @field_validator("digest_language")
    @classmethod
    def _valid_language(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", value):
            raise ValueError(f"'{value}' is not a language code; use e.g. en, ko, de or pt-BR.")
        return value

    @field_validator("log_format")
    @classmethod
    def _valid_log_format(cls, value: str) -> str:
        if value not in {"text", "json"}:
            raise ValueError("use 'text' or 'json'.")
        return value

    @property
    def arxiv_category_list(self) -> list[str]:
        return [c.strip() for c in self.arxiv_categories.split(",") if c.strip()]

    @property
    def llm_configured(self) -> bool:
        """A key, or a base URL alone (local servers such as Ollama often need no key)."""
        return self.openai_api_key is not None or bool(self.openai_base_url)


class PlatformSettings(BaseSettings):
    """A chat platform's own variables, all named ``<PREFIX>_…``; each adapter package subclasses
    it (``SlackSettings``, ``DiscordSettings``) so ``bot/`` never names a platform's tokens.

    A platform is *set* when any of its credentials is; a set platform with :meth:`problems`
    stops start-up with them, so a half-configured platform never starts silently without chat.
    """

    model_config = _SOURCES

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field, e.g. ``SLACK_BOT_TOKEN`` for ``bot_token``."""
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def variables(cls) -> list[str]:
        return [cls.variable(field) for field in cls.model_fields]

    def is_set(self) -> bool:
        """Any credential given: the operator means to use this platform."""
        return any(isinstance(value, SecretStr) for _, value in self)

    def problems(self) -> list[str]:
        """What stops this platform from starting (missing or wrong-kind values); [] when ready."""
        return []

    def secrets(self) -> list[str]:
        """Every secret value, for log redaction."""
        return [value.get_secret_value() for _, value in self if isinstance(value, SecretStr)]


def ready_secret(value: SecretStr | None, *, problems: Sequence[str], variable: str) -> str:
    """A platform credential's value, read only once nothing stops the platform; otherwise the
    problems (or that ``variable`` is not set) as the error, which never quotes the value."""
    if problems or value is None:
        raise ConfigError(" ".join(problems) or f"{variable} is not set.")
    return value.get_secret_value()


def _config_error(error: ValidationError, prefix: str = "") -> ConfigError:
    """pydantic's report as one line per bad variable."""
    problems = []
    for issue in error.errors():
        variable = f"{prefix}{issue['loc'][0]}".upper() if issue["loc"] else "settings"
        message = issue["msg"].removeprefix("Value error, ")
        problems.append(f"{variable}: {message}")
    return ConfigError("Invalid configuration — " + "; ".join(problems))


def load_settings(**overrides: object) -> Settings:
    """Read settings; turn pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise _config_error(error) from None


_P = TypeVar("_P", bound=PlatformSettings)


def load_platform_settings(model: type[_P]) -> _P:
    """Read one platform's variables, with the same one-line report as :func:`load_settings`."""
    try:
        return model()
    except ValidationError as error:
        raise _config_error(error, str(model.model_config.get("env_prefix", ""))) from None
