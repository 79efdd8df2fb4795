"""How a message is read before any search: a pick among offered options, "tell me more", or a
follow-up that leans on the previous turn.

Every function here does bounded work on any input: the API limits a message's length after
normalisation, and the fuzzy pick compares only texts of at most ``FUZZY_MAX_CHARS``, skipping
every option whose length alone rules it out.
"""

from __future__ import annotations

import difflib
import re

import numpy as np
import numpy.typing as npt

from askbot.conversation import cues
from askbot.corpus import normalise_question
from askbot.retrieve import Answer, Decision

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}
_PICK = re.compile(r"^\s*(?:(?:number|option|no\.?|#)\s*)?(\d{1,2})\s*[.)]?\s*$", re.I)
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|last)\b(?:\s+(?:one|option))?", re.I)
_MORE = re.compile(
    r"^\s*(tell me more|more( please)?|go on|continue|and\??|what else\??|anything else\??)"
    r"[\s.!?]*$",
    re.I,
)
# Openings and pronouns that make a message lean on the previous turn.
_CONNECTIVE = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what about|what if|why|how come|"
    r"really|is that|does that|will that|would that)\b",
    re.I,
)
_ANAPHORA = re.compile(
    r"\b(it|its|this|that|these|those|they|them|their|he|she|his|her|there|mine)\b", re.I
)
_ELLIPTICAL_MAX_WORDS = 8
# Openings that only link a follow-up to the previous turn: they carry no subject of their own.
_LINKING = re.compile(
    r"^\s*(?:(?:and|but|also|so|then|ok(?:ay)?|well|now)\b[\s,]*)*"
    r"(?:(?:what|how) about|what of)?\b\s*",
    re.I,
)
# Share of the context's own vector taken out of the contextual reading: the context tells what
# "they" or "China?" is about, but left whole it pulls every follow-up back to the entries
# closest to the previous question (or, on a first turn, to the article's title).
CONTEXT_PULL = 0.5
# A typed option counts as picked from this similarity (difflib ratio of normalised texts) up.
PICK_SIMILARITY = 0.85
# Longest normalised message compared fuzzily with the options: difflib's ratio costs up to the
# cube of the length on repetitive text. A longer message picks an option only by its exact
# (normalised) text, as the widget sends it; otherwise a search will find the entry anyway.
FUZZY_MAX_CHARS = 120


def is_elliptical(message: str, language: str | None = "en", *, first: bool = False) -> bool:
    """Whether a message in ``language`` probably leans on the previous turn (on a ``first``
    turn, the article's title) for its meaning."""
    if cues.knows(language):
        return cues.leans_back(message, language, first=first)
    words = message.split()
    if len(words) > _ELLIPTICAL_MAX_WORDS * 2:
        return False
    return bool(_CONNECTIVE.match(message)) or (
        len(words) <= _ELLIPTICAL_MAX_WORDS and bool(_ANAPHORA.search(message))
    )


def focus(message: str, language: str | None = "en") -> str:
    """A follow-up without its linking words: "and what about China?" -> "China?"."""
    if cues.knows(language):
        return cues.subject_of(message, language)
    return _LINKING.sub("", message, count=1).strip() or message.strip()


def stands_alone(answer: Answer, last: str | None) -> bool:
    """Whether a message answers by itself, with something new (not the entry ``last``
    answered): then context cannot improve it."""
    return (
        answer.decision is Decision.ANSWER
        and answer.answer is not None
        and answer.answer.id != last
    )


def contextual_texts(message: str, context: str, language: str | None = "en") -> list[str]:
    """What to encode to read an elliptical message in ``context``: its subject followed by the
    context, and the context alone (``contextual_reading``)."""
    return [f"{focus(message, language)} {context}", context]


def contextual_reading(
    with_context: npt.NDArray[np.float32], context: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The vector of a message read in context, from the vectors of ``contextual_texts``."""
    reading = (with_context - CONTEXT_PULL * context).astype(np.float32)
    norm = np.float32(np.linalg.norm(reading))
    return reading / norm if norm else reading


def asks_for_more(message: str) -> bool:
    """Whether a message asks to go on from the last answer ("tell me more", "what else?",
    "cuéntame más")."""
    return bool(_MORE.match(message)) or cues.asks_for_more(message)


def choose(pending: list[dict[str, str]], message: str) -> str | None:
    """Which pending option a message picks: by number, ordinal, id or (nearly) its text."""
    text = message.strip()
    number: int | None = None
    if match := _PICK.match(text):
        number = int(match.group(1))
    elif match := _ORDINAL.search(text):
        number = _ORDINALS[match.group(1).lower()]
    else:
        number = cues.ordinal(text)
    if number is not None:
        if number == -1:
            return pending[-1]["id"]
        return pending[number - 1]["id"] if 1 <= number <= len(pending) else None
    for option in pending:
        if text == option["id"]:
            return option["id"]
    return _closest_option(pending, normalise_question(text))


def _closest_option(pending: list[dict[str, str]], wanted: str) -> str | None:
    """The option whose normalised question is ``wanted``, or at least ``PICK_SIMILARITY`` like it.

    difflib costs up to the product of the two lengths (and more on repetitive text), so each
    bound that is cheaper comes first: the length cap, the length ratio (``2 * shorter / total``
    caps any ratio), then ``real_quick_ratio`` and ``quick_ratio``, all upper bounds of ``ratio``.
    """
    candidates = [(normalise_question(option["question"]), option["id"]) for option in pending]
    for candidate, option_id in candidates:
        if wanted and candidate == wanted:
            return option_id
    if len(wanted) > FUZZY_MAX_CHARS:
        return None
    best: tuple[float, str] | None = None
    for candidate, option_id in candidates:
        total = len(wanted) + len(candidate)
        if not total or 2 * min(len(wanted), len(candidate)) / total < PICK_SIMILARITY:
            continue
        matcher = difflib.SequenceMatcher(None, wanted, candidate, autojunk=False)
        if matcher.real_quick_ratio() < PICK_SIMILARITY or matcher.quick_ratio() < PICK_SIMILARITY:
            continue
        ratio = matcher.ratio()
        if ratio >= PICK_SIMILARITY and (best is None or ratio > best[0]):
            best = (ratio, option_id)
    return best[1] if best else None
