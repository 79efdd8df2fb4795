"""Every error askbot raises on purpose.

The tree::

    AskbotError
    ├── ConfigError            a setting is invalid
    ├── CorpusError            a corpus file is malformed (carries file and line)
    ├── EmbedderError          the embedding model cannot be found or loaded
    ├── TuneError              a corpus gives nothing to fine-tune the model on
    ├── IndexUnusableError     base of everything that keeps a saved index from serving
    │   ├── IndexMissingError  no index has been built at that path
    │   ├── IndexCorruptError  a file of the index is missing, truncated or unreadable
    │   ├── IndexStaleError    the corpus changed since the index was built
    │   └── IndexModelError    the index was built with another embedding model
    ├── FetchError             a web page could not be fetched (askbot import)
    ├── ReloadBusyError        another rebuild holds the lock
    ├── StoreError             the session store or the journal cannot be opened or used
    └── UnknownCollectionError a question was scoped to a collection that does not exist

Low confidence is never an error: it is an ``Answer`` whose decision is ``fallback``.
The CLI turns any ``AskbotError`` into one readable line; the API into a JSON body.
"""

from __future__ import annotations

from pathlib import Path


class AskbotError(Exception):
    """Base class of every error askbot raises on purpose."""


class ConfigError(AskbotError):
    """A setting is invalid."""


class CorpusError(AskbotError):
    """A corpus file is malformed; the message names the file and line."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {problem}")


class EmbedderError(AskbotError):
    """The embedding model cannot be found or loaded."""


class TuneError(AskbotError):
    """A corpus gives nothing to fine-tune the model on."""


class IndexUnusableError(AskbotError):
    """Base class of everything that keeps a saved index from serving."""


class IndexMissingError(IndexUnusableError):
    """No index has been built at that path."""


class IndexCorruptError(IndexUnusableError):
    """A file of the index is missing, truncated or unreadable."""


class IndexStaleError(IndexUnusableError):
    """The corpus changed since the index was built."""


class IndexModelError(IndexUnusableError):
    """The index was built with another embedding model than the one configured."""


class FetchError(AskbotError):
    """A page could not be fetched (scheme, size, redirects, HTTP status, network)."""


class ReloadBusyError(AskbotError):
    """Another rebuild holds the lock."""


class StoreError(AskbotError):
    """The session store or the journal (SQLite file, Redis server) cannot be opened or used."""


class UnknownCollectionError(AskbotError):
    """A question was scoped to a collection that does not exist."""

    def __init__(self, collection: str, known: list[str]) -> None:
        self.collection = collection
        self.known = known
        names = ", ".join(known) or "none"
        super().__init__(f"unknown collection {collection!r} (known: {names})")
