"""The composition root: every face (serving, the reload watcher, the CLI, evaluation) gets its
objects here, assembled one way from ``Settings``.

``ensure_built`` (``askbot serve``, ``askbot reload``, the admin reload) decides freshness from
the manifest alone: the corpus files are hashed as bytes and the model id read from the export,
so an unchanged corpus is neither parsed nor its index loaded in the process that checks.

>>> service = open_service(Settings())  # doctest: +SKIP
>>> reply, state = service.conversation.reply(new_state(None), "why now?")  # doctest: +SKIP
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from askbot.config import Settings
from askbot.conversation import Conversation, load_small_talk
from askbot.corpus import Corpus, hash_corpus, load_corpus
from askbot.embed import (
    CachingEmbedder,
    Embedder,
    MicroBatchingEmbedder,
    configured_model_id,
    ensure_encoder,
    load_query_embedder,
)
from askbot.errors import (
    IndexCorruptError,
    IndexMissingError,
    IndexModelError,
    IndexStaleError,
)
from askbot.fit import BUILD_FITTING, fit_index
from askbot.index import (
    FaqIndex,
    Manifest,
    build_index,
    load_index,
    read_manifest,
    save_index,
    verified_manifest,
)
from askbot.index.incremental import extend_index
from askbot.index.vector_cache import VectorCache, vector_cache_path
from askbot.language import LanguageDetector
from askbot.retrieve import Retriever
from askbot.store import Journal, SessionStore, open_database, open_session_store

# Questions are logged off the request path, in one transaction per this many seconds; closing
# the journal writes the rest. Feedback is written at once, fsynced.
QUESTION_LOG_FLUSH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Service:
    """What answers questions: a retriever over one index and the conversation over it."""

    retriever: Retriever
    conversation: Conversation
    multilingual: Retriever | None = None  # the same entries, for questions in other languages

    @property
    def index(self) -> FaqIndex:
        """The index in service."""
        return self.retriever.index

    @property
    def embedder(self) -> Embedder:
        """The query encoder."""
        return self.retriever.embedder


@dataclass(frozen=True, slots=True)
class Stores:
    """Where conversations and the question log live between requests."""

    sessions: SessionStore
    journal: Journal

    def close(self) -> None:
        """Close both, writing the question log's last rows."""
        self.sessions.close()
        self.journal.close()


def serving_embedder(settings: Settings) -> Embedder:
    """The query encoder of a serving worker: micro-batched, with repeated questions cached."""
    return CachingEmbedder(MicroBatchingEmbedder(load_query_embedder(settings)))


def batch_embedder(settings: Settings) -> Embedder:
    """The served encoder for a batch job (``askbot eval``, ``askbot report``): the active
    model on the configured backend, exported first if it is not there yet."""
    return ensure_encoder(settings)


def multilingual_embedder(
    settings: Settings, threads: int = 1, *, serving: bool = False
) -> Embedder:
    """The multilingual encoder, one per process (its 65 MB table loads once), its graphs
    compiled once into the index's ``encoders/`` folder."""
    return _multilingual_embedder(settings.index_dir / "encoders", threads, serving)


@functools.cache
def _multilingual_embedder(compiled_in: Path, threads: int, serving: bool) -> Embedder:
    from askbot.embed.usem import UsemEmbedder  # onnxruntime only where it is used

    encoder = UsemEmbedder(threads=threads, compiled_in=compiled_in)
    return CachingEmbedder(MicroBatchingEmbedder(encoder)) if serving else encoder


@functools.cache
def language_detector() -> LanguageDetector:
    """The language detector, one per process."""
    return LanguageDetector()


def multilingual_model_id(settings: Settings) -> str:
    """The model of the multilingual space a fresh index has ("": none)."""
    if not settings.multilingual:
        return ""
    from askbot.embed.usem import usem_model_id

    return usem_model_id()


