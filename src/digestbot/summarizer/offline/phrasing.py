"""The few framing lines the extractive back end writes itself, per output language.

Everything else it shows is quoted from abstracts, which stay in their original language;
these lines tell the reader so, in the digest's language.
"""

from __future__ import annotations

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "theme": "{theme} — {count} papers, e.g. {examples}",
        "extractive": "Extractive summary: sentences are quoted from the abstracts; no language model was used.",
        "more": "Key facts for the {shown} most result-dense of {total} papers; every paper is in Sources.",
        "outlook": "{count} new {noun} in {category} today. Recurring threads: {topics}. "
        "Read the key facts above and the abstracts in Sources for the details.",
        "outlook_no_topics": "{count} new {noun} in {category} today; see the key facts and Sources.",
        "paper": "paper",
        "papers": "papers",
        "and": "and",
    },
    "ko": {
        "theme": "{theme} — {count}편, 예: {examples}",
        "extractive": "추출 요약: 문장은 초록에서 그대로 인용했으며 언어 모델은 사용하지 않았습니다.",
        "more": "결과가 가장 풍부한 {shown}편의 핵심 사실만 표시합니다(전체 {total}편). 모든 논문은 출처에 있습니다.",
        "outlook": "오늘 {category} 분야의 새 논문은 {count}편입니다. 반복되는 주제: {topics}. "
        "자세한 내용은 위의 핵심 사실과 출처의 초록을 참고하세요.",
        "outlook_no_topics": "오늘 {category} 분야의 새 논문은 {count}편입니다. 핵심 사실과 출처를 참고하세요.",
        "paper": "편",
        "papers": "편",
        "and": "및",
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


def outlook(category: str, count: int, topics: list[str], language: str) -> str:
    words = _phrases(language)
    noun = words["paper"] if count == 1 else words["papers"]
    if not topics:
        return words["outlook_no_topics"].format(count=count, category=category, noun=noun)
    joined = ", ".join(topics[:-1]) + f" {words['and']} {topics[-1]}" if len(topics) > 1 else topics[0]
    return words["outlook"].format(count=count, category=category, topics=joined, noun=noun)
