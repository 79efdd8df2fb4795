"""What the store tests share: a settable clock, a child Python process, the default SQLite
file, and each database askbot can keep its journal in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


class Clock:
    """Wall-clock time that a test sets."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each kind: a SQLite file, and one on the private PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'askbot.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def run_python(code: str, *args: object) -> subprocess.Popen[str]:
    """Start ``python -c code args...`` with pipes, as a separate process."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where askbot keeps its SQLite file by default, under a fresh folder."""
    return tmp_path / "var" / "askbot.sqlite3"
