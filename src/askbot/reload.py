"""Updates without downtime: rebuild in the background, and swap the new index into every worker.

``askbot serve --watch`` also rebuilds by itself when a corpus file changes (``CorpusWatcher``).

A rebuild (``askbot reload`` or ``POST /v1/admin/reload``) holds an exclusive file lock in the
index folder, so only one runs at a time across processes, and publishes by replacing
``index/CURRENT`` atomically (see ``askbot.index``). Every worker runs an ``IndexWatcher``
thread that reads ``CURRENT`` once a second; when it names a new build the watcher loads it off
the request path and replaces the worker's service reference in one assignment. A request
holds the service it started with, so requests in flight finish on the old index. A build that
fails to load is reported (``/readyz`` reason) and the old one keeps serving. The watcher only
loads indexes: the stores are opened (and retried) apart from it, by the worker's lifespan.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from askbot.config import Settings
from askbot.corpus import corpus_files
from askbot.corpus.taught import taught_files
from askbot.embed import Embedder
from askbot.errors import AskbotError, CorpusError, ReloadBusyError
from askbot.fit import BUILD_FITTING
from askbot.index import POINTER_NAME, FaqIndex, load_index
from askbot.service import ensure_built

log = logging.getLogger("askbot.reload")

LOCK_NAME = ".reload.lock"
STATUS_NAME = ".reload-status.json"
# Longest wait between two checks while each one fails unexpectedly (the delay doubles).
MAX_RETRY_SECONDS = 60.0


class ReloadStatus(BaseModel):
    """The state of the last rebuild, shared by all workers through a file."""

    state: Literal["idle", "running", "succeeded", "failed"]
    message: str | None = None
    build: str | None = None
    started_at: float | None = None
    finished_at: float | None = None


@contextlib.contextmanager
def reload_lock(index_dir: Path, *, wait: bool) -> Iterator[None]:
    """Hold the rebuild lock; ``ReloadBusyError`` if another holds it and ``wait`` is false."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ReloadBusyError("a rebuild is already running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_status(index_dir: Path) -> ReloadStatus:
    """The last rebuild's status (``idle`` if there never was one)."""
    try:
        return ReloadStatus.model_validate_json((index_dir / STATUS_NAME).read_text())
    except (OSError, ValueError):
        return ReloadStatus(state="idle")


def write_status(index_dir: Path, status: ReloadStatus) -> None:
    """Replace the status file atomically."""
    tmp = index_dir / f".{STATUS_NAME}.{os.getpid()}.{threading.get_ident()}.tmp"
    tmp.write_text(status.model_dump_json())
    os.replace(tmp, index_dir / STATUS_NAME)


def rebuild(settings: Settings, *, embedder: Embedder | None = None, wait: bool = True) -> str:
    """Rebuild under the lock if the corpus changed; returns the build id now in service.

    A corpus error raises (``file:line: problem``) and leaves ``CURRENT`` untouched.
    """
    with reload_lock(settings.index_dir, wait=wait):
        return _rebuild_locked(settings, embedder, _mark_running(settings.index_dir))


# Per index folder, held by the one background rebuild waiting for its turn: later changes need
# no other, since it reads the corpus once it has the lock (editors' clicks never pile up threads).
_waiting: dict[Path, threading.Lock] = {}
_waiting_guard = threading.Lock()


def rebuild_soon(settings: Settings, embedder: Embedder | None) -> None:
    """Rebuild in a background thread, after any rebuild already running, so a change made
    meanwhile is published too; failures are logged and in the status file."""
    with _waiting_guard:
        waiting_one = _waiting.setdefault(settings.index_dir.resolve(), threading.Lock())
    if not waiting_one.acquire(blocking=False):
        return  # a rebuild is already waiting: it will read this change too

    def run() -> None:
        waiting = True
        try:
            with reload_lock(settings.index_dir, wait=True):
                waiting_one.release()
                waiting = False
                _rebuild_locked(settings, embedder, _mark_running(settings.index_dir))
        except Exception as exc:
            log.error("reload failed: %s", exc)
        finally:
            if waiting:
                waiting_one.release()

    threading.Thread(target=run, name="askbot-rebuild", daemon=True).start()


def start_rebuild(settings: Settings, embedder: Embedder | None) -> ReloadStatus:
    """Start a rebuild in a background thread; ``ReloadBusyError`` if one is running.

    The lock is taken and the status file says ``running`` before this returns, so a poll
    right after the request sees this rebuild, not the previous one (or ``idle``); the thread
    releases the lock when it is done.
    """
    with contextlib.ExitStack() as stack:
        stack.enter_context(reload_lock(settings.index_dir, wait=False))
        status = _mark_running(settings.index_dir)
        held = stack.pop_all()  # from here on the thread owns the lock

    def run() -> None:
        with held:
            try:
                _rebuild_locked(settings, embedder, status)
            except Exception as exc:  # reported through the status file
                log.error("reload failed: %s", exc)

    threading.Thread(target=run, name="askbot-rebuild", daemon=True).start()
    return status


def _mark_running(index_dir: Path) -> ReloadStatus:
    status = ReloadStatus(state="running", started_at=time.time())
    write_status(index_dir, status)
    return status


