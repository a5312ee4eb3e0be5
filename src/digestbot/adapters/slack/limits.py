"""Slack's message limits as data, so the renderer and its tests read them from one place.

Sources (see the project's platform notes): Block Kit reference — 50 blocks per message,
3,000 characters per section text, 150 per header; ``chat.postMessage`` truncates the top-level
``text`` beyond 40,000 characters; Slack rejects a message whose blocks together hold more
than roughly 12,000 characters with ``msg_blocks_too_long`` although each block is within its
own limit (slackapi/bolt-js#2509). ``chat.postMessage`` allows about one message per second
per channel with short bursts; a ``response_url`` accepts five responses in 30 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SlackLimits:
    blocks_per_message: int = 50
    section_text: int = 3_000
    header_text: int = 150
    context_elements: int = 10
    message_block_text: int = 12_000
    top_level_text: int = 40_000
    response_url_uses: int = 5
    # Room kept in every section for its heading ("*Sources* (continued)") and in every
    # message for the "part 2 of 3" line that continuation messages start with.
    heading_allowance: int = 200
    # A link label longer than this shows its start in the link and the rest after it, so a
    # pathological title can never make one line longer than a section.
    link_label: int = 300

    @property
    def line_text(self) -> int:
        """The most a single rendered line may hold so that heading + line fit a section."""
        return self.section_text - self.heading_allowance


LIMITS = SlackLimits()

# chat.postMessage pacing per channel (Slack's "special" tier): a token bucket.
POSTS_PER_SECOND = 1.0
POST_BURST = 3
