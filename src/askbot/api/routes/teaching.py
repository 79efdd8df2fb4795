"""The editors' loop as an API (admin key): what readers asked that askbot failed and what
their picks after "did you mean…?" meant, teaching askbot their wording
(``askbot.corpus.taught``) or dismissing it, undoing either, and deleting a question from the log.

A change is written to the collection's change log in the corpus folder and published by a
background rebuild, so it is served within seconds with no restart (poll
``GET /v1/admin/reload``). Teaching or dismissing a group takes its failures so far off the
list of what to fix (``askbot.store.triage``); every change records the admin key's name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query

from askbot.api.cleaning import clean_message
from askbot.api.deps import EditorDep, ServiceDep, SettingsDep, StoresDep
from askbot.api.errors import ApiError
from askbot.api.routes.chat import store_unavailable
from askbot.api.schemas import (
    ChangeList,
    ChangeOut,
    ClosestEntry,
    DismissalList,
    DismissalOut,
    DismissRequest,
    ErrorBody,
    ForgetRequest,
    ForgetResponse,
    PickedWording,
    PickGroupOut,
    PickReport,
    TeachRequest,
    UnansweredGroup,
    UnansweredReport,
)
from askbot.corpus.taught import Change, all_changes, record, undo
from askbot.errors import ConfigError, CorpusError, StoreError
from askbot.reload import rebuild_soon
from askbot.service import Service
from askbot.store import Handling, Journal
from askbot.unanswered import parse_since, picks_report, unanswered_report

log = logging.getLogger("askbot.api")
router = APIRouter(tags=["admin"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})
CLOSEST = 3  # entries offered per group, the closest first
SinceQuery = Annotated[str, Query(max_length=40, description="7d, 24h, 30m or an ISO date")]


@router.get("/v1/admin/unanswered", response_model=UnansweredReport)
def unanswered(
    service: ServiceDep,
    stores: StoresDep,
    since: SinceQuery = "",
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.75,
) -> UnansweredReport:
    """Questions that fell back or got unhelpful feedback (with the readers' comments), grouped,
    most frequent first, each with the entries askbot ranks closest (the likely homes for an
    alternate). Groups an editor taught or dismissed leave it until their wordings fail again."""
    start = _since(since)
    try:
        return unanswered_groups(service, stores.journal, since=start, threshold=threshold)
    except StoreError as exc:
        raise store_unavailable(exc) from None


@router.get("/v1/admin/picks", response_model=PickReport)
def picks(service: ServiceDep, stores: StoresDep, since: SinceQuery = "") -> PickReport:
    """Readers who, asked "did you mean…?", picked an entry: what they had asked, by the entry
    they picked, most picked first. Each wording is a candidate alternate of that entry."""
    start = _since(since)
    try:
        return picked_groups(service, stores.journal, since=start)
    except StoreError as exc:
        raise store_unavailable(exc) from None


def picked_groups(service: Service, journal: Journal, *, since: float | None) -> PickReport:
    """The clarify picks report, with each picked entry's question."""
    return PickReport(
        groups=[
            PickGroupOut(
                collection=group.collection,
                entry_id=group.entry_id,
                entry_question=_question(service, group.entry_id),
                count=group.count,
                wordings=[PickedWording(question=q, count=n) for q, n in group.wordings],
                last_seen=group.last_seen,
            )
            for group in picks_report(journal, since=since)
        ]
    )


def _since(since: str) -> float | None:
    try:
        return parse_since(since) if since else None
    except ConfigError as exc:
        raise ApiError(422, "bad_since", str(exc)) from None


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
                comments=list(group.comments),
                wordings=list(group.wordings),
                closest=closest,
            )
        )
    return UnansweredReport(groups=out, left_out_questions=groups.left_out_questions)


