"""``/v1/chat`` and ``/v1/feedback``: a conversation's turns and readers' verdicts."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
from fastapi import APIRouter

from askbot.api.cleaning import clean_message
from askbot.api.deps import MetricsDep, ServiceDep, SettingsDep, StoresDep
from askbot.api.errors import ApiError
from askbot.api.metrics import Metrics
from askbot.api.schemas import ChatRequest, ChatResponse, FeedbackRequest, FeedbackResponse
from askbot.conversation import SessionState, new_state
from askbot.errors import StoreError
from askbot.store import SessionStore, WouldWait, without_waiting

log = logging.getLogger("askbot.api")
router = APIRouter(tags=["chat"])
T = TypeVar("T")


@router.post("/v1/chat", response_model=ChatResponse)
async def chat(
    body: ChatRequest,
    service: ServiceDep,
    stores: StoresDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> ChatResponse:
    """Answer a message, in the context of its session's earlier turns."""
    # A coroutine: it awaits the encoder's batch, and its own CPU work (~1 ms of scoring) runs
    # on the event loop, with no pool thread to wake per request.
    started = time.perf_counter()
    message = clean_message(body.message, settings.max_message_chars)
    if body.collection is not None and body.collection not in service.index.collection_ids():
        raise ApiError(404, "unknown_collection", f"unknown collection {body.collection!r}")
    try:
        session_id, state = await _session(
            stores.sessions, body.session_id, body.collection, metrics
        )
        reply, state = await service.conversation.reply_async(
            state, message, body.collection, page_language=body.lang
        )
        await session_io(stores.sessions, lambda: stores.sessions.put(session_id, state), metrics)
        answered = time.perf_counter()
        latency = answered - started
        stores.journal.log_question(
            session_id=session_id,
            question=message,
            collection=body.collection,
            decision=reply.decision.value,
            confidence=reply.confidence,
            answer_id=reply.answer.id if reply.answer else None,
            latency_ms=latency * 1000,
            via=reply.via,
        )
        metrics.store_on_loop.observe(time.perf_counter() - answered)
    except StoreError as exc:
        raise store_unavailable(exc) from None
    metrics.decisions.labels(reply.decision.value).inc()
    metrics.chat_latency.labels(reply.decision.value).observe(latency)
    return ChatResponse.model_validate({"session_id": session_id, **reply.to_dict()})


@router.post("/v1/feedback", response_model=FeedbackResponse)
def feedback(body: FeedbackRequest, stores: StoresDep) -> FeedbackResponse:
    """Record whether an answer helped; acknowledged only once it is on disk.

    Only an answer the session was shown can be judged, once: a second verdict replaces the
    first. Suggestions and alternatives are offers, not answers shown.
    """
    state = _stored(stores.sessions, body.session_id)
    if state is None:
        raise ApiError(404, "unknown_session", "unknown or expired session_id")
    if body.answer_id not in state.get("shown", []):
        raise ApiError(
            404, "answer_not_shown", "this session was not shown an answer with that answer_id"
        )
    comment = clean_message(body.comment, 2000) if body.comment else None
    try:
        row = stores.journal.add_feedback(
            session_id=body.session_id,
            answer_id=body.answer_id,
            helpful=body.helpful,
            comment=comment,
        )
    except StoreError as exc:
        raise store_unavailable(exc) from None
    return FeedbackResponse(id=row)


def store_unavailable(exc: StoreError) -> ApiError:
    """The 503 for a store that failed: the details (paths, the raw error) go to the log only."""
    log.error("store failed: %s", exc)
    return ApiError(503, "store_unavailable", "askbot cannot store this now; try again later")


def _stored(sessions: SessionStore, session_id: str) -> SessionState | None:
    try:
        return sessions.get(session_id)
    except StoreError as exc:
        raise store_unavailable(exc) from None


async def _session(
    sessions: SessionStore, session_id: str | None, collection: str | None, metrics: Metrics
) -> tuple[str, SessionState]:
    """The session a message belongs to: a new one, or the stored one (404 when gone)."""
    if session_id is None:
        return sessions.new_id(), new_state(collection)
    found = await session_io(sessions, lambda: sessions.get(session_id), metrics)
    if found is None:
        raise ApiError(404, "unknown_session", "unknown or expired session_id")
    return session_id, found


async def session_io(store: SessionStore, call: Callable[[], T], metrics: Metrics) -> T:
    """Run a session store call from a coroutine.

    SQLite on a local disk answers in a fraction of a millisecond, so it is tried on the event
    loop, where a thread would first wait for the GIL; a call that would wait (for the write
    lock another connection holds, or to checkpoint) goes to a thread instead. Redis and
    PostgreSQL are a network round trip, and a slow or unreachable server must not stall every
    request of the worker, so they always run in a thread.
    """
    if store.local:
        started = time.perf_counter()
        try:
            with without_waiting():
                return call()
        except WouldWait:
            pass
        finally:
            metrics.store_on_loop.observe(time.perf_counter() - started)
    return await anyio.to_thread.run_sync(call)
