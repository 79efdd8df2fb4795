"""The ASGI middlewares in front of the routes, one per module."""

from askbot.api.middleware.body_buffer import BodyBuffer
from askbot.api.middleware.guard import Guard
from askbot.api.middleware.request_metrics import RequestMetrics
from askbot.api.middleware.security_headers import PAGE_HEADERS, SecurityHeaders
from askbot.api.middleware.shedding import LoadShedder
from askbot.api.middleware.trusted_hosts import TrustedHosts, served_hosts

__all__ = [
    "PAGE_HEADERS",
    "BodyBuffer",
    "Guard",
    "LoadShedder",
    "RequestMetrics",
    "SecurityHeaders",
    "TrustedHosts",
    "served_hosts",
]
