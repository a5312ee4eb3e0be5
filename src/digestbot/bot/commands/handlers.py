"""Turn a parsed command into a reply; the one place where commands meet the services.

Adapters call :meth:`CommandHandler.handle` after they have acknowledged the platform (the
3-second rule), so everything here may be slow.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from digestbot.bot.commands.grammar import (
    HELP_TEXT,
    AskCommand,
    CategoriesCommand,
    Command,
    CommandError,
    DigestCommand,
    HelpCommand,
    InterestsCommand,
    PaperCommand,
    SearchCommand,
    SettingsCommand,
    SubscribeCommand,
    UnsubscribeCommand,
    changes_channel,
    echo,
    parse_command,
)
from digestbot.bot.commands.replies import (
    CategoriesReply,
    DigestReply,
    PaperReply,
    PostedReply,
    Reply,
    TextReply,
)
from digestbot.bot.digests import DigestService
from digestbot.bot.ports import QuestionCommands, SubscriptionCommands, ThreadLinks
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.ids import InvalidArxivId, looks_like_arxiv_ref, parse_arxiv_ref
from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.models import Digest
from digestbot.summarizer.ranking import ranked_for
from digestbot.summarizer.sources.base import SourceError
from digestbot.summarizer.taxonomy import Taxonomy

log = logging.getLogger(__name__)

NOT_IN_THREAD = "Subscribe in a text channel, not in a thread: the digest starts a thread of its own."
# Digits, dots and URLs are meant as an id; a malformed one gets the id error, not a title search.
_ID_LIKE = re.compile(r"^(\S*arxiv\.org/\S*|arxiv:\S*|[\d.v]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Conversation:
    """Where a command came from: enough to answer, check rights and keep thread state."""

    platform: str
    channel_id: str
    user_id: str
    can_manage_channel: bool = False
    thread_id: str | None = None

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel_id}"


class CommandHandler:
    """The services a command may need; subscriptions and questions are optional so the CLI
    and the console work without a database or a language model."""

    def __init__(
        self,
        *,
        digests: DigestService,
        threads: ThreadLinks | None = None,
        subscriptions: SubscriptionCommands | None = None,
        questions: QuestionCommands | None = None,
    ) -> None:
        self.digests = digests
        self.threads = threads
        self.subscriptions = subscriptions
        self.questions = questions

    @property
    def taxonomy(self) -> Taxonomy:
        """The categories commands name (for adapters' autocomplete and parsing)."""
        return self.digests.taxonomy

    @property
    def language(self) -> str:
        """The bot's default output language."""
        return self.digests.language

    def parse(self, text: str) -> Command:
        """``/digest`` text as a command; :class:`CommandError` says what is wrong with it."""
        return parse_command(text, self.digests.taxonomy)

    async def follow_up(self, question: str, conversation: Conversation) -> Reply | None:
        """A message in a thread: answered when the thread is a digest's, ignored otherwise."""
        if conversation.thread_id is None or self.threads is None or self.questions is None:
            return None
        link = await db_call(
            self.threads.lookup, conversation.platform, conversation.channel_id, conversation.thread_id
        )
        if link is None:
            return None
        try:
            return await self.questions.ask_in_thread(question, link, conversation)
        except (CommandError, SourceError) as error:
            return TextReply(str(error), ephemeral=True)

    def refusal(self, command: Command, conversation: Conversation) -> TextReply | None:
        """Why ``command`` may not run here, before any work: changing a subscription needs the
        right to manage the channel, and a channel, not a thread (the digest starts its own)."""
        if changes_channel(command):
            if not conversation.can_manage_channel:
                return TextReply("Only members who can manage this channel may change its subscription.", True)
            if conversation.thread_id is not None:
                return TextReply(NOT_IN_THREAD, ephemeral=True)
        return None

    async def handle(self, command: Command, conversation: Conversation) -> Reply:
        """Every expected failure becomes a one-line, ephemeral reply; nothing is raised."""
        refused = self.refusal(command, conversation)
        if refused is not None:
            return refused
        try:
            return await self._dispatch(command, conversation)
        except (CommandError, InvalidArxivId, SourceError) as error:
            return TextReply(str(error), ephemeral=True)

    async def _digest_reply(self, digest: Digest, conversation: Conversation) -> DigestReply:
        """The channel's own post when it is subscribed (detail, interests), else the brief one."""
        preferences = None
        if self.subscriptions is not None:
            preferences = await db_call(self.subscriptions.post_preferences, conversation)
        detail, interests = preferences or ("brief", ())
        if interests:
            ranks = await run_cpu_bound(ranked_for, digest, interests)
            digest = digest.model_copy(update={"ranks": ranks})
        trends = tuple(await db_call(self.digests.trends, digest))
        chart = await self.digests.chart_png(digest)
        return DigestReply(digest=digest, chart_png=chart, detail=detail, trends=trends)

    async def _dispatch(self, command: Command, conversation: Conversation) -> Reply:
        match command:
            case HelpCommand():
                return TextReply(HELP_TEXT, ephemeral=True)
            case CategoriesCommand():
                return CategoriesReply(categories=self.digests.taxonomy.categories)
            case DigestCommand(category=slug, date=day):
                digest = await self.digests.digest(day)
                if slug is not None:
                    if digest.section(slug) is None:
                        name = self.digests.taxonomy.get(slug).name
                        return TextReply(f"No {name} papers were announced on {digest.date.isoformat()}.")
                    digest = digest.only([slug])
                posted = await self._already_posted(digest, conversation, slug=slug)
                return posted or await self._digest_reply(digest, conversation)
            case PaperCommand(query=query):
                return await self._paper(query)
            case AskCommand(arxiv_ref=ref, question=question) if self.questions:
                return await self.questions.ask_paper(parse_arxiv_ref(ref).arxiv_id, question, conversation)
            case SearchCommand(words=words) if self.questions:
                return await self.questions.search(words, conversation)
            case SubscribeCommand() if self.subscriptions:
                return await self.subscriptions.subscribe(command, conversation)
            case UnsubscribeCommand() if self.subscriptions:
                return await self.subscriptions.unsubscribe(conversation)
            case SettingsCommand() if self.subscriptions:
                return await self.subscriptions.settings(conversation)
            case InterestsCommand() if self.subscriptions:
                return await self.subscriptions.interests(command, conversation)
            case AskCommand() | SearchCommand():
                return TextReply("Questions and search are not enabled in this setup.", ephemeral=True)
            case SubscribeCommand() | UnsubscribeCommand() | SettingsCommand() | InterestsCommand():
                return TextReply("Subscriptions need the long-running bot (`digestbot run`).", ephemeral=True)
        raise CommandError("Unknown command; try /digest help.")

    async def _already_posted(
        self, digest: Digest, conversation: Conversation, *, slug: str | None
    ) -> PostedReply | None:
        """A post of this channel that already shows every paper asked for (the day's digest, or
        that category of it), so ten people asking for it get one post and nine links."""
        if self.threads is None or not digest.papers:
            return None
        wanted = {paper.arxiv_id for paper in digest.papers}
        links = await db_call(self.threads.posted, conversation.platform, conversation.channel_id, digest.date)
        for link in links:
            if link.language == digest.language and wanted <= set(link.arxiv_ids):
                label = f"{self.digests.taxonomy.get(slug).name} digest" if slug else "digest"
                return PostedReply(thread_id=link.thread_id, digest_date=digest.date.isoformat(), label=label)
        return None

    async def _paper(self, query: str) -> Reply:
        if looks_like_arxiv_ref(query) or _ID_LIKE.match(query):
            paper = await self.digests.paper(parse_arxiv_ref(query).arxiv_id)
        else:
            matches = await self.digests.find_by_title(query)
            if not matches:
                raise CommandError(
                    f"No paper in the recent digests has '{echo(query)}' in its title; try its arXiv id."
                )
            if len(matches) > 1:
                listing = "; ".join(f"{p.arxiv_id} {p.title[:60]}" for p in matches[:5])
                raise CommandError(f"{len(matches)} papers match — which one? {listing}")
            paper = matches[0]
        return PaperReply(paper, await self.digests.summarize_paper(paper), language=self.digests.language)