@router.post("/v1/admin/teach", response_model=ChangeOut, status_code=201)
def teach(
    body: TeachRequest,
    service: ServiceDep,
    settings: SettingsDep,
    stores: StoresDep,
    editor: EditorDep,
) -> ChangeOut:
    """Add a reader's wording as an alternate of an entry, or as a new entry with an answer;
    live within seconds (a background rebuild). The wording's failures so far, and those of
    the group's other ``questions``, leave the list of what to fix."""
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
            by=editor, entry_id=body.entry_id, answer=answer,
        )  # fmt: skip
    except CorpusError as exc:  # a damaged change log: say which file
        raise ApiError(409, "change_log_damaged", str(exc)) from None
    rebuild_soon(settings, service.embedder)
    mark_taught(stores.journal, change, body.questions)
    return ChangeOut(**asdict(change))


def mark_taught(journal: Journal, change: Change, questions: Sequence[str]) -> None:
    """Take a taught group off the list of what to fix. The change is made whatever happens
    here: a journal that cannot write now only leaves the group listed."""
    try:
        journal.triage.handle(
            questions, representative=change.question, collection=change.collection,
            editor=change.by, how="taught", change_id=change.id,
        )  # fmt: skip
    except StoreError as exc:
        log.warning("change %s made, but its questions stay listed: %s", change.id, exc)


def unmark_taught(journal: Journal, change: Change) -> None:
    """Put an undone change's group back on the list of what to fix (best effort, as above)."""
    try:
        journal.triage.undo_change(change.id, editor=change.undone_by or change.by)
    except StoreError as exc:
        log.warning("change %s undone, but its questions stay unlisted: %s", change.id, exc)


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
def undo_change(
    change_id: str,
    service: ServiceDep,
    settings: SettingsDep,
    stores: StoresDep,
    editor: EditorDep,
) -> ChangeOut:
    """Undo a taught change (it stays in the log, marked undone); live within seconds. Its
    group comes back on the list of what to fix."""
    try:
        undone = undo(settings.corpus_dir, change_id, by=editor)
    except CorpusError as exc:
        raise ApiError(409, "change_log_damaged", str(exc)) from None
    if undone is None:
        raise ApiError(404, "unknown_change", "no change in force with that id")
    rebuild_soon(settings, service.embedder)
    unmark_taught(stores.journal, undone)
    return ChangeOut(**asdict(undone))


@router.post("/v1/admin/dismissals", response_model=DismissalOut, status_code=201)
def dismiss(body: DismissRequest, stores: StoresDep, editor: EditorDep) -> DismissalOut:
    """Take a group of failed questions off the list of what to fix, changing nothing in the
    FAQ (a question it should not answer). The same wordings failing later come back."""
    try:
        handling = stores.journal.triage.handle(
            body.questions, representative=body.representative, collection=body.collection,
            editor=editor, how="dismissed",
        )  # fmt: skip
    except StoreError as exc:
        raise store_unavailable(exc) from None
    return dismissal_out(handling)


@router.get("/v1/admin/dismissals", response_model=DismissalList)
def dismissals(stores: StoresDep) -> DismissalList:
    """The latest 200 dismissals, newest first, undone ones included."""
    try:
        found = stores.journal.triage.handlings(how="dismissed")
    except StoreError as exc:
        raise store_unavailable(exc) from None
    return DismissalList(dismissals=[dismissal_out(handling) for handling in found])


@router.post("/v1/admin/dismissals/{dismissal_id}/undo", response_model=DismissalOut)
def undo_dismissal(
    dismissal_id: Annotated[int, Path(ge=1, le=2**62)], stores: StoresDep, editor: EditorDep
) -> DismissalOut:
    """Put a dismissed group back on the list of what to fix (recorded, not deleted)."""
    try:
        undone = stores.journal.triage.undo_dismissal(dismissal_id, editor=editor)
    except StoreError as exc:
        raise store_unavailable(exc) from None
    if undone is None:
        raise ApiError(404, "unknown_dismissal", "no dismissal in force with that id")
    return dismissal_out(undone)


def dismissal_out(handling: Handling) -> DismissalOut:
    """A handling as the API shows a dismissal."""
    return DismissalOut(
        id=handling.id, handled_at=handling.handled_at, editor=handling.editor,
        collection=handling.collection, representative=handling.representative,
        wordings=len(handling.wordings), undone_at=handling.undone_at,
        undone_by=handling.undone_by,
    )  # fmt: skip


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
