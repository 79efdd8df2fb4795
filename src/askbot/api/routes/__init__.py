"""The API's routers, one per resource."""

from askbot.api.routes import admin, chat, collections, desk, health, teaching, web

ROUTERS = (
    chat.router,
    collections.router,
    health.router,
    admin.router,
    teaching.router,
    desk.router,
    web.router,
)

__all__ = ["ROUTERS"]
