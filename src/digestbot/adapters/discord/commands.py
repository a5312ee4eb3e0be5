"""The ``/digest`` application commands: Discord options in, the shared grammar's commands out.

Discord cannot run a command group by its bare name, so "today's digest" is ``/digest today``
(options ``category``, autocompleted from the taxonomy, and ``date``); the other subcommands
mirror the grammar: ``paper``, ``search``, ``ask``, ``categories``, ``help``, ``subscribe``,
``unsubscribe``, ``settings``, ``interests``. Each taxonomy category is a subcommand too, so users
type ``/digest llm`` as on Slack — unless the taxonomy has more categories than Discord's 25
subcommands leave room for; then ``/digest today category:…`` serves them all.

Timing contract: Discord drops an interaction not answered within 3 s. Options are parsed first
(pure, fast; a mistake is answered at once, privately, with "did you mean"); then the interaction
is deferred, and only then does slow work (building a digest, asking a model) start.

Rights: Discord's ``default_member_permissions`` applies to whole top-level commands only, so
``subscribe``/``unsubscribe``/``settings`` check Manage Channels at run time, from the member's
permissions Discord sends with each interaction.
"""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Awaitable, Callable, Collection
from contextlib import AsyncExitStack
from typing import Any

import discord
from discord import app_commands

from digestbot.adapters.discord.limits import LIMITS
from digestbot.adapters.discord.outgoing import NO_MENTIONS
from digestbot.adapters.discord.respond import InteractionReplies
from digestbot.bot.commands.grammar import (
    MAX_QUERY_CHARS,
    AskCommand,
    CategoriesCommand,
    Command,
    CommandError,
    DigestCommand,
    InterestsCommand,
    SettingsCommand,
    UnsubscribeCommand,
    answers_privately,
    parse_date,
    resolve_category,
    subscribe_options,
)
from digestbot.bot.commands.handlers import Conversation
from digestbot.bot.commands.replies import TextReply
from digestbot.bot.limits import Refusal, Ticket
from digestbot.bot.ports import BotServices
from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.models import Category
from digestbot.summarizer.taxonomy import Taxonomy

log = logging.getLogger(__name__)

NEEDS_MANAGE_CHANNELS = "Only members with the **Manage Channels** permission can change this channel's digest."
NOT_A_DIGEST_THREAD = "Ask in a digest's thread, or name the paper: `/digest ask question:… paper:2409.14674`."
FAILED = "Something went wrong while answering; it has been logged. Please try again later."

Query = app_commands.Range[str, 1, MAX_QUERY_CHARS]
_THREAD_TYPES = (discord.ChannelType.public_thread, discord.ChannelType.private_thread, discord.ChannelType.news_thread)


def conversation_for(interaction: discord.Interaction) -> Conversation:
    """Where an interaction came from; inside a thread, the channel is the thread's parent."""
    channel = interaction.channel
    in_thread = channel is not None and getattr(channel, "type", None) in _THREAD_TYPES
    parent_id = getattr(channel, "parent_id", None) if in_thread else None
    return Conversation(
        platform="discord",
        channel_id=str(parent_id or interaction.channel_id),
        user_id=str(interaction.user.id),
        can_manage_channel=interaction.permissions.manage_channels,
        thread_id=str(interaction.channel_id) if in_thread else None,
    )


def category_choices(taxonomy: Taxonomy, current: str, *, several: bool = False) -> list[app_commands.Choice[str]]:
    """Up to 25 categories matching what is typed (the last word, when ``several`` are allowed)."""
    words = current.replace(",", " ").split() if several else [current.strip()]
    typed = words[-1] if words else ""
    prefix = "".join(f"{word} " for word in words[:-1])
    wanted = typed.lower()
    ranked = [c for c in taxonomy.categories if c.slug.startswith(wanted)]
    named = [c for c in taxonomy.categories if wanted in " ".join((c.name, *c.aliases)).lower()]
    ranked += [c for c in named if c not in ranked]
    if typed:
        ranked += [c for c in map(taxonomy.get, taxonomy.suggest(typed)) if c not in ranked]
    return [
        app_commands.Choice(name=f"{prefix}{c.slug} — {c.name}"[: LIMITS.choice_name], value=f"{prefix}{c.slug}")
        for c in ranked[: LIMITS.choices]
    ]


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    wanted = current.strip().lower()
    zones = sorted(z for z in zoneinfo.available_timezones() if wanted in z.lower())
    return [app_commands.Choice(name=z, value=z) for z in zones[: LIMITS.choices]]


