"""Questions about papers: follow-ups in a digest's thread, ``/digest ask``, and ``/digest search``.

An answer is grounded in one place only: the papers the thread is about. The question picks its
papers (an id, title words, "the mirror paper", "the healthcare papers"), the search index picks
the passages (abstracts, and full text fetched for the few papers that matter), and the answerer
is called once with them — no multi-hop chains, so an answer costs at most one model call.
Whatever comes back is checked: citations to papers outside the thread are removed and flagged,
and the turn is kept as bounded context for the thread's next question.

Questions and papers are untrusted text: they reach the model only as delimited data (the
answerer's job); replies carry them as written, and each adapter's renderer, which alone knows its
platform's mention syntax, makes them unable to ping anyone. Per-user and per-channel token
buckets and a length cap keep cost bounded.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from digestbot.bot.commands.replies import AnswerReply, Reply, SearchHit, SearchReply, TextReply
from digestbot.bot.limits import TokenBuckets, try_again_in
from digestbot.bot.questions.focus import ID_IN_TEXT, Scope, focus_of
from digestbot.bot.questions.limits import QuestionLimits
from digestbot.bot.questions.search_index import SearchIndex
from digestbot.bot.questions.turns import MemoryThreadTurns, ThreadTurns
from digestbot.summarizer.backends import Answerer, Question
from digestbot.summarizer.bounded import BoundedMap
from digestbot.summarizer.ids import ARXIV_ID
from digestbot.summarizer.io_pools import db_call, source_call
from digestbot.summarizer.models import Digest, Paper, Passage
from digestbot.summarizer.offline.answerer import needs_english_text, query_terms, unsupported_text
from digestbot.summarizer.sources.fulltext import ArxivHtmlFetcher
from digestbot.summarizer.stemming import fold

if TYPE_CHECKING:
    from digestbot.bot.commands.handlers import Conversation
    from digestbot.bot.digests import DigestService
    from digestbot.bot.ports import ThreadLink

log = logging.getLogger(__name__)

_ID = ARXIV_ID
_CITATION_GROUP = re.compile(rf"\[\s*((?:arXiv:)?{_ID}(?:v\d+)?(?:\s*[,;]\s*(?:arXiv:)?{_ID}(?:v\d+)?)*)\s*\]", re.I)
_HISTORY_ANSWER_CHARS = 1_000
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([.,;:])")
# Digest dates known to be indexed (one a day); older ones are just checked again, cheaply.
_DATES_REMEMBERED = 64
_FOREIGN_CITATION_NOTE = "(A citation to a paper outside this thread's papers was removed.)"

_LATIN = re.compile(r"[A-Za-z]")

# Scripts tell a question's language well enough to answer in it; Latin script could be any of
# dozens of languages, so there the configured language wins (English if it is not Latin-written).
_SCRIPTS: tuple[tuple[re.Pattern[str], str, frozenset[str]], ...] = (
    (re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]"), "ko", frozenset({"ko"})),
    (re.compile(r"[\u3040-\u30ff]"), "ja", frozenset({"ja"})),
    (re.compile(r"[\u4e00-\u9fff]"), "zh", frozenset({"zh", "ja"})),
    (re.compile(r"[\u0400-\u04ff]"), "ru", frozenset({"ru", "uk", "bg", "sr", "kk"})),
    (re.compile(r"[\u0600-\u06ff]"), "ar", frozenset({"ar", "fa", "ur"})),
    (re.compile(r"[\u0590-\u05ff]"), "he", frozenset({"he", "yi"})),
    (re.compile(r"[\u0370-\u03ff]"), "el", frozenset({"el"})),
    (re.compile(r"[\u0900-\u097f]"), "hi", frozenset({"hi", "mr", "ne"})),
    (re.compile(r"[\u0e00-\u0e7f]"), "th", frozenset({"th"})),
)
_NON_LATIN = frozenset().union(*(languages for _, _, languages in _SCRIPTS))


def question_language(question: str, configured: str) -> str:
    """The language to answer in: the question's script decides, the configured language breaks ties."""
    base = configured.split("-")[0].lower()
    for pattern, language, family in _SCRIPTS:
        if pattern.search(question):
            return configured if base in family else language
    return configured if base not in _NON_LATIN else "en"


