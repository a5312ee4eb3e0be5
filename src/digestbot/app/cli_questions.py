"""``digestbot ask <id> "<question>"`` and ``digestbot search <words>``.

Both use the database of ``DATABASE_URL`` (migrated on first use): ``search`` looks through every
digest stored there, ``ask`` keeps fetched full text there so a paper is fetched from arXiv once.
Heavy imports stay inside the commands so ``digestbot --help`` stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from digestbot.app.cli_common import Console, LanguageOption, SourceOption, load_cli_settings, run_use_case

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from digestbot.bot.commands.replies import Reply
    from digestbot.bot.config import Settings
    from digestbot.bot.questions.service import QuestionService

_CLI = ("cli", "terminal", "you")


def _open(settings: Settings) -> tuple[Engine, QuestionService]:
    """The database (waited for and migrated) and the question service on it."""
    from digestbot.app.wiring import build_bot
    from digestbot.bot.storage.db import StorageUnavailable

    try:
        bot = build_bot(settings, subscribed_only=False)
    except StorageUnavailable as error:
        raise Console.fail(str(error)) from None
    return bot.engine, bot.questions


def render(reply: Reply) -> str:
    """Plain text for a terminal: the answer, then its sources with links."""
    from digestbot.bot.commands.replies import AnswerReply, SearchReply, TextReply

    match reply:
        case AnswerReply(text=text, citations=citations):
            sources = [f"[{c.arxiv_id}] {c.title} — {c.abs_url}" for c in citations]
            return "\n".join([text, "", "Sources:", *sources]) if sources else text
        case SearchReply(query=query, hits=hits):
            if not hits:
                return f"Nothing in the stored digests matches '{query}'."
            lines = []
            for hit in hits:
                lines += [f"{hit.digest_date}  {hit.paper.arxiv_id}  {hit.paper.title}", f"    {hit.snippet}"]
                lines += [f"    {hit.paper.abs_url}", ""]
            return "\n".join(lines).rstrip()
        case TextReply(text=text):
            return text
    raise TypeError(f"unexpected reply {type(reply).__name__}")


def ask(
    reference: Annotated[str, typer.Argument(help="An arXiv id (2409.14674) or an arxiv.org URL.")],
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    source: SourceOption = None,
    lang: LanguageOption = None,
) -> None:
    """Ask a question about one paper; the answer quotes or cites it, or says the paper doesn't say."""
    from digestbot.bot.commands.handlers import Conversation
    from digestbot.bot.commands.replies import TextReply
    from digestbot.summarizer.ids import parse_arxiv_ref

    settings = load_cli_settings(digest_source=source, digest_language=lang)

    async def answer() -> None:
        arxiv_id = parse_arxiv_ref(reference).arxiv_id
        _, questions = _open(settings)
        Console.progress(f"Reading {arxiv_id}…")
        reply = await questions.ask_paper(arxiv_id, question, Conversation(*_CLI))
        if isinstance(reply, TextReply) and reply.ephemeral:
            raise Console.fail(reply.text)
        typer.echo(render(reply))

    run_use_case(answer())


def search(
    words: Annotated[list[str], typer.Argument(help="Words to look for in titles and abstracts.")],
) -> None:
    """Search the titles and abstracts of every stored digest; each hit shows its digest's date."""
    from digestbot.bot.commands.handlers import Conversation
    from digestbot.bot.commands.replies import TextReply
    from digestbot.bot.storage.db import describe_url

    settings = load_cli_settings()

    async def find() -> None:
        engine, questions = _open(settings)
        reply = await questions.search(" ".join(words), Conversation(*_CLI))
        if isinstance(reply, TextReply):  # nothing stored yet
            raise Console.fail(
                f"No digest is stored in {describe_url(engine)} yet — run `digestbot digest` first, then search again."
            )
        typer.echo(render(reply))

    run_use_case(find())


def register(app: typer.Typer) -> None:
    app.command()(ask)
    app.command()(search)
