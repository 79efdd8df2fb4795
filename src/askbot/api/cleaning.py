"""What a reader's text becomes before askbot reads it: controls stripped, length bounded."""

from __future__ import annotations

import re

from askbot.api.errors import ApiError

# C0/C1 control characters other than tab and newline carry no meaning in a question.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate (JSON "\\ud800") is not text: it cannot even be stored as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_message(text: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long text."""
    cleaned = _SURROGATE.sub("", _CONTROL.sub("", text)).strip()
    if not cleaned:
        raise ApiError(422, "empty_message", "message is empty")
    if len(cleaned) > max_chars:
        raise ApiError(
            422, "message_too_long", f"message is {len(cleaned)} characters, limit {max_chars}"
        )
    return cleaned