def _rebuild_locked(settings: Settings, embedder: Embedder | None, running: ReloadStatus) -> str:
    """``rebuild``'s work, the lock held and ``running`` written; records how it ended."""
    started = running.started_at
    try:
        manifest, built = ensure_built(settings, embedder=embedder)
    except Exception as exc:
        write_status(
            settings.index_dir,
            ReloadStatus(
                state="failed", message=str(exc), started_at=started, finished_at=time.time()
            ),
        )
        raise
    build_id = manifest.build_id
    write_status(
        settings.index_dir,
        ReloadStatus(
            state="succeeded",
            message="built" if built else "up to date",
            build=build_id,
            started_at=started,
            finished_at=time.time(),
        ),
    )
    return build_id


def pointer_text(index_dir: Path) -> str | None:
    """The build id ``CURRENT`` names, or None when there is none."""
    try:
        return (index_dir / POINTER_NAME).read_text().strip() or None
    except OSError:
        return None


class IndexWatcher:
    """Polls ``CURRENT`` and hands every newly published, loadable build to ``swap``.

    ``current`` gives the index in service (None before the first): its build id is compared
    with ``CURRENT``, and its unchanged entries are reused by the load.
    """

    def __init__(
        self,
        settings: Settings,
        current: Callable[[], FaqIndex | None],
        swap: Callable[[FaqIndex], None],
        failed: Callable[[str, AskbotError], None],
        model_id: Callable[[], str | None],
    ) -> None:
        self.settings = settings
        self.current, self.swap, self.failed, self.model_id = current, swap, failed, model_id
        self.interval = settings.reload_poll_seconds
        self._stop = threading.Event()
        self._refused: str | None = None
        self._thread = threading.Thread(target=self._run, name="askbot-index-watch", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        self._thread.join(timeout=5)

    def check(self) -> bool:
        """Load and swap in the build ``CURRENT`` names if it is new; True if swapped."""
        wanted = pointer_text(self.settings.index_dir)
        serving = self.current()
        serving_id = serving.manifest.build_id if serving is not None else None
        if wanted is None or wanted == serving_id or wanted == self._refused:
            return False
        try:
            # No corpus check: the rebuild that published this build just verified it,
            # and the corpus may already hold the editor's next, unbuilt change. The fitting
            # rules are checked: a build by an older askbot stores what this one cannot read.
            index = load_index(
                self.settings.index_dir,
                model_id=self.model_id(),
                fitting=BUILD_FITTING,
                reuse=serving,
            )
        except AskbotError as exc:
            if pointer_text(self.settings.index_dir) != wanted:
                return False  # replaced (and pruned) while we read it: try the newer one
            self._refused = wanted
            self.failed(wanted, exc)
            log.error("index %s not loaded: %s", wanted, exc)
            return False
        self.swap(index)
        log.warning("now serving index %s", index.manifest.build_id)
        return True

    def _run(self) -> None:
        delay = self.interval
        while not self._stop.wait(delay):
            try:
                self.check()
                delay = self.interval
            except Exception as exc:  # never let the watcher die, nor repeat a traceback
                delay = min(max(delay, self.interval) * 2, MAX_RETRY_SECONDS)
                log.error("index watcher failed, next check in %g s: %r", delay, exc)


class CorpusWatcher:
    """Publishes a corpus edit without a command (``askbot serve --watch``).

    Polls the corpus files' names, sizes and modification times every ``interval`` seconds;
    once a change has stood still for one interval (an editor saving several files), runs
    ``askbot reload`` in a child process, so no serving process ever builds. A corpus error is
    logged with its ``file:line`` and the old index keeps serving until the next edit.
    """

    def __init__(self, settings: Settings, interval: float = 1.0) -> None:
        self.settings = settings
        self.interval = interval
        self.rebuilds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="askbot-corpus-watch", daemon=True)

    def snapshot(self) -> tuple[tuple[str, int, int], ...]:
        """What the poll compares: each corpus file's name, size and modification time."""
        try:
            files = corpus_files(self.settings.corpus_dir)
        except CorpusError:
            return ()
        files += taught_files(self.settings.corpus_dir)  # what editors taught, from any machine
        found = []
        for path in files:
            with contextlib.suppress(OSError):  # deleted between listing and stat
                stat = path.stat()
                found.append((path.name, stat.st_size, stat.st_mtime_ns))
        return tuple(found)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (a rebuild already running finishes in its own process)."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        seen, pending = self.snapshot(), False
        while not self._stop.wait(self.interval):
            now = self.snapshot()
            if now != seen:
                seen, pending = now, True  # still changing: wait for it to settle
            elif pending:
                pending = False
                self._reload()

    def _reload(self) -> None:
        command = [sys.executable, "-m", "askbot.cli", "reload"]
        command += ["--corpus", str(self.settings.corpus_dir)]
        command += ["--index", str(self.settings.index_dir)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        self.rebuilds += 1
        if done.returncode == 0:
            log.warning("corpus changed: %s", done.stdout.strip())
        else:
            log.error("corpus changed, not published: %s", (done.stderr or done.stdout).strip())
