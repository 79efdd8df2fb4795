"""Languages over HTTP: what the chat reply and a collection say about the reader's language."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.embed import Embedder
from tests.conftest import SEED_CORPUS

SEED = "south-korea-japan-relations"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("languages")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    settings = Settings(
        corpus_dir=root / "corpus",
        index_dir=root / "index",
        db_path=root / "askbot.sqlite3",
        multilingual=True,
    )
    service.build(settings, embedder=embedder)
    app = create_app(settings, embedder=embedder)
    with TestClient(base_url="http://localhost", app=app) as test_client:
        yield test_client


def test_a_collection_is_served_in_the_readers_language_when_translated(
    client: TestClient,
) -> None:
    korean = client.get(f"/v1/collections/{SEED}", params={"lang": "ko"}).json()
    assert (korean["language"], korean["languages"]) == ("ko", ["en", "ko"])
    assert korean["summary"].startswith("최근 한국과 일본은")
    assert (
        korean["questions"][0]["question"]
        == "한국과 일본이 지금 관계를 강화하는 이유는 무엇인가요?"
    )
    japanese = client.get(f"/v1/collections/{SEED}", params={"lang": "ja"}).json()
    assert japanese["language"] == "en"  # no Japanese translation: the original
    assert japanese["questions"][0]["id"] == korean["questions"][0]["id"]


def test_the_chat_reply_says_which_language_was_read_and_served(client: TestClient) -> None:
    response = client.post(
        "/v1/chat", json={"message": "中国会对此感到不满吗？", "collection": SEED}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["language"]["detected"] == "zh"
    # An answer is the English original with a note; askbot's own lines are in Chinese.
    assert body["language"]["served"] == ("en" if body["decision"] == "answer" else "zh")


@pytest.mark.parametrize("lang", ["korean", "KO", "k", "k1"])
def test_a_malformed_language_is_refused_with_a_reason(client: TestClient, lang: str) -> None:
    chat = client.post("/v1/chat", json={"message": "hello", "lang": lang})
    assert chat.status_code == 422 and chat.json()["error"]["code"]
    listed = client.get(f"/v1/collections/{SEED}", params={"lang": lang})
    assert listed.status_code == 422 and listed.json()["error"]["code"]
