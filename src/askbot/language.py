"""The language of a reader's question: which encoder reads it, which language answers it.

Questions are short (often 2-10 words), and the two mistakes both cost: English taken for another
language leaves the strong English encoder, another language taken for English gets near-random
answers. So the detector leans to English, and says ``None`` (unsure: the caller falls back on
what it knows, else English) rather than guess:

1. Text without letters (empty, emoji, numbers) is ``None``.
2. Text with letters of another script (at least 2, and 10 % of its letters, a CJK or Hangul
   character counting 3) is judged on those letters alone: the Latin-script titles and names
   inside an Arabic or Japanese request are no evidence.
3. In Latin-script text, capitalised words after the first and all-caps words are names and
   left out, unless every word is capitalised (a title-cased or shouted question).
4. ASCII text whose remaining words are at least half English function or chat words
   ("what about", "ok thanks") is English.
5. Otherwise py3langid, restricted to ``DETECTED``, scores the text; a language other than
   English must be ``ENGLISH_ODDS`` times as likely as English, else the answer is ``None``.

Only the first ``MAX_CHARS`` characters are read. Every step is measured in
``docs/notes/2026-12-05-language-detection.md`` (``scripts/language_detection.py``).

>>> detector = LanguageDetector()
>>> detector.detect("Wann kann ich wählen?").language
'de'
>>> detector.detect("what about china?").language
'en'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import py3langid.langid as langid

SUPPORTED = frozenset(
    {"ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru"}
)
"""The multilingual encoder's languages (USE-multilingual v3), ISO 639-1."""

# Neighbours of the supported languages, so their readers are not forced onto a supported one
# (or onto English). Catalan, Persian and Urdu are left out: they took short Spanish and Arabic
# questions away and their readers are served as Spanish and Arabic readers anyway.
_NEIGHBOURS = frozenset(
    {"da", "sv", "no", "nn", "id", "ms", "fi", "cs", "sk", "ro", "hu", "hr", "bs", "sl", "lt"}
    | {"lv", "et", "vi", "uk", "bg", "be", "kk", "mk", "sr", "mn", "el", "he", "hi", "mr", "bn"}
    | {"pa", "gu", "ta", "te", "hy", "ka"}
)
DETECTED = SUPPORTED | _NEIGHBOURS
"""Every language ``detect`` can answer, ISO 639-1."""

MAX_CHARS = 300
"""Only this many characters of a text are read: the work per call is bounded."""

ENGLISH_ODDS = 5.0
"""How many times likelier than English another language must be (py3langid's probabilities)."""

_OTHER_SCRIPT_MIN = 2.0
_OTHER_SCRIPT_SHARE = 0.1
_WIDE_CHARACTER = 3.0  # a CJK character or Hangul syllable says about as much as 3 Latin letters
_ENGLISH_SHARE = 0.5

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# English closed-class and chat words, without those that are also common words of the other
# Latin-script languages detected: is, in, a, an, i, me, my, we, he, her, so, of, on, to, do,
# at, for, over, have, had, was, will, also, no, ...
# fmt: off
_ENGLISH_WORDS = frozenset((
    "the", "and", "or", "but", "if", "then", "than", "because", "with", "without", "about", "from",
    "into", "by", "up", "out", "after", "before", "since", "until", "again", "you", "your",
    "yours", "him", "his", "she", "it", "its", "us", "our", "ours", "they", "them", "their",
    "theirs", "this", "that", "these", "those", "what", "which", "who", "whom", "whose", "why",
    "how", "when", "where", "there", "here", "are", "were", "be", "been", "being", "does", "did",
    "done", "having", "can", "could", "would", "shall", "should", "may", "might", "must", "not",
    "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "can't", "couldn't",
    "won't", "wouldn't", "shouldn't", "I", "i'm", "i've", "i'd", "i'll", "you're", "it's",
    "that's", "what's", "where's", "who's", "how's", "there's", "let's", "hello", "hi", "hey",
    "thanks", "thank", "thx", "please", "pls", "sorry", "yes", "yeah", "yep", "yup", "nope",
    "okay", "ok", "sure", "bye", "goodbye", "cheers", "cool", "great", "nice", "awesome", "lol",
    "wow", "oh", "ah", "hmm", "good", "morning", "evening", "afternoon", "night", "any", "some",
    "more", "else", "just", "only", "still", "now", "too", "very", "much", "many", "really",
))
# fmt: on

_LANGUAGE_NAMES = {
    "ar": "Arabic (العربية)",
    "zh": "Chinese (中文)",
    "nl": "Dutch (Nederlands)",
    "en": "English",
    "fr": "French (Français)",
    "de": "German (Deutsch)",
    "it": "Italian (Italiano)",
    "ja": "Japanese (日本語)",
    "ko": "Korean (한국어)",
    "pl": "Polish (Polski)",
    "pt": "Portuguese (Português)",
    "es": "Spanish (Español)",
    "th": "Thai (ไทย)",
    "tr": "Turkish (Türkçe)",
    "ru": "Russian (Русский)",
    "da": "Danish",
    "sv": "Swedish",
    "no": "Norwegian",
    "nn": "Norwegian Nynorsk",
    "id": "Indonesian",
    "ms": "Malay",
    "fi": "Finnish",
    "cs": "Czech",
    "sk": "Slovak",
    "ro": "Romanian",
    "hu": "Hungarian",
    "hr": "Croatian",
    "bs": "Bosnian",
    "sl": "Slovenian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "et": "Estonian",
    "vi": "Vietnamese",
    "uk": "Ukrainian",
    "bg": "Bulgarian",
    "be": "Belarusian",
    "kk": "Kazakh",
    "mk": "Macedonian",
    "sr": "Serbian",
    "mn": "Mongolian",
    "el": "Greek",
    "he": "Hebrew",
    "hi": "Hindi",
    "mr": "Marathi",
    "bn": "Bengali",
    "pa": "Punjabi",
    "gu": "Gujarati",
    "ta": "Tamil",
    "te": "Telugu",
    "hy": "Armenian",
    "ka": "Georgian",
}


