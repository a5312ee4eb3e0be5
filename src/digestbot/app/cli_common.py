"""What every ``digestbot`` command shares: output conventions, common options, settings
loading and error handling. Command modules import these; nothing here imports heavy libraries."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from digestbot.bot.config import Settings

_T = TypeVar("_T")


class Console:
    """Progress on stderr (quiet with -q), results on stdout, errors as one red line."""

    quiet = False

    @classmethod
    def progress(cls, message: str) -> None:
        if not cls.quiet:
            typer.echo(message, err=True)

    @staticmethod
    def fail(message: str) -> typer.Exit:
        typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
        return typer.Exit(code=1)


SourceOption = Annotated[
    str | None,
    typer.Option("--source", "-s", help="arxiv, sample, or a path to a .jsonl file of papers. [env: DIGEST_SOURCE]"),
]
LanguageOption = Annotated[
    str | None, typer.Option("--lang", "-l", help="Output language, e.g. en or ko. [env: DIGEST_LANGUAGE]")
]


def load_cli_settings(**overrides: object) -> Settings:
    """Settings with the command line's overrides (``None`` = not given); a bad value exits with
    the variable's name instead of a traceback."""
    from digestbot.bot.config import ConfigError, load_settings

    try:
        return load_settings(**{key: value for key, value in overrides.items() if value is not None})
    except ConfigError as error:
        raise Console.fail(str(error)) from None


def run_use_case(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a use-case; expected failures become one line and exit code 1, never a traceback."""
    from digestbot.bot.commands.grammar import CommandError
    from digestbot.bot.config import ConfigError
    from digestbot.bot.storage.db import StorageUnavailable
    from digestbot.summarizer.ids import InvalidArxivId
    from digestbot.summarizer.sources.base import SourceError
    from digestbot.summarizer.taxonomy import TaxonomyError

    try:
        return asyncio.run(coroutine)
    except (SourceError, CommandError, ConfigError, InvalidArxivId, TaxonomyError, StorageUnavailable) as error:
        raise Console.fail(str(error)) from None
