"""The FastAPI app: chat, collections, feedback, health, metrics, and the widget's files.

``create_app(settings)`` is the only way to make one; ``askbot serve`` runs it under uvicorn
through ``app_from_env`` (one app per worker process). Every error body has the shape
``{"error": {"code", "message"}}``; no stack trace ever reaches a client.
"""

from __future__ import annotations

import dataclasses
import gc
import html
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from prometheus_client import Counter
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from askbot.api.limits import Guard
from askbot.api.metrics import Metrics
from askbot.api.reload import (
    IndexWatcher,
    ReloadBusyError,
    ReloadStatus,
    new_components,
    read_status,
    start_rebuild,
)
from askbot.api.schemas import (
    ChatRequest,
    ChatResponse,
    CollectionDetail,
    CollectionList,
    CollectionSummary,
    ErrorBody,
    FeedbackRequest,
    FeedbackResponse,
    Health,
    SuggestionOut,
)
from askbot.api.security import AccessPolicy
from askbot.batching import CachingEmbedder, MicroBatchingEmbedder, encode_async
from askbot.config import Settings
from askbot.conversation import Conversation, new_state
from askbot.embed import Embedder
from askbot.engine import load_fresh_index, load_query_embedder
from askbot.errors import AskbotError
from askbot.index import FaqIndex
from askbot.retrieve import Retriever
from askbot.store import Journal, SessionStore, SqliteSessionStore, open_session_store

log = logging.getLogger("askbot.api")
T = TypeVar("T")

# C0/C1 control characters other than tab and newline carry no meaning in a question.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A lone surrogate (JSON "\\ud800") is not text: it cannot even be stored as UTF-8.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Questions are logged off the request path, in one transaction per this many seconds; the
# lifespan's shutdown writes the rest (store.journal). Feedback is written at once, fsynced.
QUESTION_LOG_FLUSH_SECONDS = 0.5


class ApiError(Exception):
    """An error with an HTTP status and a machine-readable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Service:
    """Everything a request needs, loaded once per worker at start-up."""

    retriever: Retriever
    conversation: Conversation
    sessions: SessionStore
    journal: Journal


async def get_service(request: Request) -> Service:
    """The loaded service, or 503 while the index is not loaded.

    A coroutine although it never awaits: FastAPI runs a plain ``def`` dependency in its
    threadpool, a hand-off to a pool thread and back on every request for one attribute read.
    """
    found: Service | None = request.app.state.service
    if found is None:
        raise ApiError(503, "not_ready", f"askbot is not ready: {request.app.state.not_ready}")
    return found


ServiceDep = Annotated[Service, Depends(get_service)]


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every error body."""
    body = ErrorBody.model_validate({"error": {"code": code, "message": message}})
    return JSONResponse(body.model_dump(), status_code=status, headers=headers or None)


