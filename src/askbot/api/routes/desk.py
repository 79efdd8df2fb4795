"""The editors' desk at ``/admin``: sign in with an admin key, see what readers asked and how
askbot did, and teach it (or dismiss a group, undo either, or delete a reader's question) in
one click.

Server-rendered HTML with no script: every action is a form posted with the session's CSRF
token, checked with the request's ``Origin``; each answers with a redirect back to the page.
The changes go through the same change logs and background rebuild as ``/v1/admin/teach``.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from askbot.api.cleaning import clean_message
from askbot.api.deps import SettingsDep
from askbot.api.desk_session import (
    EditorSession,
    clear_cookie,
    current,
    set_cookie,
    sign_in,
    sign_out,
)
from askbot.api.desk_views import changed, charts, dismissed_row, totals
from askbot.api.errors import ApiError
from askbot.api.middleware.security_headers import PAGE_HEADERS
from askbot.api.routes.teaching import (
    mark_taught,
    picked_groups,
    unanswered_groups,
    unmark_taught,
)
from askbot.api.security import AccessPolicy
from askbot.corpus.taught import Action, all_changes, record, undo
from askbot.errors import AskbotError, StoreError
from askbot.reload import rebuild_soon
from askbot.service import Service, Stores

router = APIRouter(include_in_schema=False)
PERIODS = (7, 30, 90)  # days an editor can look back
# The page's own forms post to itself; everything else as strict as the other pages.
DESK_HEADERS = PAGE_HEADERS | {
    "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'"
    ),
    "Cache-Control": "no-store",  # readers' words: never kept by a browser or proxy cache
}
_templates = Environment(
    loader=PackageLoader("askbot", "web/desk"), autoescape=select_autoescape(default=True)
)


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    html = _templates.get_template(name).render(**values)
    return HTMLResponse(html, status_code=status, headers=DESK_HEADERS)


def _to(path: str, **query: str) -> RedirectResponse:
    target = path + (f"?{urlencode(query)}" if query else "")
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


def _stores(request: Request) -> Stores:
    stores: Stores | None = request.app.state.stores
    if stores is None:
        raise ApiError(503, "store_unavailable", "askbot cannot store this now; try again later")
    return stores


def _service(request: Request) -> Service:
    service: Service | None = request.app.state.service
    if service is None:
        raise ApiError(503, "not_ready", "askbot is not ready yet")
    return service


async def _posted(request: Request) -> tuple[EditorSession | None, dict[str, list[str]]]:
    """The signed-in session of a form post from this site with its CSRF token, or None."""
    try:  # a group's wordings, its CSRF token and a few fields
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=600)
    except ValueError:  # more fields than any page of ours posts
        return None, {}
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    session = current(_stores(request).sessions, request)
    if session is None or (origin is not None and origin != own):
        return None, form
    return (session if session.accepts(_one(form, "csrf")) else None), form


def _one(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _refused() -> HTMLResponse:
    return _page("refused.html", status=403)


@router.get("/admin/desk.css")
def desk_css() -> Response:
    """The desk's stylesheet."""
    css = resources.files("askbot").joinpath("web", "desk", "desk.css").read_bytes()
    return Response(css, media_type="text/css; charset=utf-8")


@router.get("/admin/login", response_class=HTMLResponse)
def login_page(request: Request, expired: bool = False) -> Response:
    """The sign-in form."""
    if current(_stores(request).sessions, request) is not None:
        return _to("/admin")
    return _page("login.html", expired=expired, error=None)


@router.post("/admin/login")
async def login(request: Request) -> Response:
    """Check the admin key (typed into the form) and start a session."""
    policy: AccessPolicy = request.app.state.policy
    if not policy.admin:
        return _page("login.html", status=403, expired=False, error="disabled")
    form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
    editor = policy.admin_name(_one(form, "key"))
    if editor is None:
        return _page("login.html", status=401, expired=False, error="wrong")
    token, _ = sign_in(_stores(request).sessions, editor)
    response = _to("/admin")
    set_cookie(response, request, token)
    return response


@router.post("/admin/logout")
async def logout(request: Request) -> Response:
    """End the session."""
    session, _ = await _posted(request)
    if session is None:
        return _refused()
    sign_out(_stores(request).sessions, request)
    response = _to("/admin/login")
    clear_cookie(response, request)
    return response


