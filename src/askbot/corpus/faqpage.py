"""schema.org ``FAQPage`` in and out: a web page's FAQ as a collection, a collection as JSON-LD.

A page's FAQ is read from its JSON-LD (``<script type="application/ld+json">``: an object, a
list or an ``@graph``) or, when that has no ``FAQPage``, from its microdata (``itemscope
itemtype=".../FAQPage"``). Answers may hold HTML; they become plain text.

>>> html = '<script type="application/ld+json">{"@type": "FAQPage", "mainEntity": [{'
>>> html += '"@type": "Question", "name": "Why?", "acceptedAnswer": {"text": "<b>Because</b>."}'
>>> html += '}]}'
>>> html += '</script>'
>>> [(e.question, e.answer) for e in parse_faqpage(html, "page.html").entries]
[('Why?', 'Because.')]
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from askbot.corpus.entries import Collection
from askbot.corpus.readers import RawCollection, RawEntry, read_text
from askbot.errors import CorpusError

MAX_PAGE_BYTES = 5 * 1024 * 1024
_NO_FAQPAGE = "no schema.org FAQPage (JSON-LD or microdata)"
_ARTICLE_TYPES = {
    "Article",
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "BackgroundNewsArticle",
    "BlogPosting",
}
_PAGE_TYPES = {"WebPage", "FAQPage", "ItemPage", "CollectionPage"}
_BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCK_TAGS |= {"section", "article", "blockquote", "table", "dd", "dt", "pre"}
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
_VOID_TAGS |= {"source", "track", "wbr"}
_DROPPED_TAGS = {"script", "style", "template", "noscript"}


class _TextParser(HTMLParser):
    """HTML to text: tags dropped, entities unescaped, script and style content dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS:
            self.dropping += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag == "p" else "\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Safe plain text of an HTML fragment; ``<p>`` parts become paragraphs, ``<br>`` lines.

    >>> html_to_text("<p>One &amp; <i>two</i></p><p>three<br>four<script>x()</script></p>")
    'One & two\\n\\nthree\\nfour'
    """
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _one_line(fragment: str) -> str:
    return " ".join(html_to_text(fragment).split())


@dataclass(slots=True)
class _Item:
    """A microdata item: its types, its properties and the line it starts on."""

    types: set[str]
    line: int
    props: dict[str, list[_Item | str]] = field(default_factory=dict)

    def add(self, names: list[str], value: _Item | str) -> None:
        for name in names:
            self.props.setdefault(name, []).append(value)


@dataclass(slots=True)
class _Open:
    """An element still open while parsing: what it contributes to the microdata."""

    tag: str
    item: _Item | None
    props: list[str]
    text_start: int | None  # offset where its text starts, when its text is a property value


class _PageParser(HTMLParser):
    """One pass over a page: JSON-LD scripts, ``<title>``, meta description, microdata."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.scripts: list[tuple[int, str]] = []
        self.title_parts: list[str] | None = None
        self.title = ""
        self.description = ""
        self.items: list[_Item] = []
        self.stack: list[_Open] = []
        self.script_line: int | None = None
        self.script_parts: list[str] = []

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and values.get("type", "").split(";")[0].strip().lower() == (
            "application/ld+json"
        ):
            self.script_line, self.script_parts = self.getpos()[0], []
        elif tag == "title" and self.title_parts is None and not self.title:
            self.title_parts = []
        elif tag == "meta" and values.get("name", "").lower() == "description":
            self.description = self.description or values.get("content", "")
        self.microdata_start(tag, values)

    def microdata_start(self, tag: str, values: dict[str, str]) -> None:
        parent = next((o.item for o in reversed(self.stack) if o.item is not None), None)
        props = values.get("itemprop", "").split() if parent is not None else []
        item = None
        if "itemscope" in values:
            types = {_local_name(t) for t in values.get("itemtype", "").split()}
            item = _Item(types, self.getpos()[0])
            self.items.append(item)
            if parent is not None and props:
                parent.add(props, item)
            props = []
        elif props and tag in _VOID_TAGS:
            value = values.get("content") or values.get("href") or values.get("src") or ""
            assert parent is not None
            parent.add(props, value)
            props = []
        if tag in _VOID_TAGS:
            return
        start = self.position() + len(self.get_starttag_text() or "") if props else None
        self.stack.append(_Open(tag, item, props, start))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.script_line is not None:
            self.scripts.append((self.script_line, "".join(self.script_parts)))
            self.script_line = None
        elif tag == "title" and self.title_parts is not None:
            self.title = " ".join("".join(self.title_parts).split())
            self.title_parts = None
        if not any(o.tag == tag for o in self.stack):
            return  # a stray end tag
        end = self.position()
        while self.stack:  # unclosed elements inside it end with it
            closed = self.stack.pop()
            self.close_element(closed, end)
            if closed.tag == tag:
                break

    def close_element(self, closed: _Open, end: int) -> None:
        if closed.text_start is None:
            return
        parent = next((o.item for o in reversed(self.stack) if o.item is not None), None)
        if parent is not None:
            parent.add(closed.props, self.source[closed.text_start : end])

    def handle_data(self, data: str) -> None:
        if self.script_line is not None:
            self.script_parts.append(data)
        elif self.title_parts is not None:
            self.title_parts.append(data)

    def close_all(self) -> None:
        end = len(self.source)
        while self.stack:
            self.close_element(self.stack.pop(), end)


def _local_name(type_name: str) -> str:
    """``https://schema.org/FAQPage`` -> ``FAQPage``."""
    return type_name.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return {_local_name(name) for name in names if isinstance(name, str)}


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, at any depth (iteratively: depth is the page's)."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(reversed(value))
        elif isinstance(value, dict):
            yield value
            pending.extend(reversed(list(value.values())))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any) -> str:
    """A JSON-LD text value: a string, or the first string of a list or ``@value`` object."""
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("@value")
        if isinstance(item, str):
            return item
    return ""


