"""The console adapter: a terminal REPL that speaks the same ``/digest`` commands as Slack.

It doubles as the in-memory chat used by scenario tests: :class:`ConsoleSession` takes a
line and returns what the bot would print, with no terminal involved.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from digestbot.adapters.console_brief import render_brief
from digestbot.bot.commands.grammar import CommandError
from digestbot.bot.commands.handlers import CommandHandler, Conversation
from digestbot.bot.commands.replies import (
    AnswerReply,
    CategoriesReply,
    DigestReply,
    PaperReply,
    PostedReply,
    Reply,
    SearchReply,
    TextReply,
)
from digestbot.bot.delivery.posting import linker, post_thread, thread_link
from digestbot.bot.layout.markdown import render_digest, render_paper
from digestbot.bot.limits import CommandGate, Refusal
from digestbot.bot.ports import OutgoingMessage, ThreadLink, ThreadLinks

PROMPT = "digest> "
GREETING = "Paper Digest Bot — type /digest help, or quit to leave. After a digest, just type a question."
# The terminal has one "thread": the last digest or paper shown, which plain lines ask about.
THREAD = "last-shown"


class ConsoleSession:
    """One person at a terminal: commands in, rendered text out."""

    def __init__(self, handler: CommandHandler, *, chart_dir: Path) -> None:
        self.handler = handler
        self.chart_dir = chart_dir
        self.gate = CommandGate()
        self.conversation = Conversation(
            platform="console", channel_id="terminal", user_id="you", can_manage_channel=True
        )
        self.thread = Conversation(platform="console", channel_id="terminal", user_id="you", thread_id=THREAD)

    async def send(self, line: str) -> str:
        text = line.strip()
        if not text:
            return ""
        command_text = text.removeprefix("/digest").strip() if text.startswith("/digest") else None
        if command_text is None:
            reply = await self.handler.follow_up(text, self.thread)
            if reply is None:
                return "Commands start with /digest — try /digest help, or show a digest and ask about it."
            return self.render(reply)
        try:
            command = self.handler.parse(command_text)
        except CommandError as error:
            return str(error)
        ticket = self.gate.admit(user_key="console:you", channel_key=self.conversation.channel_key, command=command)
        if isinstance(ticket, Refusal):
            return ticket.text
        async with ticket, ticket.turn(), ticket.working():
            reply = await self.handler.handle(command, self.conversation)
        text = self.render(reply)
        if isinstance(reply, DigestReply | PaperReply) and self.handler.threads is not None:
            await self._post(reply, text, self.handler.threads)
        return text

    async def _post(self, reply: DigestReply | PaperReply, text: str, threads: ThreadLinks) -> None:
        """A digest or paper just shown becomes what plain lines ask about, as a Slack thread is:
        the terminal is one channel whose only thread is the last thing shown."""

        async def shown(index: int, message: OutgoingMessage, thread_id: str | None) -> str:
            return THREAD  # printed by the caller

        def link(thread_id: str) -> ThreadLink:
            language = self.handler.language
            return thread_link(reply, platform="console", channel_id="terminal", thread_id=thread_id, language=language)

        await post_thread([OutgoingMessage(text=text, payload={})], send=shown, on_parent=linker(threads, link))

    def render(self, reply: Reply) -> str:
        match reply:
            case TextReply(text=text):
                return text
            case PostedReply():
                return reply.text(None)
            case DigestReply(digest=digest, chart_png=png, detail=detail, trends=trends):
                chart = self.chart_dir / f"digest-{digest.date.isoformat()}.png"
                chart.write_bytes(png)
                if detail == "brief":
                    return render_brief(digest, trends=trends, chart=chart, folder=self.chart_dir)
                return render_digest(digest, chart_file=str(chart))
            case PaperReply(paper=paper, summary=summary, language=language):
                return render_paper(paper, summary, language)
            case CategoriesReply(categories=categories):
                return "\n".join(f"{c.slug:<12} {c.name} — {c.description}" for c in categories)
            case SearchReply(query=query, hits=hits):
                if not hits:
                    return f"Nothing found for '{query}'."
                return "\n".join(f"{h.digest_date}  {h.paper.title} ({h.paper.abs_url})" for h in hits)
            case AnswerReply(text=text, citations=citations):
                sources = "\n".join(f"[{c.arxiv_id}] {c.abs_url}" for c in citations)
                return f"{text}\n\n{sources}" if sources else text


async def run_console(handler: CommandHandler) -> None:
    """Read commands until EOF or ``quit``; input is read in a thread so the loop stays free.

    The composition root passes the handler: ``digestbot run``'s own (the bot's database), or
    ``digestbot chat``'s on an in-memory database.
    """
    with tempfile.TemporaryDirectory(prefix="digestbot-") as folder:
        session = ConsoleSession(handler, chart_dir=Path(folder))
        print(GREETING)
        while True:
            try:
                line = await asyncio.to_thread(input, PROMPT)
            except EOFError:
                break
            if line.strip().lower() in {"quit", "exit", ":q"}:
                break
            output = await session.send(line)
            if output:
                print(output)
