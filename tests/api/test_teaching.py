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
UNSURE = "renew or replace passport"  # "did you mean…?" between renewing and replacing


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
    assert DOG not in to_fix(client)  # taught: off the list of what to fix

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
    assert DOG in to_fix(client)  # and back on the list
    assert answered(client, SELFIE) == "Can I use a selfie as my passport photo?"
    again = client.post(f"/v1/admin/changes/{taught.json()['id']}/undo", headers=ADMIN)
    assert again.status_code == 404


def to_fix(client: TestClient) -> dict[str, int]:
    """What to fix: each group's representative and count."""
    groups = client.get("/v1/admin/unanswered", headers=ADMIN).json()["groups"]
    return {g["representative"]: g["count"] for g in groups}


def test_a_dismissed_group_leaves_the_list_until_its_questions_fail_again(
    client: TestClient, settings: Settings
) -> None:
    ask(client, SELFIE)
    ask(client, DOG)
    groups = client.get("/v1/admin/unanswered", headers=ADMIN).json()["groups"]
    (selfie,) = [g for g in groups if g["representative"] == SELFIE]
    assert selfie["wordings"] == [SELFIE]
    dismissed = client.post(
        "/v1/admin/dismissals", headers=ADMIN,
        json={"representative": SELFIE, "questions": selfie["wordings"], "collection": "passports"},
    )  # fmt: skip
    assert dismissed.status_code == 201, dismissed.text
    assert dismissed.json()["editor"] == "admin" and dismissed.json()["wordings"] == 1
    assert to_fix(client) == {DOG: 1}
    shown = client.get("/v1/admin/dismissals", headers=ADMIN).json()["dismissals"]
    assert [d["id"] for d in shown] == [dismissed.json()["id"]]
    assert not (settings.corpus_dir / "_taught").exists()  # the FAQ is untouched

    ask(client, SELFIE)  # failing again after the dismissal: back, with that failure only
    assert to_fix(client)[SELFIE] == 1
    undo = f"/v1/admin/dismissals/{dismissed.json()['id']}/undo"
    assert client.post(undo, headers=ADMIN).json()["undone_by"] == "admin"
    assert to_fix(client)[SELFIE] == 2
    assert client.post(undo, headers=ADMIN).status_code == 404
    assert client.post("/v1/admin/dismissals/99999999999999999999/undo", headers=ADMIN
                       ).status_code == 422  # fmt: skip


def test_a_readers_pick_after_did_you_mean_is_listed_under_the_entry_they_picked(
    client: TestClient,
) -> None:
    first = ask(client, UNSURE)
    assert first["decision"] == "clarify", first
    second = first["alternatives"][1]
    picked = client.post(
        "/v1/chat",
        json={"message": "2", "session_id": first["session_id"], "collection": "passports"},
    ).json()
    assert picked["via"] == "clarification" and picked["answer"]["id"] == second["id"]

    (group,) = client.get("/v1/admin/picks", headers=ADMIN).json()["groups"]
    assert (group["entry_id"], group["entry_question"], group["collection"], group["count"]) == (
        second["id"], second["question"], "passports", 1,
    )  # fmt: skip
    assert group["wordings"] == [{"question": UNSURE, "count": 1}]

    taught = client.post(
        "/v1/admin/teach", headers=ADMIN,
        json={"collection": "passports", "action": "alternate", "question": UNSURE,
              "entry_id": second["id"]},
    )  # fmt: skip
    assert taught.status_code == 201
    assert client.get("/v1/admin/picks", headers=ADMIN).json()["groups"] == []
    assert wait_for(lambda: answered(client, UNSURE) == second["question"], 60)


def test_changes_record_the_name_of_the_editors_own_key(
    settings: Settings, embedder: Embedder
) -> None:
    alice = "alices-own-editor-key-0123456789"
    named = settings.model_copy(update={"admin_keys": {"alice": hash_key(alice)}})
    with TestClient(create_app(named, embedder=embedder), base_url="http://localhost") as client:
        body = {"collection": "passports", "action": "entry", "question": "Is there a fee?",
                "answer": "Yes, 80 euros."}  # fmt: skip
        made = client.post("/v1/admin/teach", headers={"X-API-Key": alice}, json=body)
        assert made.status_code == 201 and made.json()["by"] == "alice"
        undone = client.post(f"/v1/admin/changes/{made.json()['id']}/undo", headers=ADMIN)
        assert undone.json()["undone_by"] == "admin"  # ASKBOT_ADMIN_KEY_HASH's key


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
        assert client.get("/v1/admin/picks", headers=headers).status_code == 403
        dismiss = client.post("/v1/admin/dismissals", headers=headers, json={"representative": "q"})
        assert dismiss.status_code == 403
    assert not (settings.corpus_dir / "_taught").exists()