def help_text(group: app_commands.Group, *, mention_only: bool, categories: Collection[str] = ()) -> str:
    """Generated from the command tree itself, so it can never disagree with it; the per-category
    subcommands share one line."""
    lines = ["**Paper Digest Bot** — the day's new AI papers from arXiv, by category.", ""]
    for command in group.commands:
        if isinstance(command, app_commands.Command) and command.name not in categories:
            params = " ".join(f"<{p.name}>" if p.required else f"[{p.name}]" for p in command.parameters)
            lines.append(f"`/digest {command.name}{' ' + params if params else ''}` — {command.description}")
    if categories:
        lines.append(f"`/digest <category> [date]` — one category's digest: {', '.join(categories)}")
    how = "mention me in its thread, or use `/digest ask` there" if mention_only else "reply in its thread"
    lines += ["", f"Questions about a digest's papers: {how}."]
    return "\n".join(lines)


class DigestGroup(app_commands.Group):
    """``/digest …``; every subcommand goes through :meth:`_run` (parse → defer → handle → reply)."""

    def __init__(self, *, services: BotServices, replies: InteractionReplies, mention_only: bool) -> None:
        super().__init__(name="digest", description="Daily digests of new AI papers from arXiv")
        self.services = services
        self.replies = replies
        self.mention_only = mention_only
        self.category_commands = self._add_category_commands()

    @property
    def taxonomy(self) -> Taxonomy:
        return self.services.handler.taxonomy

    @app_commands.command(description="The latest digest (or a date's), all categories or one")
    @app_commands.describe(category="One category, e.g. llm", date="An announcement date, YYYY-MM-DD")
    async def today(
        self, interaction: discord.Interaction, category: str | None = None, date: str | None = None
    ) -> None:
        def command() -> Command:
            slug = resolve_category(category, self.taxonomy) if category else None
            return DigestCommand(category=slug, date=parse_date(date.strip()) if date else None)

        await self._run(interaction, command)

    @today.autocomplete("category")
    async def _category(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return category_choices(self.taxonomy, current)

    @app_commands.command(description="One paper's summary, by arXiv id, URL or title words")
    @app_commands.describe(query="2409.14674, https://arxiv.org/abs/2409.14674 or words of its title")
    async def paper(self, interaction: discord.Interaction, query: Query) -> None:
        await self._run(interaction, lambda: self.services.handler.parse(f"paper {query}"))

    @app_commands.command(description="Search every stored digest")
    @app_commands.describe(words="Words to look for in titles and abstracts")
    async def search(self, interaction: discord.Interaction, words: Query) -> None:
        await self._run(interaction, lambda: self.services.handler.parse(f"search {words}"))

    @app_commands.command(description="Ask about a paper, or about this digest thread's papers")
    @app_commands.describe(question="Your question", paper="An arXiv id; leave empty inside a digest's thread")
    async def ask(self, interaction: discord.Interaction, question: Query, paper: str | None = None) -> None:
        if paper:
            await self._run(interaction, lambda: AskCommand(arxiv_ref=paper.strip(), question=question))
            return
        await self._follow_up(interaction, question)

    @app_commands.command(description="The categories and what belongs in each")
    async def categories(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, CategoriesCommand)

    @app_commands.command(description="How to use the bot")
    async def help(self, interaction: discord.Interaction) -> None:
        text = help_text(self, mention_only=self.mention_only, categories=self.category_commands)
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(description="Post the digest in this channel every announcement day (Manage Channels)")
    @app_commands.describe(
        time="Time of day, HH:MM (24 h)",
        timezone="IANA time zone, e.g. Europe/Berlin",
        categories="Only these categories, e.g. llm cv",
        language="Summary language, e.g. en or ko",
        detail="brief: top picks and compact lists (default); full: every paper's entry",
    )
    @app_commands.choices(detail=[app_commands.Choice(name=d, value=d) for d in ("brief", "full")])
    async def subscribe(
        self,
        interaction: discord.Interaction,
        time: str | None = None,
        timezone: str | None = None,
        categories: str | None = None,
        language: str | None = None,
        detail: str | None = None,
    ) -> None:
        def command() -> Command:
            return subscribe_options(
                self.taxonomy, time=time, timezone=timezone, categories=categories, language=language, detail=detail
            )

        await self._run(interaction, command, admin=True)

    @subscribe.autocomplete("timezone")
    async def _timezone(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @subscribe.autocomplete("categories")
    async def _categories(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return category_choices(self.taxonomy, current, several=True)

    @app_commands.command(description="Stop the daily digest in this channel (Manage Channels)")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, UnsubscribeCommand, admin=True)

    @app_commands.command(description="This channel's digest subscription (Manage Channels)")
    async def settings(self, interaction: discord.Interaction) -> None:
        await self._run(interaction, SettingsCommand, admin=True)

    @app_commands.command(description="Topics that rise into this channel's top picks (setting: Manage Channels)")
    @app_commands.describe(phrases="Comma-separated, e.g. speech recognition, speculative decoding; none clears")
    async def interests(self, interaction: discord.Interaction, phrases: Query | None = None) -> None:
        def command() -> Command:
            parsed = self.services.handler.parse(f"interests {phrases or ''}")
            assert isinstance(parsed, InterestsCommand)
            return parsed

        await self._run(interaction, command, admin=phrases is not None)

    def _add_category_commands(self) -> tuple[str, ...]:
        """``/digest <slug>`` for every category whose slug is a valid, free subcommand name, if
        they all fit within Discord's 25; otherwise none (``/digest today category:`` serves all)."""
        taken = {command.name for command in self.commands}
        fitting = [c for c in self.taxonomy.categories if c.slug not in taken and len(c.slug) <= LIMITS.command_name]
        if len(taken) + len(fitting) > LIMITS.subcommands:
            log.info(
                "%d categories do not fit beside %d subcommands in Discord's %d; use /digest today category:",
                len(fitting),
                len(taken),
                LIMITS.subcommands,
            )
            return ()
        for category in fitting:
            self.add_command(self._category_command(category))
        return tuple(c.slug for c in fitting)

    def _category_command(self, category: Category) -> app_commands.Command[Any, ..., None]:
        slug = category.slug

        @app_commands.describe(date="An announcement date, YYYY-MM-DD (default: the latest)")
        async def show(interaction: discord.Interaction, date: str | None = None) -> None:
            def command() -> Command:
                return DigestCommand(category=slug, date=parse_date(date.strip()) if date else None)

            await self._run(interaction, command)

        description = f"The latest {category.name} papers"[: LIMITS.command_description]
        return app_commands.Command(name=slug, description=description, callback=show)

    async def _run(
        self, interaction: discord.Interaction, command: Callable[[], Command], *, admin: bool = False
    ) -> None:
        """Parse, refuse at once what the bot refuses (privately), else defer — privately for the
        commands whose answers only the asker sees — and answer."""
        conversation = conversation_for(interaction)
        if not await db_call(self.services.seen_events.first_time, f"discord:interaction:{interaction.id}"):
            return
        if admin and not conversation.can_manage_channel:
            await self._refuse(interaction, NEEDS_MANAGE_CHANNELS)
            return
        try:
            parsed = command()
        except CommandError as error:
            await self._refuse(interaction, str(error))
            return
        refusal = self.services.handler.refusal(parsed, conversation)
        if refusal is not None:
            await self._refuse(interaction, refusal.text)
            return
        ticket = self.services.gate.admit(
            user_key=f"discord:{conversation.user_id}", channel_key=conversation.channel_key, command=parsed
        )
        if isinstance(ticket, Refusal):
            await self._refuse(interaction, ticket.text)
            return
        await self._answer(
            interaction,
            lambda: self.services.handler.handle(parsed, conversation),
            conversation,
            answers_privately(parsed),
            ticket=ticket,
        )

    async def _follow_up(self, interaction: discord.Interaction, question: str) -> None:
        conversation = conversation_for(interaction)
        if not await db_call(self.services.seen_events.first_time, f"discord:interaction:{interaction.id}"):
            return
        if conversation.thread_id is None:
            await self._refuse(interaction, NOT_A_DIGEST_THREAD)
            return

        async def answer() -> Any:
            reply = await self.services.handler.follow_up(question, conversation)
            return reply or TextReply(NOT_A_DIGEST_THREAD, ephemeral=True)

        await self._answer(interaction, answer, conversation, ephemeral=False)

    async def _answer(
        self,
        interaction: discord.Interaction,
        work: Callable[[], Awaitable[Any]],
        conversation: Conversation,
        ephemeral: bool,
        *,
        ticket: Ticket | None = None,
    ) -> None:
        """Defer first (Discord's 3 seconds), then wait for the channel's turn; computing holds a
        global work slot, posting (paced per channel) does not."""
        try:
            async with AsyncExitStack() as stack:
                if ticket is not None:
                    stack.callback(ticket.release)
                await interaction.response.defer(thinking=True, ephemeral=ephemeral)
                if ticket is not None:
                    await stack.enter_async_context(ticket.turn())
                async with self.services.gate.working():
                    reply = await work()
                await self.replies.send(interaction, reply, conversation, ephemeral=ephemeral)
        except Exception:
            log.exception("/digest %s failed", interaction.command.name if interaction.command else "?")
            await interaction.followup.send(FAILED, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @staticmethod
    async def _refuse(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


def build_tree(
    client: discord.Client, *, services: BotServices, replies: InteractionReplies, mention_only: bool
) -> app_commands.CommandTree:
    """The client's command tree with ``/digest`` on it (a client has exactly one tree)."""
    tree = app_commands.CommandTree(client)
    tree.add_command(DigestGroup(services=services, replies=replies, mention_only=mention_only))
    return tree
