"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Id = Field(min_length=1, max_length=128, pattern=r"^[\w.:/@-]+$")


class ChatRequest(BaseModel):
    """One message from a reader or a bot."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="What the reader typed.", examples=["why now?"])
    session_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[\w-]+$",
        description="Omit to start a conversation; send back the returned id to continue it.",
    )
    collection: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[\w.-]+$",
        description="Only answer from this collection (an article's FAQ).",
    )
    lang: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2}$",
        description="The page's language (ISO 639-1): the answer's language when the message "
        "is too short to tell its own.",
        examples=["ko"],
    )


class MatchOut(BaseModel):
    """The FAQ entry that answers the message."""

    id: str
    question: str
    text: str
    collection: str


class AlternativeOut(BaseModel):
    """Another entry the message may have meant."""

    id: str
    question: str
    confidence: float = Field(ge=0.0, le=1.0)


class SuggestionOut(BaseModel):
    """A question to offer next."""

    id: str
    question: str


class LanguageOut(BaseModel):
    """The language a message was read in and the one the reply is in."""

    detected: str | None = Field(description="The message's language; null when unclear.")
    served: str = Field(description="The language of the answer (or of askbot's own line).")
    note: str | None = Field(
        description="Shown under an answer in another language than the reader's."
    )


class ChatResponse(BaseModel):
    """askbot's reply to one message."""

    session_id: str
    decision: Literal["answer", "clarify", "fallback"]
    confidence: float = Field(ge=0.0, le=1.0, description="P(the answer is right).")
    answer: MatchOut | None
    alternatives: list[AlternativeOut]
    suggestions: list[SuggestionOut]
    message: str = Field(description="The reply text to show.")
    understood_as: str = Field(description="The question actually searched.")
    via: Literal["search", "follow-up", "clarification", "more", "small-talk"]
    language: LanguageOut


class FeedbackRequest(BaseModel):
    """Whether an answer helped."""

    model_config = ConfigDict(extra="forbid")

    session_id: str = Field(min_length=1, max_length=128, pattern=r"^[\w-]+$")
    answer_id: str = Field(min_length=1, max_length=256)
    helpful: bool
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackResponse(BaseModel):
    """Feedback was stored durably."""

    ok: Literal[True] = True
    id: int


class CollectionSummary(BaseModel):
    """One collection in the list."""

    id: str
    title: str
    summary: str
    count: int


class CollectionList(BaseModel):
    """Every collection served."""

    collections: list[CollectionSummary]


class CollectionDetail(BaseModel):
    """A collection with its questions (the widget shows them as suggestions)."""

    id: str
    title: str
    summary: str
    questions: list[SuggestionOut]
    language: str = Field(description="The language title, summary and questions are in.")
    languages: list[str] = Field(description="Every language the collection answers in.")


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx response body."""

    error: ErrorDetail


class Health(BaseModel):
    """Liveness or readiness."""

    status: Literal["ok", "ready", "not ready"]
    reason: str | None = None
    index: str | None = None
