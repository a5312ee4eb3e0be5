"""The LLM answerer: one call answers a question from the given passages only, citing [arxiv_id].

The reply is checked before anyone sees it: citations of papers that were not among the
passages are removed (a model cannot cite what it was not shown), and sentences quoting numbers
the passages do not contain are dropped, as in the digest. When nothing grounded is left, or
the model says the passages do not cover the question, the answer is ``supported=False``.
"""

from __future__ import annotations

import logging

from digestbot.summarizer.backends import Answerer, Question
from digestbot.summarizer.ids import CITATION
from digestbot.summarizer.llm.gateway import LlmError, LlmGateway
from digestbot.summarizer.llm.grounding import allowed_numbers, drop_ungrounded
from digestbot.summarizer.llm.prompts import answer_prompt, search_terms_prompt
from digestbot.summarizer.llm.schemas import GroundedAnswer, SearchTerms
from digestbot.summarizer.models import Answer, Backend
from digestbot.summarizer.phrases import phrase

log = logging.getLogger(__name__)

STAGE = "answer"


class LlmAnswerer:
    backend = Backend.LLM

    def __init__(self, gateway: LlmGateway, *, fallback: Answerer | None = None) -> None:
        self.gateway = gateway
        self.fallback = fallback

    async def answer(self, question: Question) -> Answer:
        passages, language = question.passages, question.language
        if not passages:
            return Answer(text=phrase("llm.no_passages", language), cited_ids=[], supported=False, backend=self.backend)
        prompt = answer_prompt(question.text, passages, history=question.history, language=language)
        try:
            reply = await self.gateway.complete(prompt, GroundedAnswer, stage=STAGE)
        except LlmError as error:
            log.warning("answerer: no answer from the model (%s)", error)
            if self.fallback is not None:
                return await self.fallback.answer(question)
            text = phrase("llm.answer_failed", language, reason=error)
            return Answer(text=text, cited_ids=[], supported=False, backend=self.backend)
        return self._checked(reply, question)

    async def search_terms(self, question: str) -> str | None:
        """One small call (cached by the gateway like every call): the question's English search
        terms. On failure the question simply finds no passages, as offline."""
        try:
            reply = await self.gateway.complete(search_terms_prompt(question), SearchTerms, stage=STAGE)
        except LlmError as error:
            log.warning("answerer: no search terms from the model (%s)", error)
            return None
        return " ".join(reply.terms) or None

    def _checked(self, reply: GroundedAnswer, question: Question) -> Answer:
        passages, language = question.passages, question.language
        known = list(dict.fromkeys(p.arxiv_id for p in passages))
        text = CITATION.sub(lambda m: m.group(0) if m.group(1) in known else "", reply.answer)
        # The question may name numbers too ("what about the 7B model?"); echoing them invents nothing.
        allowed = allowed_numbers([*(f"{p.title}. {p.text}" for p in passages), question.text])
        grounded, dropped = drop_ungrounded(" ".join(text.split()), allowed)
        if dropped:
            log.info("answerer: dropped %d sentence(s) quoting numbers the passages do not contain", dropped)
        if not grounded:
            return Answer(text=phrase("llm.unsupported", language), cited_ids=[], supported=False, backend=self.backend)
        mentioned = {match.group(1) for match in CITATION.finditer(grounded)} | set(reply.cited_ids)
        cited = [arxiv_id for arxiv_id in known if arxiv_id in mentioned]
        return Answer(text=grounded, cited_ids=cited, supported=reply.supported, backend=self.backend)
