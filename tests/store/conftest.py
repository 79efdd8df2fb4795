"""What the store tests share: a settable clock, and each database askbot can keep its journal in."""

from __future__ import annotations

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
