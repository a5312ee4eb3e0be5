"""What a paper's own metadata says about it: numbers, released code or data, an accepted venue.

Each detector reads the abstract and the arXiv comments field only (no network), returns a
short phrase a reader understands ("reports numbers", "code released", "accepted at ICLR 2026")
or nothing, and is cheap: a day of 1,000 papers is ranked well within 200 ms.
"""

from __future__ import annotations

import re

from digestbot.summarizer.models import Paper

# A result stated as a number: a percentage, a speed-up or ratio ("3.2x", "4×", "10-fold"), a
# decimal (accuracy 0.87, BLEU 31.4) or "by N points". Bare integers (years, dataset sizes,
# section numbers) do not count: they rarely state a result.
_RESULT_NUMBER = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:%|x\b|×|-?fold\b|times\b|points?\b|pp\b)"
    r"|(?<![\w.$])\d+\.\d+(?![\w.])"
    r"|\bby\s\d+(?:\.\d+)?\b",
    re.IGNORECASE,
)
_CODE_HOST = re.compile(r"\b(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/", re.IGNORECASE)
_DATA_HOST = re.compile(r"\bhuggingface\.co/(?:datasets/)|\bzenodo\.org/|\bkaggle\.com/datasets", re.IGNORECASE)
_MODEL_HOST = re.compile(r"\bhuggingface\.co/(?!datasets/)", re.IGNORECASE)
_CODE_WORDS = re.compile(
    r"\b(?:code|implementation|source code|codebase)s?\b[^.]{0,60}?\b(?:available|released?|open[- ]sourced?|public)\b"
    r"|\b(?:release|open[- ]source)\s+(?:our|the)\s+(?:code|implementation)|github link",
    re.IGNORECASE,
)
_DATA_WORDS = re.compile(
    r"\b(?:code and data|data and code|dataset|benchmark|data)\b[^.]{0,60}?\b(?:available|released?|public(?:ly)?)\b"
    r"|\b(?:release|open[- ]source)\s+(?:our|the|a)\s+(?:new\s+)?(?:dataset|benchmark|data)\b",
    re.IGNORECASE,
)
_PROJECT_PAGE = re.compile(r"\bproject (?:page|website)\b|\.github\.io\b", re.IGNORECASE)

# "Accepted at/to/by …", "To appear in …", "Published in …"; "submitted to" and "under review"
# are not acceptances and never match.
_ACCEPTED = re.compile(
    r"\b(?:accepted|to appear|appearing|published|presented)\b"
    r"(?:\s+(?:for|as)\s+(?:publication|presentation|an? \w+ paper|(?:an? )?(?:oral|poster|spotlight)))?"
    r"\s*(?:at|to|by|in|for|as)?\s*(?:publication in|the)?\s*(?P<venue>[^.;]{2,120})",
    re.IGNORECASE,
)
# A venue's short name with its year: "ICLR 2026", "ICML'26", "SIGDIAL2026", "(EC) 2026".
_VENUE_YEAR = re.compile(r"\(?\b(?P<name>[A-Z][A-Za-z]*[A-Z][A-Za-z]*)\)?[\s'-]?(?P<year>(?:19|20)\d\d|\d\d)\b")
_KNOWN_VENUES = (
    "NeurIPS|ICML|ICLR|CVPR|ICCV|ECCV|ACL|EMNLP|NAACL|EACL|COLING|LREC|AAAI|IJCAI|KDD|WWW|SIGIR|CIKM|WSDM|"
    "CoRL|ICRA|IROS|RSS|MICCAI|ISBI|INTERSPEECH|ICASSP|UAI|AISTATS|COLT|TMLR|JMLR|TPAMI|MLSys|USENIX|OSDI|SOSP|"
    "CHI|UIST|SIGGRAPH|WACV|BMVC|3DV|ACM MM|ICDE|VLDB|SIGMOD|Nature|Science"
)
_KNOWN_VENUE_YEAR = re.compile(rf"\b(?P<name>{_KNOWN_VENUES})[\s'-]?(?P<year>(?:19|20)\d\d|\d\d)\b", re.IGNORECASE)
_NOT_ACCEPTED = re.compile(r"\b(?:submitted|under review|in submission|preprint|rejected)\b", re.IGNORECASE)
_WORKSHOP = re.compile(r"\bworkshop\b", re.IGNORECASE)
_VENUE_CHARS = 40


def result_numbers(paper: Paper) -> int:
    """How many results the abstract states with numbers (0: a paper that reports none)."""
    return len(_RESULT_NUMBER.findall(paper.abstract))


def releases(paper: Paper) -> list[str]:
    """What the paper releases, as reasons: "code released", "data released", "model released",
    or "project page" when only a page is linked."""
    text = f"{paper.abstract}\n{paper.comment or ''}"
    found = []
    if _CODE_HOST.search(text) or _CODE_WORDS.search(text):
        found.append("code released")
    if _DATA_HOST.search(text) or _DATA_WORDS.search(text):
        found.append("data released")
    if _MODEL_HOST.search(text):
        found.append("model released")
    if not found and _PROJECT_PAGE.search(text):
        found.append("project page")
    return found


def venue(paper: Paper) -> str | None:
    """The venue that accepted the paper per its comments ("ICLR 2026", "ICML 2026 workshop"),
    or ``None`` when the comments claim no acceptance."""
    comment = " ".join((paper.comment or "").split())
    if not comment:
        return None
    accepted = _ACCEPTED.search(comment)
    if accepted and not _NOT_ACCEPTED.search(comment[: accepted.start()]):
        phrase = accepted.group("venue")
        name = _short_name(phrase) or _cut(phrase)
    elif (known := _KNOWN_VENUE_YEAR.search(comment)) and not _NOT_ACCEPTED.search(comment):
        name = _year_name(known)
    else:
        return None
    return f"{name} workshop" if _WORKSHOP.search(comment) and "workshop" not in name.lower() else name


def _short_name(phrase: str) -> str | None:
    match = _KNOWN_VENUE_YEAR.search(phrase) or _VENUE_YEAR.search(phrase)
    return _year_name(match) if match else None


def _year_name(match: re.Match[str]) -> str:
    year = match.group("year")
    return f"{match.group('name')} {'20' + year if len(year) == 2 else year}"


def _cut(phrase: str) -> str:
    """A long venue phrase cut at a comma, a date or a word boundary, to fit a reason."""
    phrase = re.split(r",|\s\(|\s+on\s+(?=[A-Z][a-z]+ \d)|\s+as\s+", phrase, maxsplit=1)[0].strip()
    if len(phrase) <= _VENUE_CHARS:
        return phrase
    return phrase[:_VENUE_CHARS].rsplit(" ", 1)[0] + "…"
