"""The API's routers, one per resource."""

from askbot.api.routes import admin, chat, collections, health, web

ROUTERS = (chat.router, collections.router, health.router, admin.router, web.router)

__all__ = ["ROUTERS"]
