"""Shorten a quoted sentence to its main clause, so a TL;DR is one short sentence that still says
something.

A TL;DR quotes the abstract's "we propose" sentence, which runs to 25-35 words: a lead-in
("To address this limitation, we propose …") and trailing clauses (", which …", ", enabling …",
" by …"). A reader scanning a daily post wants the main clause. So the lead-in before "we" goes
(as ``roles.repair_start`` drops an opening connective), and the sentence is cut where a clause
or a phrase begins, never inside parentheses and never after a word that needs its
continuation ("the", "of", "compared"): a cut at a word boundary ("We propose a method that
improves the …") says nothing. The cut stays visible ("…"), since the rest is the authors'
words left out. A sentence with no such place keeps its length rather than lose its verb (one in
a hundred on a real day).
"""

from __future__ import annotations

import re

from digestbot.summarizer.text import shorten_quote

# A lead-in that frames the contribution rather than states part of it ("In this paper, we …",
# "To address this limitation, we …", "Motivated by this observation, we …"). A lead-in that says
# how ("By exploiting sparsity, we …") or hedges ("To the best of our knowledge, we …") stays.
_FRAMING = r"[^,;:()]{0,110}"
_LEAD_IN = re.compile(
    r"^(?:in this (?:paper|work|study|article|letter|report)|here(?:in)?|"
    rf"to (?:address|tackle|overcome|bridge|solve|fill|mitigate|close|alleviate|resolve|remedy|handle){_FRAMING}|"
    rf"to (?:\w+ ){{1,2}}(?:this|these|that|those|such)\b{_FRAMING}|"
    r"to (?:this|that) end|to (?:achieve|do) (?:this|so)|with this in mind|against this backdrop|"
    rf"(?:motivated|inspired|guided) by{_FRAMING}|building (?:on|upon){_FRAMING}|as an attempt{_FRAMING}|"
    rf"(?:based on|given|in light of|following) (?:this|these|that|such){_FRAMING}|in response{_FRAMING})"
    r",?\s+(?=we\s)",
    re.IGNORECASE,
)
# Where a clause starts: after a comma, a subordinate or participle clause; a semicolon, a dash.
_CLAUSE = re.compile(
    r",\s+(?=(?:which|where|while|whereas|thereby|thus|so|yet|but|and thus|and then|as well as|"
    r"including|such as|especially|particularly|together|along)\b|[a-z]+ing\b(?!-))"
    r"|;\s|\s[—–]\s|\s--\s|:\s"
)
# Where a phrase starts: a relative clause, a purpose, a means, a prepositional phrase.
_PHRASE = re.compile(
    r"\s(?=(?:that|which|who|whose|by|via|through|using|leveraging|to|with|without|for|across|on|in|"
    r"from|under|over|into|within|beyond|at|as|based on|than|where|when|while|and then|and thus)\s)"
)
# Words a cut may not end on: they promise a continuation.
_NEEDS_MORE = re.compile(
    r"a|an|the|of|and|or|nor|but|to|for|with|without|by|via|in|on|at|from|as|than|that|which|who|whose|"
    r"its|their|our|his|her|this|these|those|both|each|every|such|is|are|was|were|be|been|being|has|have|"
    r"had|can|could|may|might|will|would|should|must|not|no|more|most|less|least|very|so|compared|"
    r"relative|according|due|able|based|leading|respect|used|applied|between|among|into|onto|upon|"
    r"toward|towards|about|against|over|under|within|through|across|rather",
    re.IGNORECASE,
)
# Endings of two words that promise more just the same ("… in order", "… in terms").
_NEEDS_MORE_PAIR = re.compile(r"\b(?:in order|so as|in terms|with respect|in addition|as well)$", re.IGNORECASE)
# A participle before a prepositional phrase usually needs it ("problems governed | by PDEs",
# "a framework designed | to …"); before a clause it does not ("…, trained end to end | , which …").
_PARTICIPLE = re.compile(r"(?<!ne)(?<!spe)(?<!se)(?<!fe)(?<!embe)[a-z]{3,}ed$")
MIN_CLAUSE_WORDS = 6
"""A main clause with fewer words outside parentheses ("We propose SCARCE (Scalable Cascade …)")
names a thing without saying what it is."""
_PARENTHESES = re.compile(r"\([^()]*\)")
# The subject of an abstract's main clause: an opening must reach it, or it has no verb.
_WE = re.compile(r"\bwe\b", re.IGNORECASE)


def drop_lead_in(sentence: str) -> str:
    """``"To address this, we propose X."`` → ``"We propose X."``; other sentences unchanged."""
    trimmed = _LEAD_IN.sub("", sentence, count=1)
    if trimmed == sentence:
        return sentence
    return trimmed[0].upper() + trimmed[1:]


def main_clause(sentence: str, *, target_words: int, max_words: int) -> str:
    """The sentence itself when it has at most ``target_words`` words, else its longest opening
    that ends where a clause (preferred) or a phrase begins, has at most ``target_words`` words
    and says something; else the sentence when it has at most ``max_words``, else the shortest
    such opening of at most ``max_words``; else the whole sentence (a quote's usual cap): a
    long TL;DR costs reading time, a cut at any word ("…, we introduce …") costs the meaning."""
    sentence = drop_lead_in(sentence)
    if len(sentence.split()) <= target_words:
        return sentence
    clauses = _openings(sentence, _CLAUSE)
    phrases = _openings(sentence, _PHRASE)
    for candidates in (clauses, clauses + phrases):
        fitting = [text for text in candidates if len(text.split()) <= target_words]
        if fitting:
            return max(fitting, key=lambda text: len(text.split())) + " …"
    if len(sentence.split()) <= max_words:
        return sentence
    longer = [text for text in clauses + phrases if len(text.split()) <= max_words]
    if longer:
        return min(longer, key=lambda text: len(text.split())) + " …"
    return shorten_quote(sentence)


def _openings(sentence: str, boundary: re.Pattern[str]) -> list[str]:
    """The sentence's openings that end just before ``boundary`` and read as a whole clause."""
    subject = _WE.search(sentence)
    openings = []
    for match in boundary.finditer(sentence, subject.end() if subject else 0):
        text = sentence[: match.start()].rstrip(" ,;:—–-")
        said = _PARENTHESES.sub("", text).split()
        needs_phrase = boundary is _PHRASE and _PARTICIPLE.search(text)
        if (
            len(said) >= MIN_CLAUSE_WORDS
            and _ends_whole(text)
            and not needs_phrase
            and not _in_list(text, cut_at=match.group(0))
        ):
            openings.append(text)
    return openings


def _ends_whole(text: str) -> bool:
    """Ends on a word that needs nothing after it, with every bracket and quotation closed."""
    last = text.split()[-1]
    return not _NEEDS_MORE.fullmatch(last) and not _NEEDS_MORE_PAIR.search(text) and _balanced(text)


def _in_list(text: str, *, cut_at: str) -> bool:
    """A cut inside the list a colon opens ("ten systems: EasyOCR; open VLMs; …") keeps some of
    its items and silently drops the others."""
    colon = text.rfind(": ")
    if colon < 0:
        return False
    after = text[colon:]
    return cut_at.startswith(";") or "; " in after or ", and " in after


def _balanced(text: str) -> bool:
    """No bracket or quotation left open: a cut inside "(ASTAD" would leave it dangling."""
    brackets = sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
    quotes = text.count("“") - text.count("”") + text.count('"') % 2
    return brackets == 0 and quotes == 0
