"""The editors' loop over the API: see what fell back, teach it, watch it answer, undo, forget."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.api.security import hash_key
from askbot.config import Settings
from askbot.embed import Embedder
from tests.conftest import DATA, wait_for

ADMIN = {"X-API-Key": "editor-desk-key-0123456789"}
LOST = "How do I replace a lost passport?"
DOG = "the dog ate my travel papers"  # falls back; means the lost-passport entry
SELFIE = "can I use a selfie for my passport photo?"  # falls back; the FAQ does not say


@pytest.fixture
def settings(tmp_path: Path, embedder: Embedder) -> Settings:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    built = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        admin_key_hash=hash_key(ADMIN["X-API-Key"]),
        rate_limit="",
        reload_poll_seconds=0.1,
    )
    service.build(built, embedder=embedder)
    return built


@pytest.fixture
def client(settings: Settings, embedder: Embedder) -> Iterator[TestClient]:
    with TestClient(create_app(settings, embedder=embedder), base_url="http://localhost") as c:
        yield c


def ask(client: TestClient, message: str) -> dict:  # type: ignore[type-arg]
    reply = client.post("/v1/chat", json={"message": message, "collection": "passports"})
    assert reply.status_code == 200
    return reply.json()  # type: ignore[no-any-return]


def answered(client: TestClient, message: str) -> str | None:
    reply = ask(client, message)
    return reply["answer"]["question"] if reply["decision"] == "answer" else None


def test_an_editor_teaches_a_fallen_back_question_and_can_undo_it(
    client: TestClient, settings: Settings
) -> None:
    for _ in range(2):
        assert ask(client, DOG)["decision"] == "fallback"
    assert ask(client, SELFIE)["decision"] == "fallback"

    report = client.get("/v1/admin/unanswered", headers=ADMIN).json()
    (dog,) = [g for g in report["groups"] if g["representative"] == DOG]
    assert dog["count"] == 2 and dog["collection"] == "passports"
    assert dog["closest"][0]["question"] == LOST  # the likely home is offered first
    assert report["groups"][0]["representative"] == DOG  # most frequent first

    taught = client.post(
        "/v1/admin/teach",
        headers=ADMIN,
        json={"collection": "passports", "action": "alternate", "question": DOG,
              "entry_id": dog["closest"][0]["id"]},
    )  # fmt: skip
    assert taught.status_code == 201, taught.text
    assert wait_for(lambda: answered(client, DOG) == LOST, 60)  # live, no restart

    new = client.post(
        "/v1/admin/teach",
        headers=ADMIN,
        json={"collection": "passports", "action": "entry",
              "question": "Can I use a selfie as my passport photo?",
              "answer": "No: the photo must be taken by a photographer or a booth."},
    )  # fmt: skip
    assert new.status_code == 201
    assert wait_for(
        lambda: answered(client, SELFIE) == "Can I use a selfie as my passport photo?", 60
    )

    # The change log sits beside the article file, which an editor can still edit by hand.
    log = json.loads((settings.corpus_dir / "_taught" / "passports.json").read_text())
    assert [c["action"] for c in log["changes"]] == ["alternate", "entry"]
    listed = client.get("/v1/admin/changes", headers=ADMIN).json()["changes"]
    assert [c["id"] for c in listed] == [new.json()["id"], taught.json()["id"]]  # newest first

    undone = client.post(f"/v1/admin/changes/{taught.json()['id']}/undo", headers=ADMIN)
    assert undone.status_code == 200 and undone.json()["undone_by"] == "admin"
    assert wait_for(lambda: answered(client, DOG) is None, 60)  # the old behaviour
    assert answered(client, SELFIE) == "Can I use a selfie as my passport photo?"
    again = client.post(f"/v1/admin/changes/{taught.json()['id']}/undo", headers=ADMIN)
    assert again.status_code == 404


def test_an_editor_deletes_a_question_from_the_log(client: TestClient) -> None:
    ask(client, SELFIE)
    ask(client, DOG)
    forgotten = client.post("/v1/admin/questions/forget", headers=ADMIN, json={"question": DOG})
    assert forgotten.json() == {"deleted": 1}
    groups = client.get("/v1/admin/unanswered", headers=ADMIN).json()["groups"]
    assert [g["representative"] for g in groups] == [SELFIE]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"collection": "nope", "action": "entry", "question": "q", "answer": "a"}, 404,
         "unknown_collection"),
        ({"collection": "passports", "action": "alternate", "question": "q",
          "entry_id": "south-korea-japan-relations/af1b951d7e"}, 404, "unknown_entry"),
        ({"collection": "passports", "action": "alternate", "question": "q"}, 422, "bad_change"),
        ({"collection": "passports", "action": "entry", "question": "q"}, 422, "bad_change"),
        ({"collection": "passports", "action": "entry", "question": " ", "answer": "a"}, 422,
         "empty_message"),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_and_write_nothing(
    client: TestClient,
    settings: Settings,
    body: dict,
    status: int,
    code: str,  # type: ignore[type-arg]
) -> None:
    refused = client.post("/v1/admin/teach", headers=ADMIN, json=body)
    assert refused.status_code == status and refused.json()["error"]["code"] == code
    assert not (settings.corpus_dir / "_taught").exists()


def test_teaching_needs_the_admin_key(client: TestClient, settings: Settings) -> None:
    body = {"collection": "passports", "action": "entry", "question": "q", "answer": "a"}
    wrong = {"X-API-Key": "not-the-editor-key-000000"}
    for headers in ({}, wrong):
        assert client.post("/v1/admin/teach", headers=headers, json=body).status_code == 403
        assert client.get("/v1/admin/unanswered", headers=headers).status_code == 403
        assert client.get("/v1/admin/changes", headers=headers).status_code == 403
        forget = client.post("/v1/admin/questions/forget", headers=headers, json={"question": "q"})
        assert forget.status_code == 403
    assert not (settings.corpus_dir / "_taught").exists()
