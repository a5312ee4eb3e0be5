"""Headings and labels of rendered digests, per output language (the seed is Korean)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Labels:
    title: str
    chart_alt: str
    summary: str
    sources: str
    main_themes: str
    keywords: str
    key_facts: str
    impact: str
    outlook: str
    paper: str
    papers: str
    extractive: str
    llm: str
    tldr: str
    key_points: str
    paper_keywords: str


_LABELS = {
    "en": Labels(
        title="Daily Artificial Intelligence Insights : Papers",
        chart_alt="Category Distribution Graph",
        summary="Summary",
        sources="Sources",
        main_themes="Main themes",
        keywords="Common keywords and trends",
        key_facts="Key facts per paper",
        impact="Impact",
        outlook="Conclusion and outlook",
        paper="paper",
        papers="papers",
        extractive="offline extractive summaries",
        llm="written by a language model",
        tldr="TL;DR",
        key_points="Key points",
        paper_keywords="Keywords",
    ),
    "ko": Labels(
        title="Daily Artificial Intelligence Insights : Papers",
        chart_alt="Category Distribution Graph",
        summary="요약",
        sources="출처",
        main_themes="주요 주제 및 테마",
        keywords="공통 키워드 및 트렌드",
        key_facts="논문별 주요 사실",
        impact="영향 분석",
        outlook="종합 요약 및 미래 발전 전망",
        paper="편",
        papers="편",
        extractive="오프라인 추출 요약",
        llm="언어 모델 작성",
        tldr="한 줄 요약",
        key_points="핵심 내용",
        paper_keywords="키워드",
    ),
}

SUPPORTED_LANGUAGES = tuple(_LABELS)


def labels_for(language: str) -> Labels:
    """Labels in ``language``; other languages get English headings (the content follows the setting)."""
    return _LABELS.get(language, _LABELS["en"])
