"""Small talk in the multilingual encoder's other languages: the phrases that make a message
small talk as a whole ("¡hola!", "merci beaucoup", "감사합니다"), and askbot's lines back.

English keeps its regexes in ``askbot.conversation.smalltalk``. Here each language lists plain
phrases (package data, ``smalltalk.json``, with askbot's lines in each language). A message is
small talk in a language when it is a sequence of that language's phrases and fillers, spaces
between them optional (Chinese, Japanese and Thai write none). Messages and phrases are compared
folded: accents and other combining marks dropped, case folded, punctuation made a space, so
"adios", "Adiós" and "¡ADIÓS!" read alike.

>>> languages_of("¡Muchas gracias!")
[('es', 'thanks')]
>>> languages_of("gracias, ¿y China?")
[]
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources

from askbot.language import fold

# Package data: "phrases" (language -> kind -> phrases; "filler" pads a pleasantry without
# making it a question) and "lines" (language -> kind, or "footer" for the line after one that
# does not end with a colon -> what askbot says).
_DATA = json.loads(resources.files(__package__).joinpath("smalltalk.json").read_text("utf-8"))
PHRASES: dict[str, dict[str, list[str]]] = _DATA["phrases"]
LINES: dict[str, dict[str, str]] = _DATA["lines"]

# The kind reported when one message holds several: the most telling one wins.
PRIORITY = ("human", "insult", "abilities", "identity", "goodbye", "thanks", "greeting")
# Longer text is never small talk; this also bounds the matching's work.
MAX_CHARS = 60


@cache
def _table(language: str) -> tuple[dict[str, str], int, frozenset[str]]:
    """A language's folded phrases, each with its kind; the longest phrase's length; and the
    phrases' first two characters, which rule most messages out before any search."""
    kinds = {fold(p): kind for kind, ps in PHRASES[language].items() for p in ps}
    return kinds, max(map(len, kinds)), frozenset(p[:2] for p in kinds)


def kind_in(text: str, language: str) -> str | None:
    """The most telling kind of small talk ``text`` (folded) is in ``language`` as a whole.

    A message is covered when it splits into the language's phrases, spaces between optional;
    a phrase counts when some split of the whole message uses it. Linear in the message's
    length times the longest phrase, whatever the message.
    """
    phrases, longest, openings = _table(language)
    if text[:2] not in openings and text[:1] not in openings:
        return None
    n = len(text)
    edges: dict[int, list[tuple[int, str]]] = {}  # from each position reached, the steps on
    frontier = [0]
    while frontier:  # forward, only from positions reached: most messages stop at the first
        start = frontier.pop()
        if start == n or start in edges:
            continue
        if text[start] == " ":
            edges[start] = [(start + 1, "filler")]
        else:
            ends = range(start + 1, min(n, start + longest) + 1)
            edges[start] = [(e, phrases[text[start:e]]) for e in ends if text[start:e] in phrases]
        frontier.extend(end for end, _ in edges[start])
    if not n or not any(end == n for steps in edges.values() for end, _ in steps):
        return None
    finishes = {n}  # positions from which the rest of the message is covered
    for start in sorted(edges, reverse=True):
        if any(end in finishes for end, _ in edges[start]):
            finishes.add(start)
    used = {kind for steps in edges.values() for end, kind in steps if end in finishes}
    return next((kind for kind in PRIORITY if kind in used), None)


def languages_of(message: str) -> list[tuple[str, str]]:
    """Each language (other than English) in which ``message`` is small talk as a whole, with
    the kind it is there."""
    text = fold(message[: MAX_CHARS + 1])
    if not text or len(message) > MAX_CHARS or len(text) > MAX_CHARS:
        return []
    found = ((language, kind_in(text, language)) for language in PHRASES)
    return [(language, kind) for language, kind in found if kind is not None]


def leading_pleasantry(message: str) -> int:
    """How many characters of ``message`` a greeting or thanks in front of a question takes,
    with the punctuation after it ("gracias, ¿y China?" -> 9); 0 when there is none."""
    for cut, char in enumerate(message[:MAX_CHARS]):
        if unicodedata.category(char)[0] != "P" or char in "¿¡'’-":
            continue
        rest = message[cut:]
        skipped = len(rest) - len(rest.lstrip(" \t,.!;:…،、，。！"))
        if not any(c.isalnum() for c in message[cut + skipped :]):
            return 0  # nothing after the pleasantry: the message is small talk, not a question
        kinds = {kind_in(fold(message[:cut]), language) for language in PHRASES} - {None}
        return cut + skipped if kinds and kinds <= {"greeting", "thanks"} else 0
    return 0
