"""TeX in titles and abstracts, turned into the Unicode a reader expects (``$8.3\\times$`` → ``8.3×``).

arXiv metadata is raw author TeX, and chat clients show it raw. ``pylatexenc`` parses it the way
TeX would; what this module adds is the care abstracts need: a bare ``%`` or ``&`` is prose
there, not a comment or a table cell, an author's own macro (``\\method``) keeps its name, and
text that does not parse comes back unchanged, so no word is ever lost to a cleanup.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from digestbot.summarizer.build_cache import per_build_cache

if TYPE_CHECKING:  # pylatexenc is imported on first use: most titles hold no TeX, and start-up stays fast
    from pylatexenc.latex2text import LatexNodes2Text
    from pylatexenc.latexwalker import LatexMacroNode

logger = logging.getLogger(__name__)

# A text is parsed only when it has a macro, a math pair, a group or a tie; anything else is prose
# and stays as it is (which also makes cleaning twice harmless: a lone "$5" is not math).
_TEX_HINT = re.compile(r"\\[A-Za-z%&$#_{}]|\$[^$]*\$|[{}~]")
# In an abstract "50%" and "R&D" are prose: escape them before TeX would read a comment or a cell.
_PROSE_SPECIALS = re.compile(r"(?<!\\)([%&#])")
# "\~74pp" or " ~74pp" in an abstract means "about 74pp", not an accent on the 7 or a tie.
_APPROXIMATELY = re.compile(r"(?:\\~|(?<!\S)~)(?=[\d.])")
# "250^th" is how math mode leaves an ordinal superscript; readers write "250th".
_ORDINAL = re.compile(r"(?<=\d)\^(st|nd|rd|th)\b")


def _unknown_macro(node: LatexMacroNode) -> str:
    """An author's own macro (``\\method``, ``\\ourmodel``) most likely names their method: keep
    the name rather than leave a hole in the sentence. An unknown formatting macro
    (``\\textsuperscript{th}``) is dropped; its braced argument still prints."""
    if node.macroname.startswith(("text", "math", "mbox")):
        return ""
    return node.macroname + node.macro_post_space


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    # Macros common in abstracts that pylatexenc's defaults do not know (or render as markup).
    abstract_macros = (
        MacroTextSpec("eg", "e.g."),
        MacroTextSpec("ie", "i.e."),
        MacroTextSpec("etal", "et al."),
        MacroTextSpec("wrt", "w.r.t."),
        MacroTextSpec("textless", "<"),
        MacroTextSpec("textgreater", ">"),
        MacroTextSpec("cite", ""),
        MacroTextSpec("citep", ""),
        MacroTextSpec("citet", ""),
        MacroTextSpec("citealp", ""),
        MacroTextSpec("href", ""),  # its URL argument stays as text: the link is the content
        MacroTextSpec("pmod", simplify_repl=lambda node: "mod" + node.macro_post_space),
        *(
            MacroTextSpec(name, discard=False)  # formatting only: keep what is inside
            for name in ("texttt", "boldsymbol", "bm", "operatorname", "mathbf", "mathit", "mathsf", "text")
        ),
        *(
            MacroTextSpec(name, "")  # sizing and spacing: no text
            for name in ("left", "right", "big", "Big", "bigl", "bigr", "em", "scriptsize", "footnotesize", "small")
        ),
    )
    context = get_default_latex_context_db().filter_context()
    context.add_context_category("abstracts", macros=list(abstract_macros), prepend=True)
    context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
    return LatexNodes2Text(latex_context=context, math_mode="text", strict_latex_spaces=False)


@per_build_cache(maxsize=16384)
def clean_latex(text: str) -> str:
    """``text`` with its TeX rendered as Unicode and whitespace folded; unchanged (but folded)
    when it holds no TeX or when TeX cannot parse it.

    Cached: a paper's title and sentences are cleaned once however many parts quote them.
    """
    flat = " ".join(text.split())
    if not _TEX_HINT.search(flat):
        return flat
    try:
        prepared = _APPROXIMATELY.sub("∼", _PROSE_SPECIALS.sub(r"\\\1", flat))
        converted = _converter().latex_to_text(prepared)
    except Exception:  # pylatexenc raises assorted errors on malformed input; the raw text is still right
        logger.debug("TeX left as written: it did not parse", exc_info=True)
        return flat
    cleaned = " ".join(_ORDINAL.sub(r"\1", converted).split())
    return cleaned or flat
