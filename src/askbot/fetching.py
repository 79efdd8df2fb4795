"""Fetching web pages that carry a schema.org FAQPage into corpus files (``askbot import``).

Only http(s), every redirect target too, at most ``MAX_REDIRECTS`` of them; each page read in
chunks and refused past ``MAX_PAGE_BYTES``; ``TIMEOUT_SECONDS`` per request; a sitemap's XML
refused if it declares a DOCTYPE or entities (no entity expansion), at most
``MAX_SITEMAP_URLS`` pages. A page is written (atomically) only when it has an FAQPage.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ElementTree
from email.message import Message
from pathlib import Path, PurePosixPath
from urllib.parse import urljoin, urlsplit
from urllib.response import addinfourl

from askbot.corpus.entries import slugify
from askbot.corpus.faqpage import MAX_PAGE_BYTES, parse_faqpage
from askbot.errors import FetchError

TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 5
MAX_SITEMAP_URLS = 500
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand 3xx answers back: redirects are followed by ``fetch``, which checks each target."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def check_scheme(url: str) -> None:
    """Refuse anything but an absolute http(s) URL (no file:, ftp:, data: ...)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise FetchError(f"not an http(s) URL: {url!r}")


def fetch(url: str, *, max_bytes: int = MAX_PAGE_BYTES) -> tuple[bytes, str]:
    """The body of ``url`` and its charset, following at most 5 redirects, each to http(s).

    Reads at most ``max_bytes`` (streamed: a larger page is refused without reading it all).
    """
    for _ in range(MAX_REDIRECTS + 1):
        check_scheme(url)
        request = urllib.request.Request(url, headers={"User-Agent": "askbot-import/0.1"})
        try:
            response = _OPENER.open(request, timeout=TIMEOUT_SECONDS)
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location") if exc.code in _REDIRECTS else None
            exc.close()
            if location is None:
                raise FetchError(f"HTTP {exc.code} {exc.reason}") from None
            url = urljoin(url, location)
            continue
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"cannot fetch: {reason}") from None
        with response:
            return _read_limited(response, max_bytes), _charset(response.headers)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _read_limited(response: addinfourl, max_bytes: int) -> bytes:
    limit = f"larger than {max_bytes // (1024 * 1024)} MB"
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(limit)
            chunks.append(chunk)
    except (OSError, ValueError) as exc:  # timeouts and broken connections mid-body
        raise FetchError(f"cannot read: {exc}") from None
    return b"".join(chunks)


def _charset(headers: Message) -> str:
    charset = headers.get_content_charset() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def sitemap_urls(body: bytes) -> list[str]:
    """The page URLs of a sitemap (``urlset``/``url``/``loc``), at most 500.

    Documents with a DOCTYPE or entities are refused: entity expansion is how XML bombs work.
    """
    if re.search(rb"<!(DOCTYPE|ENTITY)", body, re.IGNORECASE):
        raise FetchError("sitemap with a DOCTYPE or entities refused")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise FetchError(f"malformed sitemap XML: {exc}") from None
    if _local(root.tag) != "urlset":
        raise FetchError(f"not a sitemap urlset (root element <{_local(root.tag)}>)")
    urls = [
        (loc.text or "").strip()
        for url in root
        if _local(url.tag) == "url"
        for loc in url
        if _local(loc.tag) == "loc"
    ]
    return [url for url in urls if url][:MAX_SITEMAP_URLS]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def page_name(url: str) -> str:
    """The corpus file stem for a page: its last path segment, else its host, slugified."""
    parts = urlsplit(url)
    segment = PurePosixPath(parts.path).name
    stem = segment.rsplit(".", 1)[0] if segment.lower().endswith((".html", ".htm")) else segment
    return slugify(stem or parts.hostname or "page")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the whole new one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)  # atomic on POSIX; the hidden temp name is skipped as corpus
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def import_page(url: str, corpus: Path, taken: set[str]) -> tuple[Path, int]:
    """Fetch one page and save it in ``corpus`` if it has an FAQPage; its path and entry count."""
    body, charset = fetch(url)
    text = body.decode(charset, errors="replace")
    raw = parse_faqpage(text, url)
    if not raw.entries:
        raise FetchError("its FAQPage has no questions")
    name, number = page_name(url), 1
    while (f"{name}-{number}" if number > 1 else name) in taken:
        number += 1
    name = f"{name}-{number}" if number > 1 else name
    taken.add(name)
    path = corpus / f"{name}.html"
    write_atomically(path, text)
    return path, len(raw.entries)
