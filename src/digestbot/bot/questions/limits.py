"""Abuse and cost limits on questions: per-user and per-channel token buckets, a length cap.

Every answer may cost a model call, and a thread is open to a whole workspace, so limits are
what keeps a curious (or scripted) channel from spending a team's daily budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from digestbot.bot.limits import FromSettings


@dataclass(frozen=True)
class QuestionLimits(FromSettings):
    """Abuse and cost limits; the first three are settings of the same names (upper-cased)."""

    questions_per_user_per_hour: int = 20
    questions_per_channel_per_hour: int = 60
    question_max_chars: int = 500
    history_turns: int = 4
    passages: int = 8
    fulltext_papers: int = 2
    search_results: int = 10