@router.get("/admin", response_class=HTMLResponse)
def desk(
    request: Request,
    collection: Annotated[str | None, Query(max_length=64, pattern=r"^[\w.-]*$")] = None,
    days: int = 30,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The overview and what to fix."""
    stores = _stores(request)
    session = current(stores.sessions, request)
    if session is None:
        return _to("/admin/login", expired="1") if request.cookies else _to("/admin/login")
    service = _service(request)
    settings = request.app.state.settings
    collection = collection or None
    if collection is not None and collection not in service.index.collection_ids():
        raise ApiError(404, "unknown_collection", "unknown collection")
    days = days if days in PERIODS else 30
    journal = stores.journal
    decisions = journal.daily_decisions(days=days, collection=collection)
    feedback = journal.daily_feedback(days=days, collection=collection)
    confidence = journal.confidence_histogram(days=days, collection=collection)
    since = time.time() - days * 86400
    report = unanswered_groups(service, journal, since=since)
    groups = [g for g in report.groups if collection is None or g.collection == collection]
    picks = picked_groups(service, journal, since=since).groups
    picks = [p for p in picks if collection is None or p.collection == collection]
    dismissed = [
        d for d in journal.triage.handlings(how="dismissed", limit=50)
        if collection is None or d.collection == collection
    ]  # fmt: skip
    entries: dict[str, list[tuple[str, str]]] = {}
    for entry in service.index.entries:
        entries.setdefault(entry.collection, []).append((entry.id, entry.question))
    return _page(
        "desk.html",
        csrf=session.csrf,
        editor=session.editor,
        collections=service.index.collections,
        collection=collection,
        days=days,
        periods=PERIODS,
        done=done,
        charts=charts(decisions, feedback, confidence),
        totals=totals(decisions, feedback),
        groups=groups,
        picks=picks,
        dismissed=[dismissed_row(handling) for handling in dismissed],
        entries=entries,
        changes=[changed(change) for change in all_changes(settings.corpus_dir, collection)[:50]],
        when=lambda t: time.strftime("%Y-%m-%d %H:%M", time.gmtime(t)),
    )


@router.post("/admin/teach")
async def teach(request: Request, settings: SettingsDep) -> Response:
    """Add a reader's wording as an alternate of an entry, or as a new entry."""
    session, form = await _posted(request)
    if session is None:
        return _refused()
    service = _service(request)
    collection, posted_action = _one(form, "collection") or "", _one(form, "action")
    if collection not in service.index.collection_ids():
        return _to("/admin", done="invalid")
    if posted_action == "alternate":
        action: Action = "alternate"
    elif posted_action == "entry":
        action = "entry"
    else:
        return _to("/admin", done="invalid")
    try:
        question = clean_message(_one(form, "question") or "", settings.max_message_chars)
        answer = clean_message(_one(form, "answer") or "", 5000) if action == "entry" else None
    except ApiError:
        return _to("/admin", done="invalid")
    entry_id = _one(form, "entry_id") if action == "alternate" else None
    owner = service.index.entry(entry_id) if entry_id else None
    if action == "alternate" and (owner is None or owner.collection != collection):
        return _to("/admin", done="invalid")
    try:
        change = record(settings.corpus_dir, collection, action, question, by=session.editor,
                        entry_id=entry_id, answer=answer)  # fmt: skip
    except AskbotError:
        return _to("/admin", done="failed")
    rebuild_soon(settings, service.embedder)
    mark_taught(_stores(request).journal, change, _wordings(form))
    return _to("/admin", done="taught")


@router.post("/admin/undo")
async def undo_change(request: Request, settings: SettingsDep) -> Response:
    """Undo a taught change."""
    session, form = await _posted(request)
    if session is None:
        return _refused()
    try:
        undone = undo(settings.corpus_dir, _one(form, "change") or "", by=session.editor)
    except AskbotError:
        return _to("/admin", done="failed")
    if undone is None:
        return _to("/admin", done="invalid")
    rebuild_soon(settings, _service(request).embedder)
    unmark_taught(_stores(request).journal, undone)
    return _to("/admin", done="undone")


@router.post("/admin/dismiss")
async def dismiss(request: Request) -> Response:
    """Take a group off the list of what to fix, changing nothing in the FAQ."""
    session, form = await _posted(request)
    if session is None:
        return _refused()
    representative = _one(form, "representative")
    if not representative or len(representative) > 1000:
        return _to("/admin", done="invalid")
    try:
        _stores(request).journal.triage.handle(
            _wordings(form), representative=representative,
            collection=_one(form, "collection") or None, editor=session.editor, how="dismissed",
        )  # fmt: skip
    except StoreError:
        return _to("/admin", done="failed")
    return _to("/admin", done="dismissed")


@router.post("/admin/undismiss")
async def undismiss(request: Request) -> Response:
    """Put a dismissed group back on the list."""
    session, form = await _posted(request)
    if session is None:
        return _refused()
    dismissal = _one(form, "dismissal") or ""
    if not dismissal.isdigit() or len(dismissal) > 18:
        return _to("/admin", done="invalid")
    try:
        undone = _stores(request).journal.triage.undo_dismissal(
            int(dismissal), editor=session.editor
        )
    except StoreError:
        return _to("/admin", done="failed")
    return _to("/admin", done="undismissed" if undone is not None else "invalid")


def _wordings(form: dict[str, list[str]]) -> list[str]:
    """A group's wordings posted with an action (bounded like the API's)."""
    return [w for w in form.get("wording", [])[:500] if 0 < len(w) <= 1000]


@router.post("/admin/forget")
async def forget(request: Request) -> Response:
    """Delete a group's questions from the log (readers' words are personal data)."""
    session, form = await _posted(request)
    if session is None:
        return _refused()
    journal = _stores(request).journal
    for question in form.get("question", [])[:50]:
        journal.forget(question)
    return _to("/admin", done="deleted")
