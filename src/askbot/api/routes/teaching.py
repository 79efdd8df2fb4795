"""The editors' loop as an API (admin key): what readers asked that askbot failed, teaching it
their wording (``askbot.corpus.taught``), undoing that, and deleting a question from the log.

A change is written to the collection's change log in the corpus folder and published by a
background rebuild, so it is served within seconds with no restart (poll
``GET /v1/admin/reload``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query

from askbot.api.cleaning import clean_message
from askbot.api.deps import ServiceDep, SettingsDep, StoresDep
from askbot.api.errors import ApiError
from askbot.api.routes.chat import store_unavailable
from askbot.api.schemas import (
    ChangeList,
    ChangeOut,
    ClosestEntry,
    ErrorBody,
    ForgetRequest,
    ForgetResponse,
    TeachRequest,
    UnansweredGroup,
    UnansweredReport,
)
from askbot.corpus.taught import all_changes, record, undo
from askbot.errors import ConfigError, CorpusError, StoreError
from askbot.reload import rebuild_soon
from askbot.service import Service
from askbot.store import Journal
from askbot.unanswered import parse_since, unanswered_report

router = APIRouter(tags=["admin"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
EDITOR = "admin"  # the one admin key's name, recorded as who made a change
CLOSEST = 3  # entries offered per group, the closest first


@router.get("/v1/admin/unanswered", response_model=UnansweredReport)
def unanswered(
    service: ServiceDep,
    stores: StoresDep,
    since: Annotated[str, Query(max_length=40, description="7d, 24h, 30m or an ISO date")] = "",
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.75,
) -> UnansweredReport:
    """Questions that fell back or got unhelpful feedback, grouped, most frequent first, each
    with the entries askbot ranks closest (the likely homes for an alternate)."""
    try:
        start = parse_since(since) if since else None
    except ConfigError as exc:
        raise ApiError(422, "bad_since", str(exc)) from None
    try:
        return unanswered_groups(service, stores.journal, since=start, threshold=threshold)
    except StoreError as exc:
        raise store_unavailable(exc) from None


def unanswered_groups(
    service: Service, journal: Journal, *, since: float | None, threshold: float = 0.75
) -> UnansweredReport:
    """The unanswered report with each group's collection and closest entries."""
    groups = unanswered_report(journal, service.embedder, since=since, threshold=threshold)
    known = set(service.index.collection_ids())
    out = []
    for group in groups:
        collection = group.collection if group.collection in known else None
        candidates = service.retriever.ask(group.representative, collection).candidates
        closest = [
            ClosestEntry(id=entry_id, question=_question(service, entry_id), score=round(score, 4))
            for entry_id, score in candidates[:CLOSEST]
        ]
        out.append(
            UnansweredGroup(
                representative=group.representative,
                count=group.count,
                examples=list(group.examples),
                reasons=dict(group.reasons),
                last_seen=group.last_seen,
                collection=group.collection,
                unhelpful_answers=list(group.answer_ids),
                closest=closest,
            )
        )
    return UnansweredReport(groups=out, left_out_questions=groups.left_out_questions)


@router.post("/v1/admin/teach", response_model=ChangeOut, status_code=201)
def teach(body: TeachRequest, service: ServiceDep, settings: SettingsDep) -> ChangeOut:
    """Add a reader's wording as an alternate of an entry, or as a new entry with an answer;
    live within seconds (a background rebuild)."""
    if body.collection not in service.index.collection_ids():
        raise ApiError(404, "unknown_collection", f"unknown collection {body.collection!r}")
    question = clean_message(body.question, settings.max_message_chars)
    if body.action == "alternate":
        if body.entry_id is None or body.answer is not None:
            raise ApiError(422, "bad_change", "an alternate names entry_id and no answer")
        if _collection_of(service, body.entry_id) != body.collection:
            raise ApiError(404, "unknown_entry", f"no entry {body.entry_id!r} in that collection")
        answer = None
    else:
        if body.answer is None or body.entry_id is not None:
            raise ApiError(422, "bad_change", "a new entry has an answer and no entry_id")
        answer = clean_message(body.answer, 5000)
    try:
        change = record(
            settings.corpus_dir, body.collection, body.action, question,
            by=EDITOR, entry_id=body.entry_id, answer=answer,
        )  # fmt: skip
    except CorpusError as exc:  # a damaged change log: say which file
        raise ApiError(409, "change_log_damaged", str(exc)) from None
    rebuild_soon(settings, service.embedder)
    return ChangeOut(**asdict(change))


@router.get("/v1/admin/changes", response_model=ChangeList)
def changes(
    settings: SettingsDep,
    collection: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]+$")] = None,
) -> ChangeList:
    """Every taught change (or one collection's), newest first, undone ones included."""
    try:
        found = all_changes(settings.corpus_dir, collection)
    except CorpusError as exc:
        raise ApiError(409, "change_log_damaged", str(exc)) from None
    return ChangeList(changes=[ChangeOut(**asdict(change)) for change in found])


@router.post("/v1/admin/changes/{change_id}/undo", response_model=ChangeOut)
def undo_change(change_id: str, service: ServiceDep, settings: SettingsDep) -> ChangeOut:
    """Undo a taught change (it stays in the log, marked undone); live within seconds."""
    try:
        undone = undo(settings.corpus_dir, change_id, by=EDITOR)
    except CorpusError as exc:
        raise ApiError(409, "change_log_damaged", str(exc)) from None
    if undone is None:
        raise ApiError(404, "unknown_change", "no change in force with that id")
    rebuild_soon(settings, service.embedder)
    return ChangeOut(**asdict(undone))


@router.post("/v1/admin/questions/forget", response_model=ForgetResponse)
def forget(body: ForgetRequest, stores: StoresDep) -> ForgetResponse:
    """Delete a reader's question from the log, every time it was asked in those words."""
    try:
        return ForgetResponse(deleted=stores.journal.forget(body.question))
    except StoreError as exc:
        raise store_unavailable(exc) from None


def _question(service: Service, entry_id: str) -> str:
    entry = service.index.entry(entry_id)
    return entry.question if entry is not None else entry_id


def _collection_of(service: Service, entry_id: str) -> str | None:
    entry = service.index.entry(entry_id)
    return entry.collection if entry is not None else None
