"""Request and response bodies of the HTTP API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Annotated, Literal

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


class ClosestEntry(BaseModel):
    """An entry askbot ranks close to a group of questions."""

    id: str
    question: str
    score: float


class UnansweredGroup(BaseModel):
    """Readers' questions that mean about the same thing and that askbot failed."""

    representative: str
    count: int
    examples: list[str]
    reasons: dict[str, int]
    last_seen: float
    collection: str | None
    unhelpful_answers: list[str]
    comments: list[str] = Field(description="Readers' comments on the unhelpful answers.")
    wordings: list[str] = Field(description="Every distinct wording in the group.")
    closest: list[ClosestEntry]


class UnansweredReport(BaseModel):
    """The groups, most frequent first, and how many questions the grouping bound left out."""

    groups: list[UnansweredGroup]
    left_out_questions: int


Wording = Annotated[str, Field(min_length=1, max_length=1000)]


class PickedWording(BaseModel):
    """What readers had asked before picking, and how often."""

    question: str
    count: int


class PickGroupOut(BaseModel):
    """Readers who, asked "did you mean…?", picked the same entry."""

    collection: str | None
    entry_id: str
    entry_question: str
    count: int
    wordings: list[PickedWording]
    last_seen: float


class PickReport(BaseModel):
    """Clarify picks by entry, most picked first."""

    groups: list[PickGroupOut]


class TeachRequest(BaseModel):
    """Teach a collection a reader's wording: as an alternate of an entry, or a new entry."""

    model_config = ConfigDict(extra="forbid")

    collection: str = Field(min_length=1, max_length=64)
    action: Literal["alternate", "entry"]
    question: Wording
    entry_id: str | None = Field(default=None, max_length=256, description="For an alternate.")
    answer: str | None = Field(default=None, max_length=5000, description="For a new entry.")
    questions: list[Wording] = Field(
        default_factory=list,
        max_length=500,
        description="The group's other wordings: with this change, their failures so far leave "
        "the list of what to fix.",
    )


class DismissRequest(BaseModel):
    """Take a group of failed questions off the list of what to fix, without a change."""

    model_config = ConfigDict(extra="forbid")

    representative: Wording
    questions: list[Wording] = Field(default_factory=list, max_length=500)
    collection: str | None = Field(default=None, max_length=64)


class DismissalOut(BaseModel):
    """A group taken off the list; its wordings' later failures come back."""

    id: int
    handled_at: float
    editor: str
    collection: str | None
    representative: str
    wordings: int
    undone_at: float | None
    undone_by: str | None


class DismissalList(BaseModel):
    """Dismissals, newest first."""

    dismissals: list[DismissalOut]


class ChangeOut(BaseModel):
    """One taught change, as recorded in the collection's change log."""

    id: str
    collection: str
    action: Literal["alternate", "entry"]
    question: str
    made_at: float
    by: str
    entry_id: str | None
    answer: str | None
    undone_at: float | None
    undone_by: str | None


class ChangeList(BaseModel):
    """Taught changes, newest first."""

    changes: list[ChangeOut]


class ForgetRequest(BaseModel):
    """A reader's question to delete from the log, worded exactly as logged."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=1000)


class ForgetResponse(BaseModel):
    """How many logged questions were deleted."""

    deleted: int
