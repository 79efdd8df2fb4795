"""Error plumbing: ``ApiError``, the one error body shape, and the handlers that produce it.

Every error body is ``{"error": {"code", "message"}}``; no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from askbot.api.schemas import ErrorBody

log = logging.getLogger("askbot.api")


class ApiError(Exception):
    """An error with an HTTP status and a machine-readable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """The one shape of every error body."""
    body = ErrorBody.model_validate({"error": {"code": code, "message": message}})
    return JSONResponse(body.model_dump(), status_code=status, headers=headers or None)


def install_error_handlers(
    app: FastAPI, server_error_headers: dict[str, str] | None = None
) -> None:
    """Turn every exception a route can raise into the error body and the right status.

    ``server_error_headers`` go on the 500 answer, which no middleware sees.
    """

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return error_response(422, "invalid_request", "; ".join(problems)[:1000])

    @app.exception_handler(UnicodeError)
    async def not_text(request: Request, exc: UnicodeError) -> JSONResponse:
        return error_response(422, "invalid_text", "the request holds text that is not valid UTF-8")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's "error parsing the body": invalid UTF-8 or a body that is not JSON.
            return error_response(
                422, "invalid_body", "the request body is not JSON in valid UTF-8"
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(
            500,
            "internal_error",
            "internal error (logged on the server)",
            **(server_error_headers or {}),
        )