def service_over(
    index: FaqIndex,
    embedder: Embedder,
    settings: Settings,
    *,
    serving: bool = False,
    previous: Service | None = None,
) -> Service:
    """A service over an index already loaded (at start, or swapped in by the watcher, which
    passes the service it replaces as ``previous`` to reuse its work on unchanged entries)."""
    share = settings.off_topic_share
    before = previous.retriever if previous is not None else None
    retriever = Retriever(index, embedder, off_topic_share=share, previous=before)
    multilingual = None
    if index.multilingual is not None and settings.multilingual:
        encoder = multilingual_embedder(settings, settings.threads, serving=serving)
        before = previous.multilingual if previous is not None else None
        multilingual = Retriever(
            index.multilingual,
            encoder,
            off_topic_share=share,
            previous=before,
            words_of=retriever,
            spelling=False,
            english=False,
        )
    # Small-talk lines: English defaults, overridden by the corpus folder's _smalltalk.json.
    small_talk = load_small_talk(settings.corpus_dir, human_contact=settings.human_contact)
    detector = language_detector() if multilingual is not None else None
    conversation = Conversation(retriever, small_talk, multilingual, detector)
    return Service(retriever, conversation, multilingual)


def in_memory_service(corpus_path: Path, settings: Settings, embedder: Embedder) -> Service:
    """A service over ``corpus_path`` (a corpus folder, or one collection file, with the small
    talk of its folder), both spaces as ``settings`` has them, its index built in memory and
    never saved: for measuring a corpus as askbot serve would answer from it (``askbot eval
    --dialogues``)."""
    corpus = load_corpus(corpus_path)
    index = build_index(corpus, embedder)
    if settings.multilingual:
        other = multilingual_embedder(settings, settings.threads)
        index.multilingual = build_index(corpus, other, multilingual=True)
    fit_index(index)
    folder = corpus_path if corpus_path.is_dir() else corpus_path.parent
    return service_over(index, embedder, settings.model_copy(update={"corpus_dir": folder}))


def open_service(
    settings: Settings, *, embedder: Embedder | None = None, serving: bool = False
) -> Service:
    """The service over the saved, fresh index (``load_fresh_index``).

    ``serving``: the query encoder batches concurrent calls and caches repeats (a worker).
    """
    read_manifest(settings.index_dir)  # no index at all says so before any model loads
    if embedder is None:
        embedder = serving_embedder(settings) if serving else load_query_embedder(settings)
    index = load_fresh_index(settings, embedder.model_id)
    return service_over(index, embedder, settings, serving=serving)


def open_retriever(settings: Settings) -> Retriever:
    """The retriever over the saved, fresh index, with the served encoder."""
    return open_service(settings).retriever


def open_stores(settings: Settings) -> Stores:
    """The session store and the journal, whose question log is written in the background."""
    sessions = open_session_store(
        settings.session_url,
        settings.db_path,
        settings.session_ttl_seconds,
        database_url=settings.database_url,
    )
    journal = Journal(
        open_database(settings.database_url, settings.db_path),
        flush_seconds=QUESTION_LOG_FLUSH_SECONDS,
        retention_days=settings.journal_retention_days or None,  # 0: kept for ever
        max_questions=settings.journal_max_questions,
    )
    return Stores(sessions, journal)


def build(
    settings: Settings,
    *,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    embedder: Embedder | None = None,
    stale: bool = False,
) -> tuple[Corpus, FaqIndex, bool]:
    """Read the corpus and (re)build the index if it is missing, stale or forced.

    The pipeline: embed (``build_index``), fit (``fit_index``), then publish (``save_index``).
    ``stale``: the caller knows the index is (``ensure_built``), so the encoders load on the
    other core while the last build and the corpus are read. Returns the corpus, the index and
    whether it was (re)built.
    """
    with ThreadPoolExecutor(max_workers=1) as loading:
        encoders = loading.submit(_encoders, settings, embedder) if stale or force else None
        # The last build: fresh, it is the answer; else its graph and fits are extended, and
        # its collections stand for the files that did not change. A forced build starts over.
        model_id = embedder.model_id if embedder is not None else configured_model_id(settings)
        previous = None if force or model_id is None else _previous_build(settings, model_id)
        corpus = load_corpus(settings.corpus_dir, previous.collections if previous else ())
        if previous is not None and previous.manifest.corpus_hash == corpus.content_hash:
            return corpus, previous, False
        english, other = encoders.result() if encoders else _encoders(settings, embedder)
    spaces = [(english, previous, False, progress)]
    if other is not None:
        before = previous.multilingual if previous is not None else None
        spaces.append((other, before, True, None))
    built = [
        # The progress bar follows the English space; the multilingual one runs unannounced.
        _index_space(corpus, settings, encoder, before, multilingual, force, progress=ticks)
        for encoder, before, multilingual, ticks in spaces
    ]
    index = built[0][0]
    if len(built) > 1:
        index.multilingual = built[1][0]
    save_index(fit_index(index, previous), settings.index_dir)
    for _, cache, extended in built:
        cache.save(keep_unused=extended)
    return corpus, index, True


