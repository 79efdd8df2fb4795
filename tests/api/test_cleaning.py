"""What a message becomes before askbot reads it, and the bound on the work it can cause."""

from __future__ import annotations

import difflib
import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient

from askbot.api import create_app
from askbot.api.cleaning import clean_message
from askbot.api.errors import ApiError
from askbot.config import Settings
from askbot.conversation import choose, reading
from tests.conftest import FakeEmbedder, built_api_settings

FDFA = "\ufdfa"  # one character, 18 under NFKC
INVISIBLE = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # isolates
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",  # zero-width and direction marks
    "\u2060", "\ufeff", "\u061c",  # word joiner, byte-order mark, Arabic letter mark
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE)
def test_bidi_and_zero_width_characters_are_stripped(char: str) -> None:
    assert clean_message(f"{char}how do I{char} renew{char}?{char}", 100) == "how do I renew?"


def test_the_length_limit_applies_to_the_normalised_text_which_is_returned() -> None:
    cleaned = clean_message(FDFA * 55, 1000)  # 55 characters as sent
    assert cleaned == unicodedata.normalize("NFKC", FDFA * 55) and len(cleaned) == 990
    with pytest.raises(ApiError) as refused:
        clean_message(FDFA * 56, 1000)  # 56 characters as sent, 1008 once normalised
    assert refused.value.status == 422 and refused.value.code == "message_too_long"
    assert clean_message("\uff21\uff53\uff4b \ufb01le", 100) == "Ask file"  # full-width, ligature


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return built_api_settings(tmp_path)


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://localhost") as client:
        yield client


def after_fallback(http: TestClient) -> str:
    reply = http.post("/v1/chat", json={"message": "purple zebra", "collection": "passports"})
    assert reply.status_code == 200 and reply.json()["decision"] == "fallback"
    assert reply.json()["suggestions"]  # options are pending: the pick matcher will run
    return str(reply.json()["session_id"])


class CountingMatcher(difflib.SequenceMatcher):  # type: ignore[type-arg]
    """A SequenceMatcher that records the lengths it compares and its ``ratio`` calls."""

    compared: ClassVar[list[tuple[int, int]]] = []
    ratios: ClassVar[int] = 0

    def __init__(self, isjunk: None, a: str, b: str, autojunk: bool = True) -> None:
        CountingMatcher.compared.append((len(a), len(b)))
        super().__init__(isjunk, a, b, autojunk)

    def ratio(self) -> float:
        CountingMatcher.ratios += 1
        return super().ratio()


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> type[CountingMatcher]:
    CountingMatcher.compared, CountingMatcher.ratios = [], 0
    monkeypatch.setattr(reading.difflib, "SequenceMatcher", CountingMatcher)
    return CountingMatcher


def test_a_message_that_grows_past_the_limit_under_nfkc_is_refused_after_a_fallback(
    http: TestClient, counting: type[CountingMatcher]
) -> None:
    session = after_fallback(http)
    refused = http.post("/v1/chat", json={"message": FDFA * 1000, "session_id": session})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "message_too_long"
    accepted = http.post("/v1/chat", json={"message": FDFA * 55, "session_id": session})
    assert accepted.status_code == 200
    assert len(accepted.json()["understood_as"]) <= 1000
    assert counting.compared == []  # 990 characters against short options: ruled out by length


def test_the_question_log_holds_the_normalised_text_without_invisible_characters(
    http: TestClient, settings: Settings
) -> None:
    message = "\u202ehow do I renew my passport?\u200b \ufb01ne"
    assert http.post("/v1/chat", json={"message": message}).status_code == 200
    http.app.state.stores.journal.flush()  # type: ignore[attr-defined]
    with sqlite3.connect(settings.db_path) as db:
        logged = [row[0] for row in db.execute("SELECT question FROM questions")]
    assert logged == ["how do I renew my passport? fine"]


def test_the_fuzzy_pick_compares_only_bounded_texts_once_per_option(
    counting: type[CountingMatcher],
) -> None:
    # Six long, nearly equal options (a corpus may hold such questions) and messages that
    # nearly match them: nothing longer than FUZZY_MAX_CHARS ever reaches difflib.
    long = [{"id": f"o{k}", "question": f"{'renew my passport ' * 55}{k}"} for k in range(6)]
    assert choose(long, "renew my passport " * 55 + "x") is None
    assert choose(long, FDFA * 1000) is None
    assert counting.compared == []
    assert choose(long, long[2]["question"].upper()) == "o2"  # the exact text still picks
    short = [{"id": f"o{k}", "question": f"how do I renew passport number {k}"} for k in range(6)]
    assert choose(short, "how do I renew pasport number 3") == "o3"
    assert 0 < len(counting.compared) <= len(short) and counting.ratios <= len(short)
    assert all(max(pair) <= reading.FUZZY_MAX_CHARS * 2 for pair in counting.compared)
