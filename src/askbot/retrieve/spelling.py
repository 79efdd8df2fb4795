"""Typos in English questions: a word that is neither English nor the FAQ's, one edit away from
one that is, is read as that word before it is embedded.

MiniLM splits "histroy" into word pieces it never saw together, and the sentence loses what
the word meant: one typo in a reader's question costs far more than one word (figures:
``scripts/typo_robustness.py``, docs/quality.md). The dictionary is pyspellchecker's English
word list; a correction must be one edit away (a letter dropped, added, changed, or two
swapped). The FAQ's own words come first, so "commet" reads as the "comet" an article is
about; then a typist's commonest slips (a swap, a double letter typed once or twice); then
the commoner word. A word is left alone when it is short (names and acronyms: "nato",
"pnc"), has digits or capitals inside, is known to either list, or when its only English
neighbours are rare words ("covid" does not become "covin").

>>> Speller({"comet"}).corrected("when can i see the commet tonihgt?")
'when can i see the comet tonight?'
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from functools import cache

from spellchecker import SpellChecker

MIN_LENGTH = 5  # shorter words are too often names, acronyms or abbreviations
MIN_COUNT = 1_000  # an English-only correction must be at least this common in the word list
MAX_LOOKUPS = 6  # unknown words looked up per question: bounds what any message costs
# A word typed in lower case, or capitalised: "McDonald", "iPhone" and "NATO" are kept.
_WORD = re.compile(r"\b[A-Za-z][a-z]+\b")


@cache
def english() -> SpellChecker:
    """pyspellchecker's English word list, loaded once per process."""
    return SpellChecker(language="en", distance=1)


class Speller:
    """Corrects the typos of questions to one FAQ (or index)."""

    def __init__(self, words: AbstractSet[str]) -> None:
        """``words``: the FAQ's words, lower case, as written."""
        self._words = words
        self._checker = english()  # loaded now, not on a reader's first typo
        self._counts = self._checker.word_frequency.dictionary  # English word -> its count
        self._memo: dict[str, str] = {}

    def corrected(self, text: str) -> str:
        """``text`` with each likely typo replaced by the word it was meant to be."""
        lookups = [MAX_LOOKUPS]

        def replace(match: re.Match[str]) -> str:
            word, lower = match.group(), match.group().lower()
            if len(word) < MIN_LENGTH or lower in self._counts or lower in self._words:
                return word
            if lower not in self._memo:
                if lookups[0] == 0:
                    return word
                lookups[0] -= 1
            return self.word(lower) or word

        return _WORD.sub(replace, text)

    def word(self, word: str) -> str | None:
        """What a lower-case ``word`` was meant to be, or None when it stands as typed."""
        if word in self._memo:
            return self._memo[word] or None
        counts = self._counts
        better: str | None = None
        if word not in counts and word not in self._words:
            candidates = self._checker.edit_distance_1(word)  # ~50 a letter: set operations only
            ours = candidates & self._words
            common = [c for c in candidates & counts.keys() if counts[c] >= MIN_COUNT]
            ranked = sorted(
                ours or common, key=lambda c: (not _slip(word, c), -counts.get(c, 0), c)
            )
            better = ranked[0] if ranked else None
        if len(self._memo) < 10_000:  # typos repeat; an attacker's junk words must not pile up
            self._memo[word] = better or ""
        return better


def _slip(typed: str, meant: str) -> bool:
    """Whether ``typed`` is ``meant`` with the commonest slips of a typist: two neighbouring
    letters swapped, or a double letter typed once or a single one twice ("woried" is
    "worried" before it is "worked")."""
    if len(typed) == len(meant):
        diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and typed[diff[0]] == meant[diff[1]]
    short, long = sorted((typed, meant), key=len)
    return any(
        long[i] == long[i + 1] and long[:i] + long[i + 1 :] == short for i in range(len(long) - 1)
    )