def _encoders(settings: Settings, embedder: Embedder | None) -> tuple[Embedder, Embedder | None]:
    """The encoders of a build, each on both cores (a batch job): the English one (``embedder``
    if given, else the active model's ONNX export, made first if missing) and the
    multilingual one (None when that space is off)."""
    english = embedder or ensure_encoder(settings)
    return english, multilingual_embedder(settings, 2) if settings.multilingual else None


def _previous_build(settings: Settings, model_id: str) -> FaqIndex | None:
    """The build in service, if it was made by this model and these fitting rules."""
    try:
        return load_index(
            settings.index_dir,
            model_id=model_id,
            fitting=BUILD_FITTING,
            multilingual_model_id=multilingual_model_id(settings),
            mapped=True,  # its graph is linked into the new build, not read
        )
    except (IndexMissingError, IndexStaleError, IndexModelError, IndexCorruptError):
        return None


def _index_space(
    corpus: Corpus,
    settings: Settings,
    encoder: Embedder,
    previous: FaqIndex | None,
    multilingual: bool,
    force: bool,
    *,
    progress: Callable[[int, int], None] | None,
) -> tuple[FaqIndex, VectorCache, bool]:
    """One embedding space of a new build: ``previous``'s graph extended when it can be, else
    indexed anew. Vectors of texts already embedded come from the cache, unless ``force``.

    Returns the index, its vector cache and whether it extended ``previous``.
    """
    cache = VectorCache(
        encoder, vector_cache_path(settings.index_dir, encoder.model_id), reuse=not force
    )
    limit = settings.exact_search_limit
    index = None
    if previous is not None:
        index = extend_index(
            previous, corpus, cache, exact_limit=limit, multilingual=multilingual, progress=progress
        )
    extended = index is not None
    if index is None:
        index = build_index(
            corpus, cache, exact_limit=limit, multilingual=multilingual, progress=progress
        )
    if previous is not None:
        index.decoded = previous.decoded  # unchanged entries are written as they were read
    index.manifest = replace(
        index.manifest,
        vectors_encoded=cache.encoded,
        extended_from=previous.manifest.build_id if extended and previous else "",
        dead_vectors=index.tombstones,
    )
    return index, cache, extended


def ensure_built(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Manifest, bool]:
    """The manifest of a fresh index, building one first if it is missing or stale.

    Fresh means: the manifest records the hash of the corpus files' bytes as they are now, the
    active model's id and this askbot's ``BUILD_FITTING``, and checksums the build's files still
    match. Then nothing is parsed or loaded. Otherwise this is ``build``: the corpus is parsed
    (a malformed file raises ``CorpusError`` naming file and line) and the build in service
    stays until a new one is published. Returns the manifest and whether it was (re)built.
    """
    model_id = embedder.model_id if embedder is not None else configured_model_id(settings)
    if model_id is not None:
        try:
            manifest = verified_manifest(
                settings.index_dir,
                model_id=model_id,
                corpus_hash=hash_corpus(settings.corpus_dir),
                fitting=BUILD_FITTING,
                multilingual_model_id=multilingual_model_id(settings),
            )
            return replace(manifest, entries=[]), False
        except (IndexMissingError, IndexStaleError, IndexModelError, IndexCorruptError):
            pass  # build anew below, which parses the corpus and reports what is wrong with it
    _, index, built = build(settings, embedder=embedder, progress=progress, stale=True)
    return index.manifest, built


def load_fresh_index(settings: Settings, model_id: str) -> FaqIndex:
    """The saved index, refusing one that is stale or from another model.

    Staleness is judged by hashing the corpus files; they are parsed only when they changed,
    so that a changed corpus that no longer parses is reported by file and line
    (``CorpusError``) rather than as a stale index that a build would then fail on.
    """
    try:
        return load_index(
            settings.index_dir,
            model_id=model_id,
            corpus_hash=hash_corpus(settings.corpus_dir),
            fitting=BUILD_FITTING,
            multilingual_model_id=multilingual_model_id(settings),
        )
    except IndexStaleError:
        load_corpus(settings.corpus_dir)  # raises CorpusError naming the file and line
        raise
