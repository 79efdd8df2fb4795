"""How a message in the multilingual encoder's other languages refers to the conversation: a
follow-up that leans on the previous turn ("¿y China?", "Und warum?", "중국은요?", "那中国呢？"),
"tell me more" ("cuéntame más"), a pick by rank ("el segundo").

English keeps its regexes in ``askbot.conversation.reading``. Each language of ``cues.json``
(package data) lists openings that only link a follow-up to the previous turn ("y", "und was
ist mit"), stripped from its subject; openings that ask about the previous turn ("why"), kept;
endings that make a bare topic a follow-up (Korean "은요", Japanese "は", Chinese "呢"); words
that point back ("eso", "sie", "それ"); its "tell me more" phrases; and its ordinals. Messages
and cues are compared folded (``askbot.language.fold``: accents and case dropped,
punctuation made a space), so "por que" reads as "¿por qué?".

>>> leans_back("¿y China?", "es"), subject_of("¿y China?", "es")
(True, 'China?')
>>> leans_back("¿Cuándo es la huelga?", "es")
False
>>> ordinal("La segunda"), asks_for_more("Erzähl mir mehr!")
(2, True)
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import TypeGuard

from askbot.language import fold


@dataclass(frozen=True, slots=True)
class Cues:
    """One language's follow-up cues, folded as messages are, the longest first."""

    linking: tuple[str, ...] = ()  # openings with no subject of their own: stripped
    leaning: tuple[str, ...] = ()  # openings that ask about the previous turn: kept
    endings: tuple[str, ...] = ()  # endings that mark a bare topic as a follow-up
    pronouns: frozenset[str] = frozenset()  # words that point back
    spaced: bool = True  # written with spaces between words (not Chinese, Japanese, Thai)
    attached: bool = False  # particles attach to a pronoun ("그것은"): match a word's start


def _load() -> tuple[dict[str, Cues], frozenset[str], dict[str, int]]:
    """Package data ``cues.json``: each language's follow-up cues (the fields of ``Cues``), its
    "tell me more" phrases and its ordinals ("1", "2", "3", "-1" for the last -> phrases);
    the phrases of every language pooled, folded."""
    data = json.loads(resources.files(__package__).joinpath("cues.json").read_text("utf-8"))

    def folded(texts: list[str]) -> tuple[str, ...]:
        return tuple(sorted({fold(t) for t in texts}, key=len, reverse=True))

    cues = {
        language: Cues(
            folded(fields.get("linking", [])),
            folded(fields.get("leaning", [])),
            folded(fields.get("endings", [])),
            frozenset(folded(fields.get("pronouns", []))),
            fields.get("spaced", True),
            fields.get("attached", False),
        )
        for language, fields in data.items()
    }
    cues["zh-tw"] = cues["zh"]
    more = frozenset(fold(p) for fields in data.values() for p in fields.get("more", []))
    ordinals = {
        fold(phrase): int(number)
        for fields in data.values()
        for number, phrases in fields.get("ordinals", {}).items()
        for phrase in phrases
    }
    return cues, more, ordinals


# A whole message asking for more, or picking an option by its rank, reads the same in any
# language: the detector cannot tell the language of "el segundo" or "mehr", and no phrase of one
# language is another's question.
CUES, _MORE, _ORDINALS = _load()

# Longest message that leans on an opening; a pronoun or an ending leans only in a short one
# (as in English: "why are they getting closer?", not a paragraph that mentions "they").
MAX_WORDS, SHORT_WORDS = 16, 8
MAX_CHARS, SHORT_CHARS = 40, 16  # for languages written without spaces
# Longer messages are no "tell me more" or ordinal phrase, whatever their padding.
MAX_PHRASE_CHARS = 40
# Linking openings stripped in a row at most ("y entonces qué pasa con...").
MAX_LINKS = 3
_LEADING_MARKS = re.compile(r"^[\W_]+")


def asks_for_more(message: str) -> bool:
    """Whether ``message`` as a whole asks, in another language, to go on ("cuéntame más")."""
    return len(message) <= MAX_PHRASE_CHARS and fold(message) in _MORE


def ordinal(message: str) -> int | None:
    """The rank a message as a whole names in another language ("el segundo" -> 2; -1 for the
    last), if it names one."""
    return _ORDINALS.get(fold(message)) if len(message) <= MAX_PHRASE_CHARS else None


def knows(language: str | None) -> TypeGuard[str]:
    """Whether ``language`` has follow-up cues here."""
    return language in CUES


def _opening(folded: str, openings: tuple[str, ...], spaced: bool) -> str | None:
    """The first of ``openings`` (the longest, when sorted so) that ``folded`` starts with, as
    whole words when spaced."""
    for opening in openings:
        if folded == opening or folded.startswith(opening + " " if spaced else opening):
            return opening
    return None


def leans_back(message: str, language: str, *, first: bool = False) -> bool:
    """Whether ``message``, in ``language``, probably leans on the previous turn. On a ``first``
    turn (read against the article's title) a bare topic ("안보는?") does not: it names its own
    subject, and the title would pull it to the entry that restates the article's."""
    cues = CUES[language]
    folded = fold(message)
    size = len(folded.split()) if cues.spaced else len(folded.replace(" ", ""))
    longest, short = (MAX_WORDS, SHORT_WORDS) if cues.spaced else (MAX_CHARS, SHORT_CHARS)
    if not folded or size > longest:
        return False
    if _opening(folded, cues.linking + cues.leaning, cues.spaced):
        return True
    if size > short:
        return False
    if not first and any(folded.endswith(ending) for ending in cues.endings):
        return True
    pronouns = cues.pronouns
    if not cues.spaced:
        return any(pronoun in folded for pronoun in pronouns)
    words = folded.split()
    if cues.attached:
        return any(word.startswith(pronoun) for word in words for pronoun in pronouns)
    return not pronouns.isdisjoint(words)


def subject_of(message: str, language: str) -> str:
    """``message`` without the openings that only link it: "¿y qué pasa con China?" -> "China?"."""
    cues = CUES[language]
    text = message.strip()
    for _ in range(MAX_LINKS):
        opening = _opening(fold(text), cues.linking, cues.spaced)
        if opening is None:
            break
        if cues.spaced:
            text = _drop_words(text, len(opening.split()))
        else:
            text = _drop_chars(_LEADING_MARKS.sub("", text), len(opening)).lstrip()
    return text or message.strip()


def _drop_words(text: str, count: int) -> str:
    """``text`` without its first ``count`` folded words ("qu'en est-il de" is five)."""
    words = text.split()
    for i, word in enumerate(words):
        if count <= 0:
            return " ".join(words[i:])
        count -= len(fold(word).split())
    return ""


def _drop_chars(text: str, count: int) -> str:
    """``text`` without the characters that fold to its first ``count`` ones: a mark (a Thai
    tone, a Japanese voicing) goes with the letter it sits on."""
    for i, char in enumerate(text):
        if count <= 0 and unicodedata.category(char) != "Mn":
            return text[i:]
        marks = (c for c in unicodedata.normalize("NFKD", char) if unicodedata.category(c) != "Mn")
        count -= sum(1 for _ in marks)
    return ""
