"""What a reader's text becomes before askbot reads it: NFKC-normalised, controls and invisible
format characters stripped, length bounded.

The length limit applies to the normalised text, which is what every later step (the log, the
encoder, the pick matcher) processes: NFKC expands some characters up to 18-fold (U+FDFA).
"""

from __future__ import annotations

import re
import unicodedata

from askbot.api.errors import ApiError

# C0/C1 control characters other than tab and newline carry no meaning in a question.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate (JSON "\\ud800") is not text: it cannot even be stored as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Invisible format characters that reorder or hide text where it is shown (the question log,
# `askbot report`): the Arabic letter mark, zero-width spaces and joiners, left-to-right and
# right-to-left marks, bidirectional embeddings, overrides and isolates, the word joiner and
# invisible operators, deprecated format controls, the byte-order mark, interlinear annotation.
_INVISIBLE = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def clean_message(text: str, max_chars: int) -> str:
    r"""``text`` NFKC-normalised, without control or invisible characters and surrounding space;
    refuse it if empty or over ``max_chars`` once normalised.

    >>> clean_message("\u202eﬁnd\u200b it ", 10)
    'find it'
    """
    # Surrogates first: NFKC is defined on text, and a lone surrogate is not text.
    normalised = unicodedata.normalize("NFKC", _SURROGATE.sub("", text))
    cleaned = _INVISIBLE.sub("", _CONTROL.sub("", normalised)).strip()
    if not cleaned:
        raise ApiError(422, "empty_message", "message is empty")
    if len(cleaned) > max_chars:
        raise ApiError(
            422,
            "message_too_long",
            f"message is {len(cleaned)} characters once normalised (NFKC), limit {max_chars}",
        )
    return cleaned
