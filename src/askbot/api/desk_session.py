"""Editors' sessions on the ``/admin`` pages: a cookie naming a server-side session, and a
CSRF token that every form posts back.

The admin key is typed once into the login form, never put in a URL or a cookie. The cookie
carries a random token; the session store (the one conversations use, so every worker and
machine sees it) keeps the session under the token's SHA-256, expiring after
``ASKBOT_SESSION_TTL_SECONDS`` idle (each page view restarts the timer). Its key has a ``:``,
which no chat ``session_id`` may contain, so the chat API can never read or write an editor's
session. The cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the page was served
over HTTPS, and scoped to ``/admin``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from askbot.store import SessionStore

COOKIE = "askbot_admin"
COOKIE_PATH = "/admin"
_KEY_PREFIX = "admin:"
_TOKEN_MAX = 128  # a cookie longer than any token we issue is not looked up


@dataclass(frozen=True, slots=True)
class EditorSession:
    """A signed-in editor: who (the admin key's name) and the session's CSRF token."""

    editor: str
    csrf: str

    def accepts(self, posted: str | None) -> bool:
        """Whether a form's CSRF token is this session's (in constant time)."""
        return posted is not None and hmac.compare_digest(posted, self.csrf)


def _store_key(token: str) -> str:
    return _KEY_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def sign_in(sessions: SessionStore, editor: str) -> tuple[str, EditorSession]:
    """A new session for ``editor``; the cookie's token and the session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    sessions.put(_store_key(token), {"editor": editor, "csrf": csrf})
    return token, EditorSession(editor, csrf)


def current(sessions: SessionStore, request: Request) -> EditorSession | None:
    """The session the request's cookie names, if it is signed in and has not expired."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > _TOKEN_MAX:
        return None
    key = _store_key(token)
    state = sessions.get(key)
    if not state or not isinstance(state.get("editor"), str):
        return None
    sessions.put(key, state)  # in use: restart its idle timer
    return EditorSession(state["editor"], str(state["csrf"]))


def sign_out(sessions: SessionStore, request: Request) -> None:
    """End the request's session (a signed-out state stays until it expires)."""
    token = request.cookies.get(COOKIE)
    if token and len(token) <= _TOKEN_MAX:
        sessions.put(_store_key(token), {"editor": None})


def set_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, /admin only; kept
    until the browser closes (the server ends the session when it idles)."""
    response.set_cookie(
        COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(
        COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
