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

import httpx
import pytest
from fastapi.testclient import TestClient

from askbot import service
from askbot.api import create_app
from askbot.config import Settings
from askbot.corpus import load_corpus
from askbot.index import current_build, load_index
from tests.conftest import DATA, REPO, FakeEmbedder, free_port
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
def test_damaged_index_at_start_is_not_ready_with_the_reason(
    settings: Settings, damage: object
) -> None:
    expected = damage(settings)  # type: ignore[operator]
    with TestClient(create_app(settings, embedder=FakeEmbedder())) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not ready"
        assert expected in ready.json()["reason"]
        assert http.get("/healthz").status_code == 200
        chat = http.post("/v1/chat", json={"message": "how do I renew my passport?"})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "not_ready"


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
        assert "truncated or corrupted" in ready.json()["reason"]
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
