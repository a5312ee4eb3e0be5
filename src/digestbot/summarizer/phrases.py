"""Every phrase the bot writes in its own words, in every language it speaks: one catalog.

Sections: ``labels`` (headings and labels of a rendered digest or paper card), ``offline`` (the
extractive back end's framing lines), ``llm`` (notes the LLM back end attaches), ``answers`` (the
offline answerer's framing), ``delivery`` (notes about a post itself, e.g. that it is late), ``source`` (notes about where a
day's papers came from), ``brief`` (the brief post's lines),
``chart`` and ``trend`` (the chart's title and labels, trend lines). A phrase is named
``section.name`` (:func:`phrase`); modules with a lookup of their own read their section with
:func:`table`.

A new language is one more entry in each section (the test suite checks that every language has
every English phrase); a language without an entry, or a phrase missing from it, falls back to
English. Quoted paper text is never translated: it stays in the paper's language.
"""

from __future__ import annotations

from typing import Any

CATALOG: dict[str, dict[str, dict[str, str]]] = {
    "labels": {
        "en": {
            "title": "Daily Artificial Intelligence Insights : Papers",
            "chart_alt": "Category Distribution Graph",
            "summary": "Summary",
            "sources": "Sources",
            "main_themes": "Main themes",
            "keywords": "Common keywords and trends",
            "key_facts": "Key facts per paper",
            "impact": "Impact",
            "outlook": "Conclusion and outlook",
            "paper": "paper",
            "papers": "papers",
            "extractive": "offline extractive summaries",
            "llm": "written by a language model",
            "tldr": "TL;DR",
            "key_points": "Key points",
            "paper_keywords": "Keywords",
            "category_count": "{count} categories",
        },
        "ko": {
            "title": "Daily Artificial Intelligence Insights : Papers",
            "chart_alt": "Category Distribution Graph",
            "summary": "요약",
            "sources": "출처",
            "main_themes": "주요 주제 및 테마",
            "keywords": "공통 키워드 및 트렌드",
            "key_facts": "논문별 주요 사실",
            "impact": "영향 분석",
            "outlook": "종합 요약 및 미래 발전 전망",
            "paper": "편",
            "papers": "편",
            "extractive": "오프라인 추출 요약",
            "llm": "언어 모델 작성",
            "tldr": "한 줄 요약",
            "key_points": "핵심 내용",
            "paper_keywords": "키워드",
            "category_count": "{count}개 분야",
        },
    },
    "offline": {
        "en": {
            "theme": "{theme} — {count} papers, e.g. {examples}",
            "extractive": "Extractive summary: sentences are quoted from the abstracts; no language model was used.",
            "more": "Key facts for the {shown} most result-dense of {total} papers; every paper is in Sources.",
            "outlook": "{count} new {noun} in {category} today, {measured} with measured results.",
            "lead": " The largest thread is {lead} ({lead_count} papers).",
            "close": " Start with the key facts above; Sources links every paper to its arXiv page.",
            "paper": "paper",
            "papers": "papers",
        },
        "ko": {
            "theme": "{theme} — 관련 논문 {count}편 (예: {examples})",
            "extractive": "추출 요약: 인용문은 논문 초록(영어 원문)에서 그대로 옮겼으며, 언어 모델은 사용하지 않았습니다.",
            "more": "결과가 가장 구체적인 {shown}편의 주요 사실만 싣습니다(전체 {total}편). 모든 논문은 출처에 있습니다.",
            "outlook": "오늘 {category} 분야의 새 논문은 {count}{noun}이며, 그중 {measured}편이 수치 결과를 보고합니다.",
            "lead": " 가장 큰 흐름은 '{lead}'(관련 논문 {lead_count}편)입니다.",
            "close": " 위의 논문별 주요 사실부터 읽고, 각 논문은 출처의 arXiv 링크에서 확인하세요.",
            "paper": "편",
            "papers": "편",
        },
    },
    "llm": {
        "en": {
            "budget": "The daily language-model budget is spent, so this section was summarized offline.",
            "failed": "The language model could not summarize this section ({reason}), so it was summarized offline.",
            "grounding": "Grounding check: {rewritten} sentence(s) rewritten and {dropped} removed "
            "because they quoted numbers the abstracts do not contain.",
            "more": "Key facts for {shown} of {total} papers; every paper is listed in Sources.",
            "answer_failed": "I could not get an answer from the language model ({reason}). Please try again later.",
            "no_passages": "I have no text from these papers to answer from.",
            "unsupported": "The papers do not say.",
            "categorized_offline": "{count} paper(s) were categorized offline because the language model "
            "failed or the daily budget was spent.",
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
    },
    "answers": {
        "en": {
            "intro": "From the papers (quoted):",
            "summary": "What each paper says it does (quoted):",
            "unsupported": "The papers in this digest don't say.",
            "needs_english": "Offline matching needs English terms: your question has no English "
            "words to match against the papers. Please ask again with English "
            "keywords, e.g. “RACER failure recovery”.",
        },
        "ko": {
            "intro": "논문에서 인용한 내용:",
            "summary": "각 논문이 밝힌 기여(인용):",
            "unsupported": "이 다이제스트의 논문에는 그에 대한 내용이 없습니다.",
            "needs_english": "오프라인 검색은 영어 단어로만 논문과 맞춰 볼 수 있는데, 질문에 영어 단어가 없습니다. 영어 키워드로 다시 질문해 "
            "주세요(예: “RACER failure recovery”).",
        },
    },
    "delivery": {
        "en": {"late": "Posted late: this digest was due at {due} {zone} and went out at {sent}."},
        "ko": {"late": "늦게 게시됨: 이 다이제스트는 {zone} 기준 {due}에 게시될 예정이었으나 {sent}에 게시되었습니다."},
    },
    "source": {
        "en": {
            "rebuilt": "Rebuilt from the arXiv API: first versions submitted {start} to {end} UTC; cross-lists of "
            "older papers and held submissions may differ from that day's announcement."
        },
        "ko": {
            "rebuilt": "arXiv API로 다시 구성함: {start}부터 {end}(UTC)까지 처음 제출된 논문입니다. 이전 논문의 "
            "교차 등록과 보류된 제출은 그날의 실제 공지와 다를 수 있습니다."
        },
    },
    "brief": {
        "en": {
            "total": "{count} {noun}",
            "top": "Today's top {count}",
            "hint": "Each category's summary and top papers are in this thread — reply there to ask about these papers.",
            "also": "Also today",
            "more": "+{count} more in the attached file {file}, which holds every paper of the day.",
            "file_unavailable": "The full digest file could not be attached ({reason}); /digest <category> lists a "
            "category's papers.",
            "file": "The full digest, every paper in its category's Sources: {file}",
            "threads": "Main threads: {themes}.",
            "interest": "matches your interest: {interests}",
            "chart": "Papers per category",
        },
        "ko": {
            "total": "{count}{noun}",
            "top": "오늘의 추천 {count}편",
            "hint": "분야별 요약과 주요 논문은 이 스레드에 있습니다. 논문에 대한 질문은 스레드에 답글로 남겨 주세요.",
            "also": "오늘의 다른 논문",
            "more": "외 {count}편은 첨부 파일 {file}에 있습니다(오늘의 모든 논문 포함).",
            "file_unavailable": "전체 다이제스트 파일을 첨부하지 못했습니다 ({reason}). /digest <분야>로 분야별 논문 목록을 볼 수 있습니다.",
            "file": "전체 다이제스트(모든 논문이 분야별 출처에 있음): {file}",
            "threads": "주요 흐름: {themes}.",
            "interest": "관심 주제와 일치: {interests}",
            "chart": "분야별 논문 수",
        },
    },
    "chart": {
        "en": {
            "title": "New AI papers by category — {day} ({total} papers)",
            "axis": "papers",
            "today": "today",
            "mean": "mean of the last {days} announcement days",
            "file_title": "Papers per category",
            "file_alt": "Bar chart of the number of new papers per category",
            "unavailable": "The chart is unavailable: the upload was refused ({reason}). The counts are in the message above.",
        },
        "ko": {
            "title": "분야별 새 AI 논문 — {day} (총 {total}편)",
            "axis": "논문 수",
            "today": "오늘",
            "mean": "최근 {days}회 발표일 평균",
            "file_title": "분야별 논문 수",
            "file_alt": "분야별 새 논문 수 막대 그래프",
            "unavailable": "차트를 올리지 못했습니다 (업로드 거부: {reason}). 분야별 논문 수는 위 메시지에 있습니다.",
        },
    },
    "trend": {
        "en": {"line": "{name}: {today} today, {mean} a day last week"},
        "ko": {"line": "{name}: 오늘 {today}편, 지난주 하루 평균 {mean}편"},
    },
}

_DRAWN = ("chart", "trend")
"""The sections the chart draws (their glyphs decide its font)."""


def table(section: str) -> dict[str, dict[str, str]]:
    """One section: language -> name -> template (``str.format`` fields in braces)."""
    return CATALOG[section]


def _in(section: str, language: str) -> dict[str, str]:
    languages = CATALOG[section]
    return languages.get(language) or languages.get(language.split("-")[0]) or languages["en"]


def phrase(key: str, language: str, **values: Any) -> str:
    """The phrase ``section.name`` in ``language`` (its base language, e.g. ``pt`` for ``pt-BR``,
    or English), with ``values`` filled in."""
    section, name = key.split(".", 1)
    return _in(section, language).get(name, CATALOG[section]["en"][name]).format(**values)


def phrases_in(language: str) -> list[str]:
    """Every template the chart may draw in ``language`` (for checking that a font can draw them)."""
    return [template for section in _DRAWN for template in _in(section, language).values()]
