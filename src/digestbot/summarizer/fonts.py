"""Finding a font that can draw a chart's text, so Korean (or Japanese, Chinese) labels never
render as empty boxes.

matplotlib's default DejaVu Sans has no Hangul. Debian's ``fonts-noto-cjk`` or ``fonts-nanum``
do; they are looked up in matplotlib's font list and, since that list is cached from the first
run, also among the system's font files (a font installed later is added on demand). With none
installed, :func:`font_for` answers ``None`` and the caller draws English labels instead.
"""

from __future__ import annotations

import logging
from functools import lru_cache

log = logging.getLogger(__name__)

DEFAULT_FAMILY = "DejaVu Sans"
# Preferred families, best first; file name fragments find them when the cache predates them.
_FAMILIES = (
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans KR",
    "NanumGothic",
    "NanumBarunGothic",
    "Source Han Sans KR",
    "UnDotum",
    "Baekmuk Gulim",
)
_FILES = ("NotoSansCJK", "NotoSansKR", "NanumGothic.ttf", "NanumBarunGothic.ttf", "SourceHanSans", "UnDotum")


def _covers(path: str, text: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(path).get_charmap()
    except (OSError, RuntimeError):
        return False
    return all(ord(char) in charmap for char in set(text) if not char.isspace())


@lru_cache(maxsize=32)
def font_for(text: str) -> str | None:
    """A font family that draws every character of ``text``: the default when it can, else an
    installed CJK family, else ``None``."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    if _covers(font_manager.findfont(DEFAULT_FAMILY), text):
        return DEFAULT_FAMILY
    known = {entry.name: entry.fname for entry in manager.ttflist}
    for family in _FAMILIES:
        if family in known and _covers(known[family], text):
            return family
    paths = sorted(font_manager.findSystemFonts())
    for path in (path for fragment in _FILES for path in paths if fragment in path):
        if _covers(path, text):
            manager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    log.warning("no installed font can draw %r; install fonts-noto-cjk or fonts-nanum", text[:40])
    return None
