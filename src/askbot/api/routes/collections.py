"""``/v1/collections``: what askbot can answer, collection by collection."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from askbot.api.deps import ServiceDep
from askbot.api.errors import ApiError
from askbot.api.schemas import CollectionDetail, CollectionList, CollectionSummary, SuggestionOut
from askbot.corpus.faqpage import faqpage_jsonld

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


# A plain string ("" for none) keeps the parameter's schema one type, not a union with null.
Language = Annotated[
    str,
    Query(
        pattern=r"^([a-z]{2})?$",
        description="The reader's language (ISO 639-1): title, summary and questions in it "
        "when the collection has a translation, else in the collection's own.",
    ),
]


@router.get("/v1/collections/{collection_id}", response_model=CollectionDetail)
def collection(collection_id: str, service: ServiceDep, lang: Language = "") -> CollectionDetail:
    """One collection with its questions, in the reader's language where translated."""
    for c in service.index.collections:
        if c.id == collection_id:
            title = c.title_in(lang or None)
            questions = []
            for entry in c.entries:
                translated = entry.translation(title.language)
                text = translated.question if translated is not None else entry.question
                questions.append(SuggestionOut(id=entry.id, question=text))
            return CollectionDetail(
                id=c.id,
                title=title.title,
                summary=title.summary,
                questions=questions,
                language=title.language,
                languages=c.languages(),
            )
    raise ApiError(404, "unknown_collection", f"unknown collection {collection_id!r}")


class JsonLdResponse(Response):
    """A JSON-LD body."""

    media_type = "application/ld+json"


@router.get(
    "/v1/collections/{collection_id}/faqpage",
    response_class=JsonLdResponse,
    responses={
        200: {
            "description": "schema.org FAQPage JSON-LD",
            "content": {"application/ld+json": {"schema": {"type": "object"}}},
        }
    },
)
def faqpage(collection_id: str, service: ServiceDep, lang: Language = "") -> JsonLdResponse:
    """The collection as schema.org FAQPage JSON-LD, to embed in the article's page."""
    for c in service.index.collections:
        if c.id == collection_id:
            body = json.dumps(faqpage_jsonld(c, lang or None), ensure_ascii=False)
            return JsonLdResponse(body.encode("utf-8"))
    raise ApiError(404, "unknown_collection", f"unknown collection {collection_id!r}")