class BodySizeLimit:
    """Refuses request bodies over the limit with 413 before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            too_large = error_response(
                413, "body_too_large", f"request body over {self.max_bytes} bytes"
            )
            await too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ApiError(413, "body_too_large", f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)


def create_app(settings: Settings, *, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the index loads in the lifespan, so use ``with TestClient(app)``.

    >>> app = create_app(Settings())  # doctest: +SKIP
    """
    metrics = Metrics()
    policy = AccessPolicy(settings)
    clients = Counter(
        "askbot_client_requests_total",
        "Requests to /v1 by client (API key name, browser, anonymous or admin).",
        ["client"],
        registry=metrics.registry,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = None
        app.state.not_ready = "starting"
        app.state.reload_error = None
        log.warning("%s", policy.describe())
        try:
            app.state.service = _load_service(settings, embedder)
            app.state.not_ready = None
            _freeze_heap()
        except AskbotError as exc:
            # Stay up and say why on /readyz rather than crash-looping under a supervisor.
            app.state.not_ready = str(exc)
            log.error("askbot is not ready: %s", exc)
        watcher = _watch_index(app, settings, embedder)
        watcher.start()
        yield
        watcher.stop()
        if app.state.service is not None:
            app.state.service.sessions.close()
            app.state.service.journal.close()

    app = FastAPI(
        title="askbot",
        version="1",
        summary="Answers free-form questions from curated FAQs, with a calibrated confidence.",
        lifespan=lifespan,
        responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}},
    )
    app.add_middleware(
        Guard,
        settings=settings,
        policy=policy,
        on_caller=lambda caller: clients.labels(caller.name).inc(),
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key"],
            expose_headers=[
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.post("/v1/chat", response_model=ChatResponse, tags=["chat"])
    async def chat(body: ChatRequest, svc: ServiceDep) -> ChatResponse:
        """Answer a message, in the context of its session's earlier turns."""
        # A coroutine, not a threadpool function: it awaits the encoder's batch, and its own
        # CPU work (~1 ms of scoring) runs on the event loop. In the threadpool each request
        # took a pool thread and woke it and the loop twice more; with ~16 such threads per
        # worker competing for the GIL, those hand-offs were the c=32 tail.
        started = time.perf_counter()
        message = clean_message(body.message, settings.max_message_chars)
        collections = svc.retriever.index.collection_ids()
        if body.collection is not None and body.collection not in collections:
            raise ApiError(404, "unknown_collection", f"unknown collection {body.collection!r}")
        if body.session_id is None:
            session_id, state = svc.sessions.new_id(), new_state(body.collection)
        else:
            session_id = body.session_id
            found = await _session_io(svc.sessions, lambda: svc.sessions.get(session_id))
            if found is None:
                raise ApiError(404, "unknown_session", "unknown or expired session_id")
            state = found
        texts = svc.conversation.texts_to_embed(state, message, body.collection)
        vectors = await encode_async(svc.retriever.embedder, texts)
        reply, state = svc.conversation.reply(
            state, message, body.collection, embedded=dict(zip(texts, vectors, strict=True))
        )
        await _session_io(svc.sessions, lambda: svc.sessions.put(session_id, state))
        latency = time.perf_counter() - started
        svc.journal.log_question(
            session_id=session_id,
            question=message,
            collection=body.collection,
            decision=reply.decision.value,
            confidence=reply.confidence,
            answer_id=reply.answer.id if reply.answer else None,
            latency_ms=latency * 1000,
        )
        metrics.decisions.labels(reply.decision.value).inc()
        metrics.chat_latency.labels(reply.decision.value).observe(latency)
        return ChatResponse.model_validate({"session_id": session_id, **reply.to_dict()})

    @app.post("/v1/feedback", response_model=FeedbackResponse, tags=["chat"])
    def feedback(body: FeedbackRequest, svc: ServiceDep) -> FeedbackResponse:
        """Record whether an answer helped; acknowledged only once it is on disk."""
        if svc.sessions.get(body.session_id) is None:
            raise ApiError(404, "unknown_session", "unknown or expired session_id")
        try:
            svc.retriever.index.position_of(body.answer_id)
        except KeyError:
            raise ApiError(404, "unknown_answer", f"unknown answer_id {body.answer_id!r}") from None
        comment = clean_message(body.comment, 2000) if body.comment else None
        row = svc.journal.add_feedback(
            session_id=body.session_id,
            answer_id=body.answer_id,
            helpful=body.helpful,
            comment=comment,
        )
        return FeedbackResponse(id=row)

    @app.get("/v1/collections", response_model=CollectionList, tags=["collections"])
    def collections(svc: ServiceDep) -> CollectionList:
        """Every collection served."""
        return CollectionList(
            collections=[
                CollectionSummary(id=c.id, title=c.title, summary=c.summary, count=len(c.entries))
                for c in svc.retriever.index.collections
            ]
        )

    @app.get(
        "/v1/collections/{collection_id}", response_model=CollectionDetail, tags=["collections"]
    )
    def collection(collection_id: str, svc: ServiceDep) -> CollectionDetail:
        """One collection with its questions."""
        for c in svc.retriever.index.collections:
            if c.id == collection_id:
                questions = [SuggestionOut(id=e.id, question=e.question) for e in c.entries]
                return CollectionDetail(
                    id=c.id, title=c.title, summary=c.summary, questions=questions
                )
        raise ApiError(404, "unknown_collection", f"unknown collection {collection_id!r}")

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz() -> Health:
        """The process is alive."""
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, tags=["health"], responses={503: {"model": Health}})
    def readyz(request: Request) -> Response:
        """The index is loaded and questions can be answered."""
        svc: Service | None = request.app.state.service
        if svc is None:
            body = Health(status="not ready", reason=request.app.state.not_ready)
            return JSONResponse(body.model_dump(), status_code=503)
        manifest = svc.retriever.index.manifest
        body = Health(
            status="ready", index=manifest.build_id, reason=request.app.state.reload_error
        )
        return JSONResponse(body.model_dump())

    @app.post(
        "/v1/admin/reload",
        response_model=ReloadStatus,
        status_code=202,
        tags=["admin"],
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    )
    def reload(request: Request) -> ReloadStatus:
        """Rebuild the index from the corpus in the background (admin key); poll the GET."""
        svc: Service | None = request.app.state.service
        try:
            return start_rebuild(settings, svc.retriever.embedder if svc else embedder)
        except ReloadBusyError as exc:
            raise ApiError(409, "reload_running", str(exc)) from None

    @app.get(
        "/v1/admin/reload",
        response_model=ReloadStatus,
        tags=["admin"],
        responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}},
    )
    def reload_status() -> ReloadStatus:
        """The state of the last rebuild; workers swap a new build in within a second or so."""
        return read_status(settings.index_dir)

    @app.get("/metrics", tags=["health"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus exposition."""
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(
            _web_file("widget.js"),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/demo.css", include_in_schema=False)
    def demo_css() -> Response:
        return Response(_web_file("demo.css"), media_type="text/css; charset=utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def demo(request: Request, collection: str | None = None) -> HTMLResponse:
        """The demo article page; ``?collection=ID`` previews another collection's widget."""
        svc: Service | None = request.app.state.service
        chosen = None
        if svc is not None and svc.retriever.index.collections:
            if collection is not None and collection not in svc.retriever.index.collection_ids():
                raise ApiError(404, "unknown_collection", "unknown collection")
            wanted = collection or settings.demo_collection
            chosen = next(
                (c for c in svc.retriever.index.collections if c.id == wanted),
                svc.retriever.index.collections[0],
            )
        page = _web_file("demo.html").decode()
        values = {
            "title": chosen.title if chosen else "askbot",
            "summary": chosen.summary if chosen else "askbot is not ready yet.",
            "collection": chosen.id if chosen else "",
        }
        for key, value in values.items():
            page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
        return HTMLResponse(page, headers=PAGE_HEADERS)

    return app


PAGE_HEADERS = {
    "Content-Security-Policy": (
        # The widget styles its shadow root with a constructable stylesheet, which CSP
        # does not govern, so no 'unsafe-inline' is needed anywhere.
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
        "img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def clean_message(text: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty or over-long text."""
    cleaned = _SURROGATE.sub("", _CONTROL.sub("", text)).strip()
    if not cleaned:
        raise ApiError(422, "empty_message", "message is empty")
    if len(cleaned) > max_chars:
        raise ApiError(
            422, "message_too_long", f"message is {len(cleaned)} characters, limit {max_chars}"
        )
    return cleaned


def _web_file(name: str) -> bytes:
    return resources.files("askbot").joinpath("web", name).read_bytes()


class SecurityHeaders:
    """CSP, nosniff, framing and referrer headers on every response but the API docs pages.

    The docs (Swagger UI, ReDoc) load scripts from a CDN and inline, so a strict CSP breaks them;
    they serve no user data.
    """

    EXCLUDED = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in PAGE_HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXCLUDED:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _watch_index(app: FastAPI, settings: Settings, given: Embedder | None) -> IndexWatcher:
    """A watcher that swaps each newly published build into ``app.state.service``."""
    lock = threading.Lock()
    loaded: list[Embedder] = [given] if given is not None else []

    def embedder_now() -> Embedder:
        svc: Service | None = app.state.service
        if svc is not None:
            return svc.retriever.embedder
        with lock:
            if not loaded:
                loaded.append(_query_embedder(settings))
            return loaded[0]

    def current() -> str | None:
        svc: Service | None = app.state.service
        return svc.retriever.index.manifest.build_id if svc is not None else None

    def swap(index: FaqIndex) -> None:
        svc: Service | None = app.state.service
        retriever, conversation = new_components(
            index, embedder_now(), off_topic_share=settings.off_topic_share
        )
        if svc is None:
            app.state.service = Service(retriever, conversation, *_open_stores(settings))
            app.state.not_ready = None
        else:
            # One reference assignment: a request keeps the Service it started with.
            app.state.service = dataclasses.replace(
                svc, retriever=retriever, conversation=conversation
            )
        app.state.reload_error = None
        _freeze_heap()

    def failed(reason: str) -> None:
        app.state.reload_error = reason

    return IndexWatcher(settings, current, swap, failed, model_id=lambda: embedder_now().model_id)


def _freeze_heap() -> None:
    """Keep the loaded index out of the cyclic garbage collector's full passes.

    A worker holds ~113k tracked objects once its index has loaded. Without this, a full
    collection walks them all: 84-110 ms with the worker's GIL held, about every 10 s per
    worker at c=32, which stalled every request in flight (measured with gc.callbacks). Frozen,
    a full pass walks only what requests created since, ~2 ms. Called again after each swap, so
    a new index is frozen too; unfreezing first lets a collection see the old index's cycles.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


async def _session_io(store: SessionStore, call: Callable[[], T]) -> T:
    """Run a session store call from the chat coroutine.

    SQLite on a local disk answers in a fraction of a millisecond (the question log is written
    by its own thread), so it runs on the event loop; Redis is a network round trip, and a
    slow or unreachable server must not stall every request of the worker, so it runs in a
    worker thread.
    """
    if isinstance(store, SqliteSessionStore):
        return call()
    return await anyio.to_thread.run_sync(call)


def _query_embedder(settings: Settings) -> Embedder:
    """The embedder a worker answers with (also used when a first index appears later)."""
    # Micro-batch concurrent requests into one encoder call; cache repeated questions.
    return CachingEmbedder(MicroBatchingEmbedder(load_query_embedder(settings)))


def _load_service(settings: Settings, embedder: Embedder | None) -> Service:
    embedder = embedder or _query_embedder(settings)
    # Freshness from the manifest: the corpus files are hashed, not parsed (askbot serve or a
    # rebuild has parsed them already), unless they changed since the build.
    retriever = Retriever(
        load_fresh_index(settings, embedder.model_id),
        embedder,
        off_topic_share=settings.off_topic_share,
    )
    return Service(retriever, Conversation(retriever), *_open_stores(settings))


def _open_stores(settings: Settings) -> tuple[SessionStore, Journal]:
    """The session store and the journal, whose question log is written in the background."""
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    sessions = open_session_store(
        settings.session_url, settings.db_path, settings.session_ttl_seconds
    )
    journal = Journal(
        settings.db_path,
        flush_seconds=QUESTION_LOG_FLUSH_SECONDS,
        retention_days=settings.journal_retention_days or None,  # 0: kept for ever
    )
    return sessions, journal


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(problems)[:1000])

    @app.exception_handler(UnicodeError)
    async def not_text(request: Request, exc: UnicodeError) -> JSONResponse:
        return error_response(422, "invalid_text", "the request holds text that is not valid UTF-8")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body": invalid UTF-8 or a body that is not JSON.
            return error_response(
                422, "invalid_body", "the request body is not JSON in valid UTF-8"
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, "internal_error", "internal error (logged on the server)")


class RequestMetrics:
    """Counts every request and times it, by route template, method and status.

    A plain ASGI middleware: ``@app.middleware("http")`` (Starlette's ``BaseHTTPMiddleware``)
    runs each request in its own task with memory streams, which cost more per request here
    than JSON, routing and validation together.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The router records the matched route in the scope; unmatched paths share a label.
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(path, scope["method"], str(status)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)


def app_from_env() -> FastAPI:
    """uvicorn factory for worker processes: settings from ``ASKBOT_*`` variables."""
    return create_app(Settings())
