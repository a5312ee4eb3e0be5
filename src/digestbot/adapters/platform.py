"""The descriptor every adapter package declares as ``PLATFORM``, built the same way for each.

A platform is named after its package (``digestbot.adapters.slack`` is ``slack``), which is
also how the composition root finds it, so the two cannot disagree. Its digest layout is the
package's own: the brief post (its ``brief.render_brief``) or the five-part one (its
``render.render_digest``), imported only when a digest is first posted, so reading a
package's settings at start-up loads none of its rendering code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TypeVar

from digestbot.bot.config import PlatformSettings
from digestbot.bot.ports import BotServices, ChatAdapter, ChatPlatform, DigestRenderer, OutgoingMessage, Transport
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend

_S = TypeVar("_S", bound=PlatformSettings)


def declare_platform(
    package: str,
    *,
    settings: type[_S],
    create_adapter: Callable[[_S, BotServices], ChatAdapter],
    create_transport: Callable[[_S], Transport],
) -> ChatPlatform[_S]:
    """The :class:`ChatPlatform` of the adapter package ``package`` (pass its ``__name__``)."""
    return ChatPlatform(
        name=package.rsplit(".", 1)[-1],
        settings=settings,
        create_adapter=create_adapter,
        create_transport=create_transport,
        render_digest=digest_layout(package),
    )


def digest_layout(package: str) -> DigestRenderer:
    """The :class:`DigestRenderer` of the adapter package named ``package``."""

    def render_digest(
        digest: Digest, chart_png: bytes, *, detail: str = "full", trends: Sequence[CategoryTrend] = ()
    ) -> list[OutgoingMessage]:
        if detail == "brief":
            brief = importlib.import_module(f"{package}.brief")
            return list(brief.render_brief(digest, chart_png, trends=tuple(trends)))
        full = importlib.import_module(f"{package}.render")
        return list(full.render_digest(digest, chart_png))

    return render_digest
