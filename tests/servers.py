"""Start a real ``askbot serve`` process on a free loopback port, for tests that need one."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import DATA, free_port


@dataclass
class Server:
    """A running server: its base URL, working folder, environment and process."""

    url: str
    root: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the server process)."""
        pids = []
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                children = (task / "children").read_text().split()
            except FileNotFoundError:  # the thread ended since it was listed
                continue
            for pid in children:
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except FileNotFoundError:  # exited (a killed worker) since it was listed
                    continue
                if b"spawn_main" in cmdline:
                    pids.append(int(pid))  # not multiprocessing's resource tracker
        return pids

    @property
    def port(self) -> int:
        """The port it serves on."""
        return int(self.url.rsplit(":", 1)[1])

    def workers_listening(self) -> bool:
        """Whether every worker has loaded its app and listens (on its own socket)."""
        pids = self.worker_pids()
        return bool(pids) and all(self.sockets(pid, "0A") == 1 for pid in pids)

    def sockets(self, pid: int, state: str = "01") -> int:
        """TCP sockets process ``pid`` holds on this server's port in ``state``.

        States as in /proc/net/tcp: ``01`` established connections, ``0A`` listening.
        """
        matching = set()
        for table in ("tcp", "tcp6"):
            for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                local_port, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[9]
                if local_port == self.port and fields[3] == state:
                    matching.add(f"socket:[{inode}]")
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):  # closed since listed
                held += os.readlink(fd) in matching
        return held

    def log(self) -> str:
        """What the server printed so far."""
        return (self.root / "server.log").read_text()


@functools.cache
def exported_encoders() -> Path:
    """The ONNX export of the default encoder, made once per test session (~12 s)."""
    from askbot.config import Settings
    from askbot.embed.active import ensure_encoder

    folder = Path(tempfile.mkdtemp(prefix="askbot-test-encoders-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    ensure_encoder(Settings(corpus_dir=folder, index_dir=folder, backend="onnx-int8"))
    return folder / "encoders"


def seed_encoders(index_dir: Path) -> None:
    """Give a fresh index folder the session's ONNX export, as a first build would make it:
    every command and server started on it then skips the export (the tests of the export
    itself are in tests/embed)."""
    target = index_dir / "encoders"
    if not target.exists():
        shutil.copytree(exported_encoders(), target)


def askbot_env(root: Path, **settings: str) -> dict[str, str]:
    """The environment for askbot commands working in ``root``: no ASKBOT_* leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKBOT_")}
    env.update(
        ASKBOT_CORPUS_DIR=str(root / "corpus"),
        ASKBOT_INDEX_DIR=str(root / "index"),
        ASKBOT_DB_PATH=str(root / "askbot.sqlite3"),
        # English only unless a test asks (multilingual="true"): the second space doubles
        # every build and every start (tests/conversation/test_multilingual.py covers it).
        ASKBOT_MULTILINGUAL="false",
    )
    env.update({f"ASKBOT_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def running_server(root: Path, workers: int = 2, **settings: str) -> Iterator[Server]:
    """`askbot serve` over a copy of tests/data/corpus_api in ``root``; stopped on exit."""
    if not (root / "corpus").exists():
        shutil.copytree(DATA / "corpus_api", root / "corpus")
    port = free_port()
    env = askbot_env(root, **settings)
    seed_encoders(Path(env["ASKBOT_INDEX_DIR"]))
    log = (root / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "askbot.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", root, env, process)
    deadline = time.monotonic() + 180
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"askbot serve exited: {server.log()}")
            try:
                if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"askbot serve not ready: {server.log()}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
