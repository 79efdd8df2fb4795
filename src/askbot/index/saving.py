"""Writing a build: a temporary folder, fsynced, renamed into ``builds/`` and only then
published by atomically replacing ``CURRENT`` (the layout: ``askbot.index.storage``).

A crash at any point leaves the previous index serving, and a reader never sees half a build.
A build that keeps the last build's graph as it is hard-links its file instead of writing it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import faiss
import numpy as np

from askbot.index.checksums import sha256_of
from askbot.index.entry_table import entry_line
from askbot.index.manifest import (
    CLASSIFIERS_FILE,
    ENTRIES_FILE,
    FORMAT_VERSION,
    GRAPH_FILE,
    RECENT_FILE,
)
from askbot.index.memory import FaqIndex
from askbot.index.storage import BUILDS_DIR, MULTILINGUAL_DIR, POINTER_NAME

KEEP_BUILDS = 3  # the one serving plus two to roll back to


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_index(index: FaqIndex, index_dir: Path) -> Path:
    """Write ``index`` (with its multilingual space, if any) as a new build under ``index_dir``
    and publish it atomically."""
    builds = index_dir / BUILDS_DIR
    builds.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=builds))
    try:
        _write_space(index, staging)
        final = builds / index.manifest.build_id
        if final.exists():  # same corpus rebuilt within the same second
            shutil.rmtree(final)
        staging.rename(final)
        _fsync(builds)
        _publish(index_dir, final.name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune_builds(builds, keep=final.name)
    return final


def _write_space(index: FaqIndex, folder: Path, *, own_entries: bool = True) -> None:
    """Write one embedding space's files and manifest into ``folder`` (fsynced).

    The multilingual space is a build of its own in ``multilingual/``, whose manifest the
    outer manifest checksums like any other file; its entries are the outer build's, so it
    writes no entry table (``own_entries=False``).
    """
    _write_graph(index, folder / GRAPH_FILE)
    np.save(folder / "rows.npy", index.rows)
    names = [GRAPH_FILE, "rows.npy"]
    if len(index.recent):
        np.save(folder / RECENT_FILE, index.recent)
        names.append(RECENT_FILE)
    if own_entries:
        # An entry taken from the last build is written as the line it was read from.
        line_of = {id(entry): line for line, entry in index.decoded.items()}
        with (folder / ENTRIES_FILE).open("wb") as table:
            for entry in index.entries:
                table.write(line_of.get(id(entry)) or entry_line(entry))
        names.append(ENTRIES_FILE)
    if index.manifest.classifiers:
        stacked = [index.classifiers[c] for c in index.manifest.classifiers]
        np.save(folder / CLASSIFIERS_FILE, np.concatenate(stacked))
        names.append(CLASSIFIERS_FILE)
    for name in names[1:]:  # the graph is fsynced as it is written
        _fsync(folder / name)
    if index.multilingual is not None:
        if index.multilingual.entries != index.entries:  # identical objects: a quick check
            raise ValueError("the multilingual space must hold the build's own entries")
        (folder / MULTILINGUAL_DIR).mkdir()
        _write_space(index.multilingual, folder / MULTILINGUAL_DIR, own_entries=False)
        names.append(f"{MULTILINGUAL_DIR}/manifest.json")
    manifest = {
        **asdict(index.manifest),
        "format_version": FORMAT_VERSION,  # also when re-saving a build read from format 1
        "files": {name: sha256_of(folder / name) for name in names},
        "entries": [],
        "multilingual_model_id": (
            index.multilingual.model_id if index.multilingual is not None else ""
        ),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    _fsync(folder / "manifest.json")
    _fsync(folder)


def _write_graph(index: FaqIndex, path: Path) -> None:
    """The FAISS index: linked from the build it was read from when the build keeps it as it
    was (``FaqIndex.graph_file``), else written and fsynced."""
    if index.graph_file is not None:
        source, checksum = index.graph_file
        try:
            os.link(source, path)
            if sha256_of(path) == checksum:  # known to this process: no second read
                return
        except OSError:
            pass  # pruned meanwhile, or a file system without hard links: write it
        path.unlink(missing_ok=True)
    faiss.write_index(index.vectors, str(path))
    _fsync(path)


def _publish(index_dir: Path, build_id: str) -> None:
    pointer = index_dir / POINTER_NAME
    tmp = index_dir / f".{POINTER_NAME}.{os.getpid()}.tmp"
    tmp.write_text(build_id + "\n")
    _fsync(tmp)
    os.replace(tmp, pointer)  # atomic on POSIX: readers see the old or the new build, never none
    _fsync(index_dir)


def _prune_builds(builds: Path, keep: str) -> None:
    done = sorted(
        (p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    stale_staging = [p for p in builds.iterdir() if p.name.startswith(".staging-")]
    for path in done[:-KEEP_BUILDS] + stale_staging:
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)
