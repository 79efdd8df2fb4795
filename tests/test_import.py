"""``askbot import`` against a local HTTP server started by the test (never the internet)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from askbot.cli import app
from askbot.corpus import load_corpus
from tests.conftest import DATA

NEWS_PAGE = (DATA / "faqpage" / "interest-rates-explainer.html").read_bytes()
SECOND_PAGE = b"""<html><head><title>Passport help</title>
<script type="application/ld+json">{"@type": "FAQPage", "mainEntity": [{"@type": "Question",
"name": "How long does it take?", "acceptedAnswer": {"text": "Three weeks."}}]}</script>
</head><body></body></html>"""
NO_FAQ_PAGE = b"<html><head><title>Just news</title></head><body><p>No FAQ.</p></body></html>"


class Handler(BaseHTTPRequestHandler):
    """A tiny site: two FAQ pages, one plain page, a redirect loop, a huge page, a sitemap."""

    def do_GET(self) -> None:
        base = f"http://{self.headers['Host']}"
        pages = {
            "/economy/rates-explainer.html": NEWS_PAGE,
            "/help/passports/": SECOND_PAGE,
            "/plain.html": NO_FAQ_PAGE,
            "/sitemap.xml": (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/economy/rates-explainer.html</loc></url>"
                f"<url><loc>{base}/help/passports/</loc></url></urlset>"
            ).encode(),
            "/bomb.xml": b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><urlset>&lol;</urlset>',
        }
        if self.path == "/loop":
            self.redirect("/loop")
        elif self.path == "/to-file":
            self.redirect("file:///etc/passwd")
        elif self.path == "/moved":
            self.redirect("/economy/rates-explainer.html")
        elif self.path == "/big.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()  # no Content-Length: the client must count as it streams
            try:
                for _ in range(7 * 16):
                    self.wfile.write(b"<p>" + b"x" * (64 * 1024) + b"</p>")
            except OSError:
                pass  # the client hung up once it had read too much
        elif self.path in pages:
            body = pages[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")


def run_import(*args: str, corpus: Path) -> Result:
    return CliRunner().invoke(app, ["import", *args, "--corpus", str(corpus)])


def test_a_page_with_an_faqpage_is_written_and_loads(site: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    result = run_import(f"{site}/economy/rates-explainer.html", corpus=corpus)
    assert result.exit_code == 0, result.output
    assert "written" in result.output and "(5 questions)" in result.output
    assert [p.name for p in corpus.iterdir()] == ["rates-explainer.html"]
    assert (corpus / "rates-explainer.html").read_bytes() == NEWS_PAGE
    (collection,) = load_corpus(corpus).collections
    assert collection.title == "Why is the central bank raising rates again?"


def test_a_redirect_is_followed(site: str, tmp_path: Path) -> None:
    result = run_import(f"{site}/moved", corpus=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "moved.html").exists()


def test_a_page_without_faqpage_is_an_error_and_nothing_is_written(
    site: str, tmp_path: Path
) -> None:
    result = run_import(
        f"{site}/plain.html", f"{site}/economy/rates-explainer.html", corpus=tmp_path
    )
    assert result.exit_code == 1
    assert f"error: {site}/plain.html: no schema.org FAQPage" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rates-explainer.html"]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/loop", "more than 5 redirects"),
        ("/to-file", "not an http(s) URL: 'file:///etc/passwd'"),
        ("/big.html", "larger than 5 MB"),
        ("/missing.html", "HTTP 404"),
    ],
)
def test_bad_pages_are_error_lines(site: str, tmp_path: Path, path: str, reason: str) -> None:
    result = run_import(f"{site}{path}", corpus=tmp_path)
    assert result.exit_code == 1
    assert reason in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/faq.html", "file:///etc/passwd", "faq.html"])
def test_other_schemes_are_refused(tmp_path: Path, url: str) -> None:
    result = run_import(url, corpus=tmp_path)
    assert result.exit_code == 1
    assert f"error: {url}: not an http(s) URL" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_sitemap_imports_its_pages(site: str, tmp_path: Path) -> None:
    result = run_import(f"{site}/sitemap.xml", "--sitemap", corpus=tmp_path)
    assert result.exit_code == 0, result.output
    assert "2 page(s)" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["passports.html", "rates-explainer.html"]
    assert len(load_corpus(tmp_path).collections) == 2


def test_a_sitemap_with_entities_is_refused(site: str, tmp_path: Path) -> None:
    result = run_import(f"{site}/bomb.xml", "--sitemap", corpus=tmp_path)
    assert result.exit_code == 1
    assert "DOCTYPE or entities refused" in result.output
