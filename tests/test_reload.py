"""Updates without downtime: `askbot reload` under load, a bad corpus, and the worker swap."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from askbot.api import create_app
from askbot.config import Settings
from askbot.embed import Vectors
from askbot.fit import BUILD_FITTING
from askbot.reload import (
    ReloadBusyError,
    read_status,
    rebuild,
    rebuild_soon,
    reload_lock,
    start_rebuild,
)
from tests.conftest import (
    DATA,
    PASSPORT_ANSWER,
    PASSPORT_ANSWER_EDITED,
    PASSPORT_QUESTION,
    FakeEmbedder,
    built_api_settings,
    edit_answer,
    wait_for,
)
from tests.servers import running_server

QUESTION, OLD, NEW = PASSPORT_QUESTION, PASSPORT_ANSWER, PASSPORT_ANSWER_EDITED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return built_api_settings(tmp_path)


def answer_text(http: TestClient) -> str:
    reply = http.post("/v1/chat", json={"message": QUESTION}).json()
    return str(reply["answer"]["text"])


def test_worker_swaps_in_a_rebuilt_index(settings: Settings) -> None:
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as http:
        before = http.get("/readyz").json()["index"]
        assert answer_text(http) == OLD
        edit_answer(settings.corpus_dir, OLD, NEW)
        rebuild(settings, embedder=FakeEmbedder())
        assert wait_for(lambda: http.get("/readyz").json()["index"] != before)
        assert answer_text(http) == NEW
        assert read_status(settings.index_dir).state == "succeeded"


class GatedEmbedder(FakeEmbedder):
    """Encodes only once the test opens the gate, so a rebuild stays running meanwhile."""

    def __init__(self) -> None:
        self.gate = threading.Event()

    def encode(self, texts: Sequence[str]) -> Vectors:
        assert self.gate.wait(30), "the test never opened the gate"
        return super().encode(texts)


def test_a_started_rebuild_is_running_before_the_request_returns(settings: Settings) -> None:
    # The admin route answers 202 "running"; a poll right after must not find the previous
    # status (or none: "idle") because the background thread had not started yet.
    edit_answer(settings.corpus_dir, OLD, NEW)
    embedder = GatedEmbedder()
    started = start_rebuild(settings, embedder)
    assert started.state == "running"
    assert read_status(settings.index_dir) == started
    with pytest.raises(ReloadBusyError):
        start_rebuild(settings, embedder)  # the thread holds the lock
    embedder.gate.set()
    assert wait_for(lambda: read_status(settings.index_dir).state == "succeeded")
    finished = read_status(settings.index_dir)
    assert finished.message == "built" and finished.started_at == started.started_at
    # The thread let the lock go: the next rebuild starts (and finds nothing to do).
    assert start_rebuild(settings, embedder).state == "running"
    assert wait_for(lambda: read_status(settings.index_dir).message == "up to date")


def in_collector_generations(obj: object) -> bool:
    return any(tracked is obj for tracked in gc.get_objects())


def test_loaded_and_swapped_indexes_are_frozen_out_of_full_collections(settings: Settings) -> None:
    # A full collection walking a loaded index stalled a serving worker for ~100 ms.
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as http:
        first = http.app.state.service.retriever
        assert gc.is_tracked(first) and not in_collector_generations(first)
        edit_answer(settings.corpus_dir, OLD, NEW)
        rebuild(settings, embedder=FakeEmbedder())
        assert wait_for(lambda: http.app.state.service.retriever is not first)
        second = http.app.state.service.retriever
        # The watcher thread freezes just after the swap.
        assert wait_for(lambda: not in_collector_generations(second))
        assert gc.is_tracked(second.index) and not in_collector_generations(second.index)


def test_unloadable_build_keeps_the_old_one_and_says_so(settings: Settings) -> None:
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as http:
        before = http.get("/readyz").json()["index"]
        bogus = settings.index_dir / "builds" / "bogus"
        bogus.mkdir()
        (bogus / "manifest.json").write_text("{not json")
        (settings.index_dir / "CURRENT").write_text("bogus\n")
        assert wait_for(lambda: http.get("/readyz").json()["reason"] is not None)
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["index"] == before
        assert "bogus" in ready.json()["reason"]
        assert answer_text(http) == OLD


def test_a_build_by_an_older_askbot_is_refused_and_the_old_one_keeps_serving(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Another process running an older askbot may publish a build whose fitted parts this one
    # cannot read (its calibrations had another form): refused by its fitting version.
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as http:
        before = http.get("/readyz").json()["index"]
        builds = settings.index_dir / "builds"
        older = builds / "older"
        shutil.copytree(builds / before, older)
        manifest = json.loads((older / "manifest.json").read_text())
        manifest["fitting"] = BUILD_FITTING - 1
        (older / "manifest.json").write_text(json.dumps(manifest))
        (settings.index_dir / "CURRENT").write_text("older\n")
        assert wait_for(lambda: http.get("/readyz").json()["reason"] is not None)
        ready = http.get("/readyz").json()
        assert ready["index"] == before and "out of date" in ready["reason"]
        assert "older rules" in caplog.text
        assert answer_text(http) == OLD


def test_worker_that_started_without_index_becomes_ready(tmp_path: Path) -> None:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        reload_poll_seconds=0.05,
    )
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as http:
        assert http.get("/readyz").status_code == 503
        rebuild(settings, embedder=FakeEmbedder())
        assert wait_for(lambda: http.get("/readyz").status_code == 200)
        assert answer_text(http) == OLD


def test_one_rebuild_at_a_time(settings: Settings) -> None:
    with reload_lock(settings.index_dir, wait=False), pytest.raises(ReloadBusyError):
        rebuild(settings, embedder=FakeEmbedder(), wait=False)


def test_reload_command_reports_a_corpus_error(settings: Settings) -> None:
    (settings.corpus_dir / "broken.csv").write_text("question,answer\nWhat?,\n")
    env = {
        "ASKBOT_CORPUS_DIR": str(settings.corpus_dir),
        "ASKBOT_INDEX_DIR": str(settings.index_dir),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-m", "askbot.cli", "reload"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "broken.csv:2:" in result.stderr
    assert read_status(settings.index_dir).state == "failed"


@pytest.mark.slow
def test_reload_under_load_changes_the_answer_and_fails_nothing(tmp_path: Path) -> None:
    with running_server(tmp_path, rate_limit="", reload_poll_seconds="0.2") as server:
        results: list[tuple[int, str]] = []
        failures: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as http:
                while not stop.is_set():
                    try:
                        reply = http.post("/v1/chat", json={"message": QUESTION})
                    except httpx.HTTPError as exc:
                        failures.append(repr(exc))
                        continue
                    text = reply.json().get("answer", {}) if reply.status_code == 200 else {}
                    results.append((reply.status_code, (text or {}).get("text", "")))

        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            assert wait_for(lambda: len(results) >= 20, 30)
            edit_answer(server.root / "corpus", OLD, NEW)
            reload = subprocess.run(
                [sys.executable, "-m", "askbot.cli", "reload"],
                cwd=server.root,
                env=server.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert reload.returncode == 0, reload.stderr
            swapped_at = len(results)

            def both_workers_new() -> bool:
                # Fresh connections land on either worker: ten in a row must be new.
                for _ in range(10):
                    with httpx.Client(base_url=server.url, timeout=30) as fresh:
                        reply = fresh.post("/v1/chat", json={"message": QUESTION}).json()
                    if reply["answer"]["text"] != NEW:
                        return False
                return True

            assert wait_for(both_workers_new, 30)
            assert wait_for(lambda: len(results) >= swapped_at + 20, 30)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
        assert failures == []
        statuses = {status for status, _ in results}
        assert statuses == {200}, statuses
        texts = [text for _, text in results]
        assert texts[0] == OLD and texts[-1] == NEW
        assert set(texts) == {OLD, NEW}


def test_serve_watch_publishes_corpus_edits_by_itself(tmp_path: Path) -> None:
    """`askbot serve --watch`: an edit, a broken file and a deleted file, with no command."""
    with running_server(tmp_path, workers=1, watch_corpus="true", rate_limit="") as server:
        corpus = tmp_path / "corpus"

        def asked(message: str) -> dict:  # type: ignore[type-arg]
            return httpx.post(f"{server.url}/v1/chat", json={"message": message}, timeout=30).json()

        def collections() -> set[str]:
            listed = httpx.get(f"{server.url}/v1/collections", timeout=30).json()["collections"]
            return {c["id"] for c in listed}

        with (corpus / "passports.md").open("a") as passports:
            passports.write("\n## Can I pay the passport fee by card?\nYes, cards and cash.\n")
        assert wait_for(
            lambda: (
                (asked("can I pay the passport fee with a card?").get("answer") or {}).get(
                    "question"
                )
                == "Can I pay the passport fee by card?"
            ),
            90,
        )

        (corpus / "broken.jsonl").write_text('{"id": "x", "question": \n')
        # The watcher's rebuild fails, says where, and the old index keeps serving.
        assert wait_for(lambda: "broken.jsonl:1" in server.log(), 90)
        assert asked("how long is a passport valid?")["decision"] == "answer"

        (corpus / "broken.jsonl").unlink()
        (corpus / "passports.md").unlink()  # its collection goes with it
        assert wait_for(lambda: collections() == {"south-korea-japan-relations"}, 90)


def test_changes_made_while_a_rebuild_waits_share_it(tmp_path: Path) -> None:
    """Editors' clicks queue one background rebuild, however many there are."""
    settings = built_api_settings(tmp_path)

    def rebuilders() -> int:
        return sum(t.name == "askbot-rebuild" for t in threading.enumerate())

    with reload_lock(settings.index_dir, wait=True):  # a rebuild is running
        for _ in range(20):
            rebuild_soon(settings, FakeEmbedder())
        assert rebuilders() == 1
    assert wait_for(lambda: rebuilders() == 0, 30)
    assert read_status(settings.index_dir).state == "succeeded"
