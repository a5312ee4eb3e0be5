"""The brief daily post's size for real days (targets: Slack <= 8 messages and 20,000 visible
characters, Discord <= 10 messages, reading time <= 5 minutes).

Run as ``.venv/bin/python benchmarks/brief_post.py``. For the 532-paper day of 2026-06-30 and the
261-paper sample day (offline back end), it renders the brief post with the real Slack and
Discord renderers and prints, per platform: the messages a channel sees (on Slack the attached
full digest is a file message of its own in the thread), the visible characters (link targets and
markup excluded), the papers linked from the post and how many are reachable only through the
attached ``.md``, and the reading time: the words a reader reads (parent, category summaries,
top picks with their TL;DRs, headings and notes; only the compact title lists are excluded, as they
are skimmed) at 230 words a minute, and the papers each category shows with their TL;DR (its
thread picks plus its papers among the parent's top picks; the target is at least 3 for every
category of 3 papers or more), as min and median over the categories, and the smallest
category's figure beside its size. The full post (``detail: full``) is printed beside it for
comparison.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.brief_helpers import ARXIV_ID, big_day, sample_day, slack_visible  # noqa: E402

from digestbot.adapters.discord.brief import BUDGET as DISCORD_BUDGET  # noqa: E402
from digestbot.adapters.discord.brief import render_brief as discord_brief  # noqa: E402
from digestbot.adapters.discord.render import render_digest as discord_full  # noqa: E402
from digestbot.adapters.slack.brief import BUDGET as SLACK_BUDGET  # noqa: E402
from digestbot.adapters.slack.brief import render_brief as slack_brief  # noqa: E402
from digestbot.adapters.slack.render import render_digest as slack_full  # noqa: E402
from digestbot.bot.layout.brief import PICKS_MIN, BriefPost, brief_post  # noqa: E402
from digestbot.bot.ports import OutgoingMessage  # noqa: E402
from digestbot.summarizer.models import Digest  # noqa: E402

PNG = b"\x89PNG benchmark chart"
WORDS_PER_MINUTE = 230
_DISCORD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def discord_visible(message: OutgoingMessage) -> str:
    payload = message.payload
    texts = [payload.get("content") or ""]
    for embed in payload.get("embeds") or []:
        texts += [embed.get("title") or "", embed.get("description") or "", (embed.get("footer") or {}).get("text", "")]
    return _DISCORD_LINK.sub(r"\1", "\n".join(texts)).replace("**", "").replace("\\", "")


def _count(parts: list[OutgoingMessage], *, file_is_message: bool) -> int:
    files = sum(1 for part in parts[1:] if part.attachment is not None)
    return len(parts) + (files if file_is_message else 0)


def _reach(digest: Digest, parts: list[OutgoingMessage]) -> tuple[int, int]:
    linked = {i for part in parts for i in ARXIV_ID.findall(json.dumps(part.payload))}
    ids = {paper.arxiv_id for paper in digest.papers}
    in_file = {
        i
        for part in parts
        if part.attachment and part.attachment[0].endswith(".md")
        for i in ARXIV_ID.findall(part.attachment[1].decode())
    }
    assert ids <= linked | in_file, "a paper is unreachable"
    return len(ids & linked), len(ids - linked)


def report(name: str, digest: Digest) -> None:
    slack, discord = slack_brief(digest, PNG), discord_brief(digest, PNG)
    print(f"\n{name}: {len(digest.papers)} papers, {len(digest.sections)} categories")
    for platform, parts, visible, is_message in (
        ("Slack", slack, lambda m: slack_visible(m.payload["blocks"]), True),
        ("Discord", discord, discord_visible, False),
    ):
        linked, file_only = _reach(digest, parts)
        chars = sum(len(visible(m)) for m in parts)
        count = _count(parts, file_is_message=is_message)
        print(
            f"  {platform:<8} brief: {count:>2} messages, {chars:>6,} visible characters, "
            f"{linked} papers linked, {file_only} only in the attached .md"
        )
    full_slack = slack_full(digest, PNG)
    full_discord = discord_full(digest, PNG)
    slack_chars = sum(len(slack_visible(m.payload["blocks"])) for m in full_slack)
    print(
        f"  full post for comparison: Slack {len(full_slack)} messages, {slack_chars:,} visible characters; "
        f"Discord {len(full_discord)} messages"
    )
    for label, budget in (("Slack", SLACK_BUDGET), ("Discord", DISCORD_BUDGET)):
        post = brief_post(digest, budget=budget)
        words = post.reading_words()
        print(
            f"  reading time ({label} layout): {words} words = {words / WORDS_PER_MINUTE:.2f} min "
            f"(compact title lists excluded); {picks_line(digest, post)}"
        )


def picks_line(digest: Digest, post: BriefPost) -> str:
    """Papers per category shown with a TL;DR, over the categories that have PICKS_MIN or more."""
    sizes = {section.category.name: len(section.papers) for section in digest.sections}
    picks = post.picks_per_category()
    eligible = sorted(picks[name] for name, size in sizes.items() if size >= PICKS_MIN)
    small = [f"{name} {picks[name]} of {size}" for name, size in sizes.items() if size < PICKS_MIN]
    thread = sorted(len(c.picks) for c in post.categories() if c.count >= PICKS_MIN)
    line = f"picks per category (>= {PICKS_MIN} papers): min {min(eligible, default=0)}, median {_median(eligible)}"
    line += f" (thread alone: min {min(thread, default=0)}, median {_median(thread)})"
    return line + (f"; smaller: {', '.join(small)}" if small else "")


def _median(values: list[int]) -> str:
    return f"{statistics.median(values):g}" if values else "0"


def main() -> None:
    report("2026-06-30 (fixture)", big_day())
    report("2026-06-26 (sample)", sample_day())
    report("2026-06-30 in Korean", big_day("ko"))


if __name__ == "__main__":
    main()