def _script_documents(path: Path | str, scripts: list[tuple[int, str]]) -> list[Any]:
    documents = []
    for line, text in scripts:
        if not text.strip():
            continue
        try:
            documents.append(json.loads(text))
        except json.JSONDecodeError as exc:
            raise CorpusError(
                path, line, f"malformed JSON-LD (line {exc.lineno} of the script): {exc.msg}"
            ) from None
        except RecursionError:
            raise CorpusError(path, line, "JSON-LD nested too deeply") from None
    return documents


def _jsonld_collection(
    nodes: list[dict[str, Any]], scripts: list[tuple[int, str]]
) -> RawCollection | None:
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    pages = [node for node in nodes if "FAQPage" in _types(node)]
    if not pages:
        return None
    entries = []
    for page in pages:
        for question in _as_list(page.get("mainEntity")):
            if not isinstance(question, dict):
                continue
            question = _resolve(question, by_id)
            answers = _as_list(question.get("acceptedAnswer")) or _as_list(
                question.get("suggestedAnswer")
            )
            answer = _resolve(answers[0], by_id) if answers and isinstance(answers[0], dict) else {}
            name = _one_line(_text(question.get("name")))
            entries.append(
                RawEntry(
                    line=_line_of(name, scripts),
                    question=name,
                    answer=html_to_text(_text(answer.get("text"))),
                )
            )
    return RawCollection(entries=entries)


def _resolve(node: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A bare ``{"@id": ...}`` reference as the node it names."""
    reference = node.get("@id")
    return by_id.get(reference, node) if len(node) == 1 and isinstance(reference, str) else node


def _heading(nodes: list[dict[str, Any]]) -> tuple[str, str]:
    """Title and summary from JSON-LD: an article's headline first, else the page's name."""
    articles = [node for node in nodes if _types(node) & _ARTICLE_TYPES]
    pages = [node for node in nodes if _types(node) & _PAGE_TYPES]
    titles = (_one_line(_text(n.get("headline")) or _text(n.get("name"))) for n in articles)
    titles = (t for t in (*titles, *(_one_line(_text(n.get("name"))) for n in pages)) if t)
    summaries = (_one_line(_text(n.get("description"))) for n in articles + pages)
    return next(titles, ""), next((s for s in summaries if s), "")


def _line_of(question: str, scripts: list[tuple[int, str]]) -> int:
    """The line of the question's text within its script, else the first script's line."""
    needle = json.dumps(question)[1:-1]
    for line, text in scripts:
        found = text.find(needle)
        if found >= 0:
            return line + text.count("\n", 0, found)
    return scripts[0][0] if scripts else 0


def _microdata_collection(parser: _PageParser) -> RawCollection | None:
    pages = [item for item in parser.items if "FAQPage" in item.types]
    if not pages:
        return None
    entries = []
    for page in pages:
        for question in page.props.get("mainEntity", []):
            if not isinstance(question, _Item):
                continue
            names = question.props.get("name", [])
            answers = question.props.get("acceptedAnswer") or question.props.get(
                "suggestedAnswer", []
            )
            answer = next((a for a in answers if isinstance(a, _Item)), None)
            texts = answer.props.get("text", []) if answer is not None else []
            name = next((n for n in names if isinstance(n, str)), "")
            text = next((t for t in texts if isinstance(t, str)), "")
            entries.append(
                RawEntry(line=question.line, question=_one_line(name), answer=html_to_text(text))
            )
    return RawCollection(entries=entries)


def parse_faqpage(text: str, path: Path | str) -> RawCollection:
    """The FAQPage of an HTML page's text; ``path`` names it in errors."""
    parser = _PageParser(text)
    parser.feed(text)
    parser.close()
    parser.close_all()
    documents = _script_documents(path, parser.scripts)
    nodes = [node for document in documents for node in _nodes(document)]
    found = _jsonld_collection(nodes, parser.scripts) or _microdata_collection(parser)
    if found is None:
        raise CorpusError(path, None, _NO_FAQPAGE)
    title, summary = _heading(nodes)
    found.title = title or parser.title or None
    found.summary = summary or _one_line(parser.description)
    return found


def read_faqpage(path: Path) -> RawCollection:
    """Read a saved web page's schema.org FAQPage (JSON-LD, else microdata)."""
    size = path.stat().st_size
    if size > MAX_PAGE_BYTES:
        raise CorpusError(
            path, None, f"page of {size:,} bytes; HTML corpus files are limited to 5 MB"
        )
    return parse_faqpage(read_text(path), path)


def faqpage_jsonld(collection: Collection, language: str | None = None) -> dict[str, Any]:
    """A collection as schema.org FAQPage JSON-LD, in ``language`` where translated.

    Texts are HTML-escaped (an Answer's ``text`` is HTML) and an answer's line breaks are
    ``<br>``, so reading the page back gives the same questions and answers.
    """
    heading = collection.title_in(language)
    questions = []
    for entry in collection.entries:
        translated = entry.translation(heading.language)
        question = translated.question if translated is not None else entry.question
        answer = translated.answer if translated is not None else entry.answer
        questions.append(
            {
                "@type": "Question",
                "name": html_lib.escape(question, quote=False),
                "acceptedAnswer": {
                    "@type": "Answer",
                    "text": html_lib.escape(answer, quote=False).replace("\n", "<br>"),
                },
            }
        )
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "name": heading.title,
        "description": heading.summary,
        "inLanguage": heading.language,
        "mainEntity": questions,
    }