class QuestionService:
    """Implements :class:`~digestbot.bot.ports.QuestionCommands`; collaborators are passed in."""

    def __init__(
        self,
        *,
        digests: DigestService,
        index: SearchIndex,
        answerer: Answerer,
        fulltext: ArxivHtmlFetcher | None = None,
        turns: ThreadTurns | None = None,
        limits: QuestionLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.digests = digests
        self.index = index
        self.answerer = answerer
        self.fulltext = fulltext
        self.turns = turns or MemoryThreadTurns()
        self.limits = limits or QuestionLimits()
        self._per_user = TokenBuckets(capacity=self.limits.questions_per_user_per_hour, period=3600.0, clock=clock)
        self._per_channel = TokenBuckets(
            capacity=self.limits.questions_per_channel_per_hour, period=3600.0, clock=clock
        )
        self._indexed_dates: BoundedMap[dt.date, bool] = BoundedMap(max_items=_DATES_REMEMBERED)

    async def index_digest(self, digest: Digest) -> None:
        """Make a digest's papers searchable and answerable (idempotent, cheap when repeated)."""
        if digest.date not in self._indexed_dates:
            await db_call(self.index.index_digest, digest)
            self._indexed_dates[digest.date] = True

    async def ask_in_thread(self, question: str, link: ThreadLink, conversation: Conversation) -> Reply:
        refusal = self._admit(question, conversation)
        if refusal is not None:
            return refusal
        scope = await self._thread_scope(link)
        thread_key = f"{link.platform}:{link.channel_id}:{link.thread_id}"
        language = question_language(question, link.language)
        return await self._answer(
            question.strip(), scope, thread_key=thread_key, language=language, digest_language=link.language
        )

    async def ask_paper(self, arxiv_id: str, question: str, conversation: Conversation) -> Reply:
        refusal = self._admit(question, conversation)
        if refusal is not None:
            return refusal
        stored = await db_call(self.index.papers, [arxiv_id])
        paper = stored.get(arxiv_id) or await self.digests.paper(arxiv_id)
        await db_call(self.index.index_papers, [paper])
        scope = Scope(papers={paper.arxiv_id: paper}, label=f"paper {paper.arxiv_id}")
        thread_key = f"{conversation.channel_key}:{conversation.thread_id}" if conversation.thread_id else None
        language = question_language(question, self.digests.language)
        return await self._answer(
            question.strip(), scope, thread_key=thread_key, language=language, digest_language=self.digests.language
        )

    async def search(self, words: str, conversation: Conversation) -> Reply:
        """Title and abstract search over every stored digest, newest papers' dates shown."""
        latest = await db_call(self.digests.store.load_digest, None, self.digests.language, self.digests.source.name)
        if latest is not None:
            await self.index_digest(latest)
        if await db_call(self.index.is_empty):
            return TextReply("No digest is stored yet, so there is nothing to search; post one with /digest first.")
        hits = await db_call(self.index.search, words, limit=self.limits.search_results)
        return SearchReply(
            query=words,
            hits=[
                SearchHit(
                    paper=hit.paper,
                    digest_date=hit.digest_date.isoformat() if hit.digest_date else "",
                    snippet=hit.snippet,
                )
                for hit in hits
            ],
        )

    def _admit(self, question: str, conversation: Conversation) -> TextReply | None:
        """A refusal for an empty or overlong question or an exhausted rate limit, else ``None``."""
        length = len(question.strip())
        if length == 0:
            return TextReply("Ask a question about the papers, e.g. “which of these runs on a single GPU?”", True)
        if length > self.limits.question_max_chars:
            limit = self.limits.question_max_chars
            return TextReply(
                f"That question is {length} characters long; the limit is {limit}. Please shorten it.", True
            )
        user_key = f"{conversation.platform}:{conversation.user_id}"
        user_wait = self._per_user.wait_seconds(user_key)
        if user_wait:
            return TextReply(
                f"You've asked a lot of questions in a short time — please try again {try_again_in(user_wait)}.", True
            )
        channel_wait = self._per_channel.wait_seconds(conversation.channel_key)
        if channel_wait:
            return TextReply(
                "This channel has asked a lot of questions in a short time — "
                f"please try again {try_again_in(channel_wait)}.",
                True,
            )
        self._per_user.take(user_key)
        self._per_channel.take(conversation.channel_key)
        return None

    async def _thread_scope(self, link: ThreadLink) -> Scope:
        if link.digest_date is not None:
            digest = await self.digests.digest(link.digest_date, language=link.language)
            await self.index_digest(digest)
            wanted = set(link.arxiv_ids)
            papers = {p.arxiv_id: p for p in digest.papers if not wanted or p.arxiv_id in wanted}
            return Scope(papers=papers, label=f"the {digest.date.isoformat()} digest", digest=digest)
        stored = await db_call(self.index.papers, link.arxiv_ids)
        missing = [i for i in link.arxiv_ids if i not in stored]
        fetched = [await self.digests.paper(arxiv_id) for arxiv_id in missing]
        await db_call(self.index.index_papers, fetched)
        papers = {**stored, **{p.arxiv_id: p for p in fetched}}
        label = f"paper {link.arxiv_ids[0]}" if len(link.arxiv_ids) == 1 else "this thread's papers"
        return Scope(papers=papers, label=label)

    async def _answer(
        self, question: str, scope: Scope, *, thread_key: str | None, language: str, digest_language: str
    ) -> Reply:
        search = await self._search_text(question)
        focus = focus_of(question, scope)
        if not (focus.arxiv_ids or focus.outside) and search != question:
            focus = focus_of(search, scope)
        if focus.outside:
            return TextReply(await self._outside_message(focus.outside, scope))
        ids = focus.arxiv_ids or list(scope.papers)
        passages = await db_call(self.index.passages_for, search, ids, self.limits.passages)
        if await self._add_full_text(focus.arxiv_ids or _ids_of(passages), scope):
            passages = await db_call(self.index.passages_for, search, ids, self.limits.passages)
        if focus.arxiv_ids or len(ids) <= self.limits.passages:
            passages = _with_abstracts(passages, [scope.papers[i] for i in ids], limit=self.limits.passages)
        history = await db_call(self.turns.recent, thread_key, self.limits.history_turns) if thread_key else []
        reply = AnswerReply(text=unsupported_text(language), citations=[])
        if passages:
            answer = await self.answerer.answer(Question(question, passages, history, language))
            reply = _checked_reply(answer.text, answer.cited_ids, scope)
        if not reply.citations and _untranslated(search):
            reply = AnswerReply(text=needs_english_text(digest_language), citations=[])
        if thread_key:
            await db_call(self.turns.add, thread_key, question, reply.text[:_HISTORY_ANSWER_CHARS])
        return reply

    async def _search_text(self, question: str) -> str:
        """The words to retrieve passages with: the question's own, or, when it has none that
        can match English text (a Korean question), English terms from the model if there is one."""
        if not _untranslated(question):
            return question
        return await self.answerer.search_terms(question) or question

    async def _add_full_text(self, arxiv_ids: Sequence[str], scope: Scope) -> bool:
        """Fetch and index the full text of the first few papers the question is about; True if any
        was added. Each paper is fetched at most once (the fetcher's cache), politely paced."""
        if self.fulltext is None:
            return False
        added = False
        for arxiv_id in list(arxiv_ids)[: self.limits.fulltext_papers]:
            if await db_call(self.index.has_chunks, arxiv_id):
                continue
            paper = scope.papers[arxiv_id]
            chunks = await source_call(self.fulltext.chunks, arxiv_id, version=paper.version)
            if chunks:
                await db_call(self.index.index_chunks, arxiv_id, chunks)
                added = True
        return added

    async def _outside_message(self, arxiv_ids: list[str], scope: Scope) -> str:
        known = await db_call(self.index.papers, arxiv_ids)
        named = []
        for arxiv_id in arxiv_ids:
            paper = known.get(arxiv_id)
            title = f" (“{paper.title[:80]}”)" if paper else ""
            named.append(f"{arxiv_id}{title}")
        first = arxiv_ids[0]
        return (
            f"{', '.join(named)} {'is' if len(named) == 1 else 'are'} not in {scope.label}, so I can't answer "
            f"about it here. Ask about it directly with /digest ask {first} <question>."
        )


def _untranslated(text: str) -> bool:
    """True for text with no Latin letter at all, which offline matching cannot use."""
    return not query_terms(text) and not _LATIN.search(fold(text))


def _ids_of(passages: Sequence[Passage]) -> list[str]:
    return list(dict.fromkeys(p.arxiv_id for p in passages))


def _with_abstracts(passages: list[Passage], papers: Sequence[Paper], *, limit: int) -> list[Passage]:
    """The retrieved passages plus the abstracts of the asked-about papers they lack (a question
    like "summarize the mirror paper" shares no words with the paper, yet is about it)."""
    present = {(p.arxiv_id, p.section) for p in passages}
    extra = [
        Passage(arxiv_id=paper.arxiv_id, title=paper.title, text=paper.abstract)
        for paper in papers
        if (paper.arxiv_id, "abstract") not in present
    ]
    return (passages + extra)[: max(limit, len(passages))]


def _checked_reply(answer_text: str, cited_ids: Sequence[str], scope: Scope) -> AnswerReply:
    """The answer with citations limited to the scope's papers; a citation of any other paper is
    removed and the removal said out loud."""
    foreign: list[str] = []
    cited: list[str] = []

    def keep_inside(match: re.Match[str]) -> str:
        ids = [m.group(1) for m in ID_IN_TEXT.finditer(match.group(1))]
        inside = [i for i in ids if i in scope.papers]
        foreign.extend(i for i in ids if i not in scope.papers)
        cited.extend(inside)
        return " ".join(f"[{i}]" for i in inside)

    body = _CITATION_GROUP.sub(keep_inside, answer_text).strip()
    if foreign:  # the removed citation leaves "text ." behind
        body = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", body) + "\n" + _FOREIGN_CITATION_NOTE
    ordered = list(dict.fromkeys([*cited, *(i for i in cited_ids if i in scope.papers)]))
    return AnswerReply(text=body, citations=[scope.papers[i] for i in ordered])
