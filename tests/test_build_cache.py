"""Memo caches of a build end with the build, so a long-running bot does not grow day by day."""

from __future__ import annotations

from digestbot.app.factory import make_digest_service
from digestbot.bot.config import Settings
from digestbot.summarizer import build_cache
from digestbot.summarizer.text import split_sentences


async def test_a_build_leaves_no_memo_of_its_abstracts_behind() -> None:
    service = make_digest_service(Settings(_env_file=None, digest_source="sample", database_url="sqlite://"))  # type: ignore[call-arg]
    split_sentences("A memo from before the build. It goes too.")

    digest = await service.digest()

    assert len(digest.papers) > 200  # the sample day was really built, through every memoized step
    sizes = {cache.__wrapped__.__qualname__: cache.cache_info().currsize for cache in build_cache._CACHES}
    assert len(sizes) >= 6 and set(sizes.values()) == {0}, sizes