@dataclass(frozen=True)
class Detection:
    """A text's language (ISO 639-1; None when unsure) and how sure the detector is of it.

    ``confidence`` is py3langid's probability of ``language``; for text read as English by its
    words, the share of English words; 0.0 when ``language`` is None.
    """

    language: str | None
    confidence: float


UNSURE = Detection(None, 0.0)
"""What ``detect`` answers when the text gives no reliable evidence."""


def language_name(code: str) -> str:
    """English name of a detected language, with its own name for the supported ones.

    >>> language_name("ko")
    'Korean (한국어)'
    """
    return _LANGUAGE_NAMES.get(code, code)


def fold(text: str) -> str:
    """``text`` as a language's phrases are compared with it (small talk, follow-up cues, question
    kinds): combining marks dropped, case folded, punctuation and symbols made single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (c for c in decomposed if unicodedata.category(c) != "Mn")
    spaced = ("".join(kept)).casefold()
    plain = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in spaced)
    return " ".join(plain.split())


def is_latin(char: str) -> bool:
    """Whether a letter is Latin script (ASCII, Latin-1, Latin Extended A/B and Additional)."""
    point = ord(char)
    return point < 0x250 or 0x1E00 <= point < 0x1F00


def count_letters(text: str) -> tuple[float, float]:
    """Latin letters and (weighted) letters of other scripts in ``text``."""
    latin = other = 0.0
    for char in text:
        if char.isalpha():
            if is_latin(char):
                latin += 1
            else:
                other += _WIDE_CHARACTER if ord(char) >= 0x2E80 else 1.0
    return latin, other


def strip_names(text: str) -> tuple[str, list[str]]:
    """``text`` with its name-like words blanked, and its other words lower-cased (``I`` kept)."""
    matches = list(_WORD.finditer(text))
    if not any(match[0][0].islower() for match in matches):
        return text, [_word_form(match[0]) for match in matches]
    kept, words, start = [], [], 0
    for index, match in enumerate(matches):
        word = match[0]
        pronoun = word == "I" or word.startswith(("I'", "I’"))
        if not pronoun and ((len(word) > 1 and word.isupper()) or (index and word[0].isupper())):
            kept.append(text[start : match.start()] + " ")
            start = match.end()
        else:
            words.append(_word_form(word))
    kept.append(text[start:])
    return "".join(kept), words


def _word_form(word: str) -> str:
    return "I" if word == "I" else word.lower().replace("’", "'")


def english_word_share(words: list[str]) -> float:
    """Share of ``words`` that are English function or chat words (0 if any is not ASCII)."""
    if not words or not all(word.isascii() for word in words):
        return 0.0
    return sum(word in _ENGLISH_WORDS for word in words) / len(words)


class LanguageDetector:
    """Detects the language of short questions; build once (loads a ~75 MB model), share freely.

    ``detect`` keeps no state between calls, so one detector serves many threads.
    """

    def __init__(
        self, languages: Iterable[str] = DETECTED, *, english_odds: float = ENGLISH_ODDS
    ) -> None:
        self.languages = frozenset(languages)
        if "en" not in self.languages or not self.languages <= DETECTED:
            raise ValueError(f"languages must include 'en' and lie within {sorted(DETECTED)}")
        if english_odds < 1.0:
            raise ValueError("english_odds must be at least 1")
        self.english_odds = english_odds
        self._identifier = langid.LanguageIdentifier.from_model_file(
            langid.MODEL_FILE, norm_probs=True
        )
        self._identifier.set_languages(sorted(self.languages))

    def detect(self, text: str) -> Detection:
        """The language of ``text`` (its first ``MAX_CHARS`` characters), or None when unsure."""
        text = text[:MAX_CHARS]
        latin, other = count_letters(text)
        if latin + other == 0:
            return UNSURE
        if other >= _OTHER_SCRIPT_MIN and other >= _OTHER_SCRIPT_SHARE * (latin + other):
            letters = "".join(" " if char.isalpha() and is_latin(char) else char for char in text)
            language, probability = self.rank(letters)[0]
            return Detection(language, probability)
        scored, words = strip_names(text)
        if not words:
            return UNSURE
        share = english_word_share(words)
        if share >= _ENGLISH_SHARE:
            return Detection("en", share)
        ranked = self.rank(scored)
        language, probability = ranked[0]
        if language == "en":
            return Detection("en", probability)
        english = next(p for code, p in ranked if code == "en")
        if probability >= self.english_odds * english:
            return Detection(language, probability)
        return UNSURE

    def rank(self, text: str) -> list[tuple[str, float]]:
        """The detector's languages for ``text`` as given, likeliest first, with probabilities."""
        ranked: list[tuple[str, float]] = self._identifier.rank(text)
        return ranked
