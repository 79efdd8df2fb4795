"""What kind of information an English question asks for: a reason, a time, a place…

Two FAQ questions about the same thing can score within a hair of each other while asking for
different things: "Will rates go up again?" and "Why did it raise rates again?". A reader's
"will they raise rates again?" is told apart by its first words, which the sentence encoder
weighs little. ``settles`` uses the kind only to choose between two entries too close to call,
never to rank others. English only: "was" opens a German "what" question.

>>> kind_of("And why are they striking?"), kind_of("will they raise rates again?")
('reason', 'yes-no')
>>> kind_of("What happens on the days between the strikes?") is None
True
"""

from __future__ import annotations

import re

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


def kind_of(question: str) -> str | None:
    """The kind of answer an English question asks for by its opening words; ``None`` when
    they do not say ("what…", "which…", a bare topic)."""
    text = _LEADING.sub("", question.strip().lower().lstrip("¿¡\"'(").lstrip())
    for kind, opening in _KINDS:
        if opening.match(text):
            return kind
    return None


def settles(question: str, first: str, second: str) -> int | None:
    """Which of two close FAQ questions (0 or 1) asks for the kind of answer ``question`` asks
    for, when exactly one does; ``None`` when the kinds do not tell them apart."""
    asked = kind_of(question)
    if asked is None:
        return None
    kinds = (kind_of(first), kind_of(second))
    if (kinds[0] == asked) == (kinds[1] == asked):
        return None
    chosen = 0 if kinds[0] == asked else 1
    # "how do I get a postal ballot?" is answered by "Can I vote by mail?" as often as by
    # "How do I register?": a manner or yes-no question settles only against a specific kind.
    if asked in _OPEN and kinds[1 - chosen] in (None, *_OPEN):
        return None
    return chosen
