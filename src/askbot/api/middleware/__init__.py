"""The ASGI middlewares in front of the routes, one per module."""

from askbot.api.middleware.body_limit import BodySizeLimit
from askbot.api.middleware.guard import Guard
from askbot.api.middleware.request_metrics import RequestMetrics
from askbot.api.middleware.security_headers import PAGE_HEADERS, SecurityHeaders

__all__ = ["PAGE_HEADERS", "BodySizeLimit", "Guard", "RequestMetrics", "SecurityHeaders"]
