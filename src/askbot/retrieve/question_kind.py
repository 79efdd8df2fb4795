"""What kind of information a question asks for: a reason, a time, a place…

Two FAQ questions about the same thing can score within a hair of each other while asking for
different things: "Will rates go up again?" and "Why did it raise rates again?". A reader's
"will they raise rates again?" is told apart by its question word, which the sentence encoder
weighs little. ``settles`` uses the kind only to choose between two entries too close to call,
never to rank others.

English is read from its opening words by the regexes below, yes-or-no questions included.
The multilingual encoder's other languages list their question words in ``question_kinds.json``
(package data): opening the question after filler words ("und warum…"), where a language
puts them first; as whole words anywhere in Turkish ("Grev ne zaman?"); anywhere in Japanese,
Korean, Chinese and Thai ("彗星はいつ見えますか"). Phrases of kind ``none`` hide a shorter one they
start with ("いつも" is "always", not "when"). Their yes-or-no questions, made by word order or a
particle, are not read. Each language keeps its own words: "was" opens a German "what"
question, and Dutch "wie" asks who where German "wie" asks how.

>>> kind_of("And why are they striking?"), kind_of("will they raise rates again?")
('reason', 'yes-no')
>>> kind_of("What happens on the days between the strikes?") is None
True
>>> kind_of("Und warum streiken die Lokführer?", "de"), kind_of("彗星はいつ見えますか？", "ja")
('reason', 'time')
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from askbot.language import fold

# The opening words of each kind, tried in order (the longer openings of "how" first).
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rf"(?:{pattern})\b"))
    for kind, pattern in (
        ("quantity", r"how (?:much|many|long|often|big|high|far|old)"),
        ("reason", r"why|how come|what for"),
        ("time", r"when|how soon|(?:what|which) (?:time|date|day|month|year)|by when|until when"),
        ("place", r"where|from where"),
        ("person", r"who|whom|whose"),
        ("manner", r"how"),
        (
            "yes-no",
            r"(?:am|is|are|was|were|will|would|can|could|do|does|did|should|shall|may|might"
            r"|must|has|have|had)(?:n['’]t)?|won['’]t|can['’]t|shan['’]t",
        ),
    )
)
# Kinds whose answer may come from an FAQ question of another open kind, or of none.
_OPEN = ("manner", "yes-no")
# Words a reader puts before the question proper ("and why…", "ok, so when…").
_LEADING = re.compile(r"^(?:(?:and|but|so|ok|okay|then|also|well|oh|hmm|um|sorry|please)\b[\s,]*)+")


# Longest text read for its question word in another language: the work per call is bounded.
MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class _Words:
    """One language's question words, normalised as its questions are."""

    where: str  # "start" (after filler words), "words" (whole words anywhere) or "anywhere"
    leading: tuple[str, ...]  # filler words before the question proper, for "start"
    phrases: tuple[tuple[str, str], ...]  # (phrase, kind), the longest first


def _normalised(text: str, where: str) -> str:
    """Folded (accents and case dropped) where words are spaced; only case and width
    otherwise, where folding would merge kana ("ど" is "と" plus a mark)."""
    if where == "anywhere":
        return unicodedata.normalize("NFKC", text).casefold()
    return fold(text)


def _load() -> dict[str, _Words]:
    data = json.loads(
        resources.files(__package__).joinpath("question_kinds.json").read_text("utf-8")
    )
    words = {}
    for language, fields in data.items():
        where = fields["where"]
        phrases = {
            _normalised(phrase, where): kind
            for kind, listed in fields["kinds"].items()
            for phrase in listed
        }
        words[language] = _Words(
            where,
            tuple(_normalised(w, where) for w in fields.get("leading", [])),
            tuple(sorted(phrases.items(), key=lambda item: -len(item[0]))),
        )
    words["zh-tw"] = words["zh"]
    return words


_OTHER_LANGUAGES = _load()


def kind_of(question: str, language: str | None = "en") -> str | None:
    """The kind of answer a question in ``language`` asks for by its question word; ``None``
    when it does not say ("what…", "which…", a bare topic) or the language is not known here."""
    if language == "en":
        return _english_kind(question)
    words = _OTHER_LANGUAGES.get(language or "")
    if words is None:
        return None
    text = _normalised(question[:MAX_CHARS], words.where)
    if words.where == "start":
        return _opening_kind(text, words)
    return _first_kind(text, words)


def _english_kind(question: str) -> str | None:
    text = _LEADING.sub("", question.strip().lower().lstrip("¿¡\"'(").lstrip())
    for kind, opening in _KINDS:
        if opening.match(text):
            return kind
    return None


def _opening_kind(text: str, words: _Words) -> str | None:
    """The kind of the longest phrase opening ``text`` once filler words are dropped."""
    for _ in range(3):  # "und dann, warum…": a few fillers at most
        filler = next((w for w in words.leading if text.startswith(w + " ")), None)
        if filler is None:
            break
        text = text[len(filler) + 1 :]
    for phrase, kind in words.phrases:
        if text == phrase or text.startswith(phrase + " "):
            return None if kind == "none" else kind
    return None


def _first_kind(text: str, words: _Words) -> str | None:
    """The kind of the phrase found first in ``text`` (the longest of those found there), as
    whole words when the language spaces them; a ``none`` phrase hides shorter ones where it
    starts ("いつもの電車はいつ…" asks when)."""
    spaced = words.where == "words"
    haystack = f" {text} " if spaced else text
    hidden: set[int] = set()
    found: list[tuple[int, int, str]] = []  # (position, -length, kind)
    for phrase, kind in words.phrases:  # the longest first
        needle = f" {phrase} " if spaced else phrase
        at = haystack.find(needle)
        while at >= 0:
            if kind == "none":
                hidden.add(at)
            elif at not in hidden:
                found.append((at, -len(phrase), kind))
                break
            at = haystack.find(needle, at + 1)
    return min(found)[2] if found else None


def settles(
    question: str,
    first: str,
    second: str,
    language: str | None = "en",
    entries_language: str = "en",
) -> int | None:
    """Which of two close FAQ questions (0 or 1, in ``entries_language``) asks for the kind of
    answer ``question`` (in ``language``) asks for, when exactly one does; ``None`` when the
    kinds do not tell them apart."""
    asked = kind_of(question, language)
    if asked is None:
        return None
    kinds = (kind_of(first, entries_language), kind_of(second, entries_language))
    if (kinds[0] == asked) == (kinds[1] == asked):
        return None
    chosen = 0 if kinds[0] == asked else 1
    # "how do I get a postal ballot?" is answered by "Can I vote by mail?" as often as by
    # "How do I register?": a manner or yes-no question settles only against a specific kind.
    if asked in _OPEN and kinds[1 - chosen] in (None, *_OPEN):
        return None
    return chosen
