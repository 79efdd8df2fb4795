"""SHA-256 checksums of a build's files, computed once per process for each file."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

# Checksums this process computed, by file identity: builds are immutable, and a graph file
# hard-linked into the next build is the same inode, hashed once.
_checksums: dict[tuple[int, int, int, int], str] = {}
MAX_CHECKSUMS = 10_000
_checksums_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, hex."""
    stat = path.stat()
    key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _checksums_lock:
        known = _checksums.get(key)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with _checksums_lock:
        if len(_checksums) >= MAX_CHECKSUMS:  # a worker reloading for months: start over
            _checksums.clear()
        _checksums[key] = digest.hexdigest()
    return digest.hexdigest()
