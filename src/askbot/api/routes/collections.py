"""``/v1/collections``: what askbot can answer, collection by collection."""

from __future__ import annotations

from fastapi import APIRouter

from askbot.api.deps import ServiceDep
from askbot.api.errors import ApiError
from askbot.api.schemas import CollectionDetail, CollectionList, CollectionSummary, SuggestionOut

router = APIRouter(tags=["collections"])


@router.get("/v1/collections", response_model=CollectionList)
def collections(service: ServiceDep) -> CollectionList:
    """Every collection served."""
    return CollectionList(
        collections=[
            CollectionSummary(id=c.id, title=c.title, summary=c.summary, count=len(c.entries))
            for c in service.index.collections
        ]
    )


@router.get("/v1/collections/{collection_id}", response_model=CollectionDetail)
def collection(collection_id: str, service: ServiceDep) -> CollectionDetail:
    """One collection with its questions."""
    for c in service.index.collections:
        if c.id == collection_id:
            questions = [SuggestionOut(id=e.id, question=e.question) for e in c.entries]
            return CollectionDetail(id=c.id, title=c.title, summary=c.summary, questions=questions)
    raise ApiError(404, "unknown_collection", f"unknown collection {collection_id!r}")
