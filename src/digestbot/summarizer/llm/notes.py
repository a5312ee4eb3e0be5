"""The notes the LLM back end attaches to what it produced, in the digest's language.

A degraded section must say so (users of other bots complain most about summaries that were
secretly just the abstract), so every fallback and every grounding correction leaves a note.
"""

from __future__ import annotations

from collections.abc import Sequence

from digestbot.summarizer.models import CategoryAssignment

OFFLINE_FALLBACK = "offline fallback"
"""How the reason of an assignment the offline categorizer made in the model's place begins."""

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "budget": "The daily language-model budget is spent, so this section was summarized offline.",
        "failed": "The language model could not summarize this section ({reason}), so it was summarized offline.",
        "grounding": "Grounding check: {rewritten} sentence(s) rewritten and {dropped} removed because they "
        "quoted numbers the abstracts do not contain.",
        "more": "Key facts for {shown} of {total} papers; every paper is listed in Sources.",
        "answer_failed": "I could not get an answer from the language model ({reason}). Please try again later.",
        "no_passages": "I have no text from these papers to answer from.",
        "unsupported": "The papers do not say.",
        "categorized_offline": "{count} paper(s) were categorized offline because the language model failed "
        "or the daily budget was spent.",
    },
    "ko": {
        "budget": "오늘의 언어 모델 예산을 모두 사용하여 이 섹션은 오프라인으로 요약했습니다.",
        "failed": "언어 모델이 이 섹션을 요약하지 못해({reason}) 오프라인으로 요약했습니다.",
        "grounding": "근거 확인: 초록에 없는 숫자를 인용한 문장 {rewritten}개를 고쳐 쓰고 {dropped}개를 삭제했습니다.",
        "more": "논문 {total}편 중 {shown}편의 핵심 사실만 표시합니다. 모든 논문은 출처에 있습니다.",
        "answer_failed": "언어 모델에서 답변을 받지 못했습니다({reason}). 잠시 후 다시 시도해 주세요.",
        "no_passages": "이 논문들에서 답변에 쓸 텍스트가 없습니다.",
        "unsupported": "논문에는 해당 내용이 없습니다.",
        "categorized_offline": "언어 모델 오류 또는 일일 예산 소진으로 논문 {count}편은 오프라인으로 분류했습니다.",
    },
}


def note(kind: str, language: str, **values: object) -> str:
    phrases = _PHRASES.get(language) or _PHRASES.get(language.split("-")[0]) or _PHRASES["en"]
    return phrases[kind].format(**values)


def categorized_offline_note(assignments: Sequence[CategoryAssignment], language: str) -> list[str]:
    """A digest-level note when some papers were categorized offline in the model's place."""
    count = sum(a.reason.startswith(OFFLINE_FALLBACK) for a in assignments)
    return [note("categorized_offline", language, count=count)] if count else []
