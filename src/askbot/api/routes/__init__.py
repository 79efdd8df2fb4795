"""The API's routers, one per resource."""

from askbot.api.routes import admin, chat, collections, health, teaching, web

ROUTERS = (
    chat.router,
    collections.router,
    health.router,
    admin.router,
    teaching.router,
    web.router,
)

__all__ = ["ROUTERS"]
