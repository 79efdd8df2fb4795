"""Faults: kill -9 mid-build, and damaged or foreign indexes at start-up (ready says why)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app, lifespan
from askbot.config import Settings
from askbot.corpus import load_corpus
from askbot.errors import StoreError
from askbot.index import current_build, load_index
from askbot.service import Stores
from tests.conftest import DATA, REPO, FakeEmbedder, free_port, wait_for
from tests.servers import askbot_env

# Builds the index of ``corpus`` with an embedder that is slow enough to be killed mid-way.
SLOW_BUILD = """
import sys, time
from pathlib import Path
from askbot.config import Settings
from askbot import service
from tests.conftest import FakeEmbedder

class Slow(FakeEmbedder):
    def encode(self, texts):
        print("embedding", flush=True)
        time.sleep(0.2)
        return super().encode(texts)

settings = Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2]))
service.build(settings, embedder=Slow(), force=True)
print("done", flush=True)
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    built = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        reload_poll_seconds=60,
    )
    service.build(built, embedder=FakeEmbedder())
    return built


def test_kill_9_during_build_leaves_the_previous_index(settings: Settings) -> None:
    before = (settings.index_dir / "CURRENT").read_text()
    old_hash = load_corpus(settings.corpus_dir).content_hash
    lines = "".join(f"question {i} about topic {i}?,answer number {i}.\n" for i in range(3000))
    (settings.corpus_dir / "big.csv").write_text("question,answer\n" + lines)
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(settings.corpus_dir), str(settings.index_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "embedding"  # mid-embedding now
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert (settings.index_dir / "CURRENT").read_text() == before
    index = load_index(settings.index_dir, model_id=FakeEmbedder.model_id, corpus_hash=old_hash)
    assert index.manifest.entry_count > 0
    # A later build succeeds and cleans up the killed build's leftovers.
    _, rebuilt, built = service.build(settings, embedder=FakeEmbedder())
    assert built and rebuilt.manifest.entry_count == index.manifest.entry_count + 3000
    leftovers = [p.name for p in (settings.index_dir / "builds").iterdir()]
    assert not [name for name in leftovers if name.startswith(".staging")]


def damage_truncate(settings: Settings) -> str:
    path = current_build(settings.index_dir) / "vectors.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "truncated or corrupted"


def damage_flip(settings: Settings) -> str:
    path = current_build(settings.index_dir) / "rows.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    return "truncated or corrupted"


def damage_foreign_model(settings: Settings) -> str:
    path = current_build(settings.index_dir) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["model_id"] = "some-other-model@2"
    path.write_text(json.dumps(manifest))
    return "built with model 'some-other-model@2'"


def damage_missing(settings: Settings) -> str:
    (current_build(settings.index_dir) / "vectors.faiss").unlink()
    return "is missing"


def damage_pointer(settings: Settings) -> str:
    (settings.index_dir / "CURRENT").write_text("no-such-build\n")
    return "names a build that does not exist"


def damage_manifest_garbage(settings: Settings) -> str:
    (current_build(settings.index_dir) / "manifest.json").write_text("\x00\x01garbage")
    return "unreadable"


@pytest.mark.parametrize(
    "damage",
    [
        damage_truncate,
        damage_flip,
        damage_foreign_model,
        damage_missing,
        damage_pointer,
        damage_manifest_garbage,
    ],
)
def test_damaged_index_at_start_is_not_ready_with_a_plain_reason_and_the_details_logged(
    settings: Settings, damage: object, caplog: pytest.LogCaptureFixture
) -> None:
    detail = damage(settings)  # type: ignore[operator]
    public = "another embedding model" if damage is damage_foreign_model else "damaged"
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://localhost") as http:
        ready = http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not ready"
        assert public in ready.json()["reason"]
        assert http.get("/healthz").status_code == 200
        chat = http.post("/v1/chat", json={"message": "how do I renew my passport?"})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "not_ready"
        assert public in chat.json()["error"]["message"]
        # Neither body names a path or repeats the raw error: those are in the log.
        for body in (ready.text, chat.text):
            assert str(settings.index_dir.parent) not in body and detail not in body
        assert detail in caplog.text


@pytest.mark.slow
def test_worker_process_with_a_truncated_index_stays_up(settings: Settings) -> None:
    # Build with the real model (what the worker loads), then damage it.
    env = askbot_env(settings.corpus_dir.parent)
    subprocess.run([sys.executable, "-m", "askbot.cli", "build"], env=env, check=True, timeout=300)
    damage_truncate(settings)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "askbot.api:app_from_env",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=settings.corpus_dir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, "the worker exited"
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        assert ready.status_code == 503
        assert "damaged" in ready.json()["reason"]
        time.sleep(1)
        assert process.poll() is None
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- stores that cannot be opened or written --------------------------------------------------


def test_a_store_that_cannot_open_is_retried_apart_from_the_index_with_one_line_per_attempt(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(lifespan, "STORE_RETRY_FIRST_SECONDS", 0.05)
    settings = settings.model_copy(update={"reload_poll_seconds": 0.02})
    settings.db_path.write_bytes(b"this is not a database\n" * 500)
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://localhost") as http:
        served = app.state.service
        assert wait_for(lambda: store_attempts(caplog) >= 2)
        ready = http.get("/readyz")
        assert ready.status_code == 503 and "stores cannot be opened" in ready.json()["reason"]
        chat = http.post("/v1/chat", json={"message": "how do I renew my passport?"})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "not_ready"
        for body in (ready.text, chat.text):
            assert str(settings.db_path.parent) not in body and "not a database" not in body
        settings.db_path.unlink()  # repaired: the next attempt opens a fresh file
        assert wait_for(lambda: http.get("/readyz").status_code == 200)
        assert http.post("/v1/chat", json={"message": "how do I renew my passport?"}).is_success
        # The index was loaded once, never reloaded for the stores' sake.
        assert app.state.service is served
    failures = [r for r in caplog.records if "stores not opened" in r.getMessage()]
    assert failures and all(r.exc_info is None and "\n" not in r.getMessage() for r in failures)
    assert "not a database" in failures[0].getMessage()


def store_attempts(caplog: pytest.LogCaptureFixture) -> int:
    return sum("stores not opened" in r.getMessage() for r in caplog.records)


def test_store_retries_back_off_exponentially_up_to_the_cap() -> None:
    waits: list[float] = []
    outcomes = iter([StoreError("down")] * 8 + [None])

    def open_stores() -> Stores:
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return cast(Stores, "stores")

    published: list[Stores | None] = []
    opener = lifespan.StoreOpener(open_stores, published.append, first_delay=1, max_delay=20)

    def wait(seconds: float) -> bool:  # instead of sleeping: note how long it would have been
        waits.append(seconds)
        return False

    opener._stop.wait = wait  # type: ignore[method-assign]
    opener.open_or_retry()
    opener.stop()
    assert waits == [1, 2, 4, 8, 16, 20, 20, 20]
    assert published == [None] * 8 + ["stores"] and opener.attempts == 9


def test_a_store_that_fails_to_write_turns_readyz_not_ready_until_it_writes_again(
    settings: Settings,
) -> None:
    # A full disk cannot be staged portably; a connection that refuses every write fails the
    # same way (the write raises, a probe write raises) and can be given back its writes.
    app = create_app(settings, embedder=FakeEmbedder())
    with TestClient(app, base_url="http://localhost") as http:
        assert http.get("/readyz").status_code == 200
        stores = app.state.stores
        for db in (stores.sessions._db, stores.journal._db):
            with db.connect() as conn:
                conn.execute("PRAGMA query_only = ON")
        chat = http.post("/v1/chat", json={"message": "how do I renew my passport?"})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "store_unavailable"
        ready = http.get("/readyz")
        assert ready.status_code == 503 and "store is failing" in ready.json()["reason"]
        for body in (ready.text, chat.text):
            assert str(settings.db_path.parent) not in body and "readonly" not in body
        for db in (stores.sessions._db, stores.journal._db):
            with db.connect() as conn:
                conn.execute("PRAGMA query_only = OFF")
        assert http.get("/readyz").status_code == 200
        assert http.post("/v1/chat", json={"message": "how do I renew my passport?"}).is_success
