"""The HTTP API (FastAPI): ``create_app(settings)``."""

from askbot.api.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
