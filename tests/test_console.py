"""The console adapter as a conversation: the same commands as Slack, answered locally."""

from __future__ import annotations

import re
from pathlib import Path

from digestbot.adapters.console import ConsoleSession
from digestbot.app.factory import make_digest_service
from digestbot.bot.commands.handlers import CommandHandler
from digestbot.bot.config import Settings

LLM_HEADING = re.compile(r"\nLLM \(\d+\)\n")  # the category's own message; its count is the categorizer's


def session(tmp_path: Path) -> ConsoleSession:
    service = make_digest_service(Settings(digest_source="sample"))
    return ConsoleSession(CommandHandler(digests=service), chart_dir=tmp_path)


async def test_a_short_conversation(tmp_path: Path) -> None:
    chat = session(tmp_path)
    assert "/digest paper" in await chat.send("/digest help")
    assert "Did you mean" in (await chat.send("/digest lmm")).replace("did you mean", "Did you mean")
    llm = await chat.send("/digest llm")
    assert len(LLM_HEADING.findall(llm)) == 1 and "Today's top 5" in llm  # the brief post, as a channel gets it
    assert (tmp_path / "digest-2026-06-26.png").exists()
    paper = await chat.send("/digest paper 2606.26139")
    assert paper.startswith("# Multiscale Exit-Join Dynamics")
    assert "inference" in await chat.send("/digest categories")


async def test_paper_by_title_words_after_a_digest(tmp_path: Path) -> None:
    chat = session(tmp_path)
    await chat.send("/digest")
    assert (await chat.send("/digest paper Multiscale Exit-Join")).startswith("# Multiscale Exit-Join Dynamics")
    assert "No paper in the recent digests" in await chat.send("/digest paper zebra giraffe quantum")


async def test_plain_text_and_malformed_ids_get_guidance(tmp_path: Path) -> None:
    chat = session(tmp_path)
    assert "try /digest help" in await chat.send("hello?")
    assert "is not an arXiv id" in await chat.send("/digest paper 12345")
    assert "only members" not in (await chat.send("/digest subscribe 09:00")).lower()


def test_digestbot_chat_answers_in_the_terminal_and_leaves_no_database(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from digestbot.app.cli import app

    lines = "/digest llm\nwhich of these runs on a single GPU?\n/digest subscribe 09:00\nquit\n"
    result = CliRunner().invoke(app, ["chat", "--source", "sample"], input=lines)

    assert result.exit_code == 0, result.output
    assert LLM_HEADING.search(result.stdout) and "From the papers (quoted):" in result.stdout  # the brief post
    assert "Subscriptions need the long-running bot" in result.stdout
    assert not list(tmp_path.glob("*.db"))  # the conftest points DATABASE_URL here; chat keeps to memory
