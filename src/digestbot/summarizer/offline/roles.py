"""What each sentence of an abstract does: background, method, result or implication.

Abstracts follow a near-universal arc (context, what we did, what we found, why it matters),
and readers quote accordingly: a key fact is a result ("reduces latency by 34%"), an impact is an
implication ("paves the way for on-device generation"), never the background that opens the
abstract ("SAR ATR is critical for Earth observation"). Roles come from cue phrases weighed with
the sentence's position; an explicit label ("Results:") decides outright and is then removed.

Sentences are also made quotable on their own: a label is stripped, and a sentence that opens
with a connective pointing at a sentence the reader cannot see ("Second,", "Moreover,") loses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from digestbot.summarizer.build_cache import per_build_cache
from digestbot.summarizer.latex import clean_latex
from digestbot.summarizer.text import numbers_in, split_sentences


class Role(StrEnum):
    BACKGROUND = "background"
    METHOD = "method"
    RESULT = "result"
    IMPLICATION = "implication"


@dataclass(frozen=True)
class Sentence:
    """One cleaned, self-contained sentence of an abstract, with its role and place."""

    text: str
    role: Role
    position: int
    numbers: int
    # How many cue phrases of its role it has: ranks implications against each other.
    cues: int
    # "Code is available at …": never quoted as a fact, an impact or a TL;DR.
    pointer: bool


_LABELS: dict[str, Role] = {
    **dict.fromkeys(("background", "motivation", "context", "introduction", "problem"), Role.BACKGROUND),
    **dict.fromkeys(("objective", "objectives", "purpose", "aim", "aims", "goal"), Role.METHOD),
    **dict.fromkeys(("method", "methods", "methodology", "approach", "design", "setting"), Role.METHOD),
    **dict.fromkeys(("materials and methods", "contribution", "contributions"), Role.METHOD),
    **dict.fromkeys(("result", "results", "findings", "experiments", "evaluation"), Role.RESULT),
    **dict.fromkeys(("conclusion", "conclusions", "significance", "impact", "implications"), Role.IMPLICATION),
    **dict.fromkeys(("discussion", "relevance", "outlook"), Role.IMPLICATION),
}
_LABEL = re.compile(r"^(?P<label>[A-Z][A-Za-z ]{1,24}?)\s*:\s+(?=\S)")
# Connectives that lean on an earlier sentence; quoted alone they dangle, so they are dropped.
_DANGLING = re.compile(
    r"^(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|fourth|lastly|finally|moreover|furthermore|additionally|"
    r"in addition|besides|also|further|then|next|meanwhile|to this end|to that end|as such|"
    r"however|nevertheless|nonetheless|thus|therefore|hence|consequently|accordingly|as a result|"
    r"in particular|specifically|notably|importantly|crucially|overall|in summary|in conclusion|"
    r"to summarize|in short|on the other hand|in contrast|by contrast|conversely|instead|"
    r"beyond (?:this|that)|building on (?:this|that)|on top of (?:this|that))\s*,\s*",
    re.IGNORECASE,
)
_CUES: dict[Role, re.Pattern[str]] = {
    Role.BACKGROUND: re.compile(
        r"\b(has|have) (emerged|become|shown|attracted|gained|been widely)|\b(is|are|remains?) "
        r"(critical|crucial|essential|important|challenging|difficult|limited|costly|expensive|a key|a fundamental)"
        r"|\b(existing|current|prior|previous) (methods|approaches|work|efforts|studies|models)|\bdespite\b|\bsuffer"
        r"|\brecent(ly)?\b|\bunsatisfactory\b|\btoo (costly|expensive|slow)"
        r"|\bhowever\b|\bstruggle|\bremains? (an? )?(open|unclear|challenging|underexplored)|\black of\b"
        r"|\bincreasingly\b|\bwidely (used|adopted)|\bfail to\b|\bis hindered\b",
    ),
    Role.METHOD: re.compile(
        r"\bwe (propose|present|introduce|develop|design|build|formulate|leverage|use|employ|adopt|train|"
        r"construct|model|frame|study|investigate|curate|collect|release)|\b(this|our) (paper|work|study)\b"
        r"|\bour (method|approach|framework|model|system|pipeline)\b|\bconsists? of\b|\bis based on\b"
        r"|\bby (leveraging|combining|integrating|introducing)|\bcalled\b|\bdubbed\b|\bnamed\b",
    ),
    Role.RESULT: re.compile(
        r"\b(achiev|outperform|surpass|improv|reduc|speed|exceed|match|yield|attain|boost|cut|lower)\w*"
        r"|\b(results?|experiments?|evaluations?|analys[ie]s) (show|demonstrate|reveal|indicate|confirm)|\breveal"
        r"|\bwe (find|found|observe|show|demonstrate|report)\b|\bup to\b|\bstate-of-the-art\b|\bsota\b"
        r"|\b(accuracy|f1|auc|bleu|psnr|fid|success rate|win rate|latency|throughput)\b|\d×",
    ),
    Role.IMPLICATION: re.compile(
        r"\b(pav(e|es|ing) the way|open(s|ing)? (up |new )?(avenues|directions|the door)|implications?|"
        r"suggest(s|ing)? that|highlight(s|ing)? the (potential|importance|need|promise)|we (believe|hope|argue)|"
        r"(could|can|may) (be used|serve|benefit|enable|help|inform|guide|support)|practical|real-world|"
        r"deploy\w*|promising|foundation for|step toward|broad(er|ly)?|generaliz\w* to|future (work|research)|"
        r"insights?|takeaway|lessons|position(s|ing)? \S+(?: \S+){0,4} as|"
        r"making \S+(?: \S+){0,4} (accessible|feasible)|establish\w* \S+(?: \S+){0,4} as|route to|"
        r"path(way)? (to|toward)|these (results|findings) (establish|underscore|point|call))",
    ),
}


# "Code is available at https://…": a pointer, not a finding or an implication.
_AVAILABILITY = re.compile(
    r"https?://|github\.com|\b(code|data|dataset|models?|weights|benchmark|project page)s?\b[^.]{0,60}"
    r"\b(available|released|public|open-sourced?)\b|\bwe (release|open-source)\b",
    re.IGNORECASE,
)


# "We propose" says more about a sentence than any single result word does.
_CUE_WEIGHT = {Role.BACKGROUND: 2.0, Role.METHOD: 3.0, Role.RESULT: 2.0, Role.IMPLICATION: 2.0}


def strip_label(sentence: str) -> tuple[str, Role | None]:
    """``"Methodology: The dataset …"`` → ``("The dataset …", METHOD)``; other colons stay."""
    match = _LABEL.match(sentence)
    if not match:
        return sentence, None
    role = _LABELS.get(match.group("label").strip().lower())
    if role is None:
        return sentence, None
    return sentence[match.end() :], role


def repair_start(sentence: str) -> str:
    """Drop a dangling opening connective and capitalize what is left ("Second, to enable …" →
    "To enable …"); a sentence without one is returned unchanged."""
    trimmed = _DANGLING.sub("", sentence, count=1)
    if trimmed == sentence or not trimmed:
        return sentence
    return trimmed[0].upper() + trimmed[1:]


# All four cue lists in one pattern, so a sentence is scanned once (a day has thousands).
# Matched against the lower-cased sentence: case-insensitive alternations are much slower.
_ALL_CUES = re.compile("|".join(f"(?P<{role.value}>{pattern.pattern})" for role, pattern in _CUES.items()))


def cue_counts(text: str) -> dict[Role, int]:
    found = dict.fromkeys(Role, 0)
    for match in _ALL_CUES.finditer(text.lower()):
        found[Role(str(match.lastgroup))] += 1  # every alternative is a named group
    return found


def classify(text: str, *, position: int, count: int, cues: dict[Role, int] | None = None) -> Role:
    """The sentence's role from its cues, weighed by where it sits: abstracts open with
    background, and their last sentences state implications (but only with a cue that says so)."""
    cues = cues if cues is not None else cue_counts(text)
    relative = position / max(1, count - 1)
    scores = {role: _CUE_WEIGHT[role] * found for role, found in cues.items()}
    scores[Role.RESULT] += 1.0 * min(3, len(numbers_in(text)))
    scores[Role.BACKGROUND] += 2.0 if position == 0 else (1.0 if relative < 0.3 else -2.0)
    scores[Role.IMPLICATION] += 1.0 if position == count - 1 and count > 2 else (-3.0 if relative < 0.5 else 0.0)
    scores[Role.METHOD] += 0.5
    if not cues[Role.IMPLICATION]:
        del scores[Role.IMPLICATION]
    return max(scores, key=lambda role: scores[role])


@per_build_cache(maxsize=4096)
def abstract_sentences(abstract: str) -> tuple[Sentence, ...]:
    """The abstract's sentences, TeX rendered, labels and dangling starts removed, each with
    its role. Cached: facts, impact, TL;DR and themes all read the same abstract."""
    pieces = split_sentences(abstract)  # split before cleaning, so bad TeX spoils one sentence at most
    sentences = []
    for position, piece in enumerate(pieces):
        text, labelled = strip_label(clean_latex(piece))
        text = repair_start(text)
        cues = cue_counts(text)
        role = labelled or classify(text, position=position, count=len(pieces), cues=cues)
        sentences.append(
            Sentence(
                text=text,
                role=role,
                position=position,
                numbers=len(numbers_in(text)),
                cues=cues[role],
                pointer=bool(_AVAILABILITY.search(text)),
            )
        )
    return tuple(sentences)
