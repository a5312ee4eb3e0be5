"""The few framing lines the extractive back end writes itself, per output language.

Everything else it shows is quoted from abstracts, which stay in their original language
(English on arXiv); these lines say so plainly in the digest's language, so a Korean digest
reads as Korean framing around deliberate English quotes rather than as a failed translation.
"""

from __future__ import annotations

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "theme": "{theme} — {count} papers, e.g. {examples}",
        "extractive": "Extractive summary: sentences are quoted from the abstracts; no language model was used.",
        "more": "Key facts for the {shown} most result-dense of {total} papers; every paper is in Sources.",
        "outlook": "{count} new {noun} in {category} today, {measured} with measured results.",
        "lead": " The largest thread is {lead} ({lead_count} papers).",
        "close": " Start with the key facts above; every abstract is linked in Sources.",
        "paper": "paper",
        "papers": "papers",
    },
    "ko": {
        "theme": "{theme} — 관련 논문 {count}편 (예: {examples})",
        "extractive": "추출 요약: 인용문은 논문 초록(영어 원문)에서 그대로 옮겼으며, 언어 모델은 사용하지 않았습니다.",
        "more": "결과가 가장 구체적인 {shown}편의 주요 사실만 싣습니다(전체 {total}편). 모든 논문은 출처에 있습니다.",
        "outlook": "오늘 {category} 분야의 새 논문은 {count}{noun}이며, 그중 {measured}편이 수치 결과를 보고합니다.",
        "lead": " 가장 큰 흐름은 '{lead}'(관련 논문 {lead_count}편)입니다.",
        "close": " 위의 논문별 주요 사실부터 읽고, 초록 원문은 출처에서 확인하세요.",
        "paper": "편",
        "papers": "편",
    },
}


def _phrases(language: str) -> dict[str, str]:
    return _PHRASES.get(language, _PHRASES["en"])


def theme_line(theme: str, count: int, examples: list[str], language: str) -> str:
    quoted = "; ".join(f"'{title}'" for title in examples)
    return _phrases(language)["theme"].format(theme=theme, count=count, examples=quoted)


def extractive_note(language: str) -> str:
    return _phrases(language)["extractive"]


def more_papers_note(shown: int, total: int, language: str) -> str:
    return _phrases(language)["more"].format(shown=shown, total=total)


def outlook(category: str, count: int, *, lead: tuple[str, int] | None, measured: int, language: str) -> str:
    """The closing line: a count, how many papers report numbers, and the largest thread only
    (themes and keywords are listed above it; repeating them would say nothing new)."""
    words = _phrases(language)
    noun = words["paper"] if count == 1 else words["papers"]
    text = words["outlook"].format(count=count, category=category, noun=noun, measured=measured)
    if lead:
        text += words["lead"].format(lead=lead[0], lead_count=lead[1])
    return text + words["close"]
