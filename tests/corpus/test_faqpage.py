"""schema.org FAQPage in (the ``.html`` reader) and out (the ``/faqpage`` route)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from askbot.api import create_app
from askbot.corpus import load_corpus
from askbot.corpus.faqpage import faqpage_jsonld, html_to_text, read_faqpage
from askbot.errors import CorpusError
from tests.conftest import DATA, SEED_CORPUS, FakeEmbedder, built_api_settings

NEWS_PAGE = DATA / "faqpage" / "interest-rates-explainer.html"


def page(head: str, body: str = "") -> str:
    return f"<!DOCTYPE html>\n<html><head>\n{head}\n</head><body>\n{body}\n</body></html>\n"


def ld(data: Any) -> str:
    # "<" escaped so no "</script>" in a text can end the script early.
    text = json.dumps(data).replace("<", "\\u003c")
    return f'<script type="application/ld+json">{text}</script>'


def question(name: str, text: str) -> dict[str, Any]:
    return {"@type": "Question", "name": name, "acceptedAnswer": {"@type": "Answer", "text": text}}


def write(tmp_path: Path, text: str, name: str = "page.html") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_saved_news_page_reads_with_its_headline_summary_and_plain_answers() -> None:
    raw = read_faqpage(NEWS_PAGE)
    assert raw.title == "Why is the central bank raising rates again?"
    assert raw.summary.startswith("The central bank lifted its key rate by a quarter point")
    assert [e.question for e in raw.entries][:2] == [
        "Why did the central bank raise rates?",
        "How much more will my mortgage cost?",
    ]
    assert len(raw.entries) == 5
    assert raw.entries[0].answer == (
        "Inflation has stayed above the 2 % target for three years.\n\n"
        "The bank says a higher rate cools borrowing & spending."
    )
    assert (
        raw.entries[1].answer.splitlines()[1]
        == "Fixed-rate loans change only when they are renewed."
    )
    lines = NEWS_PAGE.read_text(encoding="utf-8").splitlines()
    assert all(e.question in lines[e.line - 1] for e in raw.entries)  # the question's own line


def test_json_ld_as_a_list_with_a_type_list(tmp_path: Path) -> None:
    data = [
        {"@context": "https://schema.org", "@type": "Organization", "name": "The Ledger"},
        {
            "@context": "https://schema.org",
            "@type": ["WebPage", "FAQPage"],
            "name": "Passport help",
            "description": "How to get a passport.",
            "mainEntity": [question("How long does it take?", "Three weeks.")],
        },
    ]
    raw = read_faqpage(write(tmp_path, page(f"<title>Ignored</title>\n{ld(data)}")))
    assert (raw.title, raw.summary) == ("Passport help", "How to get a passport.")
    assert [(e.question, e.answer) for e in raw.entries] == [
        ("How long does it take?", "Three weeks.")
    ]


def test_json_ld_graph_with_referenced_questions(tmp_path: Path) -> None:
    data = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "FAQPage", "mainEntity": [{"@id": "#q1"}]},
            {"@id": "#q1", **question("What changed?", "The fee went up.")},
        ],
    }
    head = f'<title>Fees &amp; forms</title><meta name="description" content="All about fees.">{ld(data)}'
    raw = read_faqpage(write(tmp_path, page(head)))
    assert (raw.title, raw.summary) == ("Fees & forms", "All about fees.")
    assert [(e.question, e.answer) for e in raw.entries] == [("What changed?", "The fee went up.")]


MICRODATA = """
<div itemscope itemtype="https://schema.org/FAQPage">
  <div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question">
    <h3 itemprop="name">Who can apply?</h3>
    <div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer">
      <div itemprop="text"><p>Any citizen&nbsp;over 16.</p><p>Minors<br>with a parent.</p></div>
    </div>
  </div>
  <div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question">
    <meta itemprop="name" content="Is there a fee?">
    <div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer">
      <span itemprop="text">Yes: <b>60</b> euros.<script>alert("leak")</script></span>
    </div>
  </div>
</div>
"""


def test_microdata_page(tmp_path: Path) -> None:
    path = write(tmp_path, page("<title>Passports</title>", MICRODATA))
    raw = read_faqpage(path)
    assert raw.title == "Passports"
    assert [(e.question, e.answer) for e in raw.entries] == [
        ("Who can apply?", "Any citizen over 16.\n\nMinors\nwith a parent."),
        ("Is there a fee?", "Yes: 60 euros."),
    ]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert 'itemtype="https://schema.org/Question"' in lines[raw.entries[0].line - 1]


def test_json_ld_wins_over_microdata(tmp_path: Path) -> None:
    head = ld({"@type": "FAQPage", "mainEntity": question("From JSON-LD?", "Yes.")})
    raw = read_faqpage(write(tmp_path, page(head, MICRODATA)))
    assert [e.question for e in raw.entries] == ["From JSON-LD?"]


def test_html_in_answers_becomes_plain_text_without_script_content(tmp_path: Path) -> None:
    text = (
        '<p>Fill in <a href="/p1">form&nbsp;P1</a> &amp; bring   a photo.</p>'
        "<script>steal()</script><style>p{color:red}</style>"
        "<ul><li>ID card</li><li>Old passport</li></ul>&lt;b&gt; stays literal"
    )
    head = ld({"@type": "FAQPage", "mainEntity": [question("What do I <i>bring</i>?", text)]})
    entry = read_faqpage(write(tmp_path, page(head))).entries[0]
    assert entry.question == "What do I bring?"
    assert entry.answer.splitlines()[0] == "Fill in form P1 & bring a photo."
    assert "ID card" in entry.answer and "Old passport" in entry.answer
    assert "<b> stays literal" in entry.answer
    assert "steal" not in entry.answer and "color" not in entry.answer
    assert html_to_text("a<br/>b") == "a\nb"


def test_a_page_without_faqpage_is_an_error_naming_the_file(tmp_path: Path) -> None:
    head = ld({"@type": "NewsArticle", "headline": "No FAQ here"})
    path = write(tmp_path, page(f"<title>News</title>{head}", "<p>Just news.</p>"))
    with pytest.raises(CorpusError, match=r"no schema.org FAQPage \(JSON-LD or microdata\)") as exc:
        read_faqpage(path)
    assert exc.value.path == path


def test_malformed_json_ld_names_the_file_and_the_script_line(tmp_path: Path) -> None:
    text = page(
        '<title>Broken</title>\n\n<script type="application/ld+json">\n{"@type": "FAQPage",,}\n</script>'
    )
    path = write(tmp_path, text)
    with pytest.raises(CorpusError, match="malformed JSON-LD") as exc:
        read_faqpage(path)
    assert exc.value.path == path and exc.value.line == 5
    assert str(exc.value).startswith(f"{path}:5: ")


def test_an_oversized_page_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, page("<title>Big</title>", "x" * (5 * 1024 * 1024 + 1)))
    with pytest.raises(CorpusError, match="limited to 5 MB"):
        read_faqpage(path)


def test_a_corpus_folder_with_an_html_page_loads(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    shutil.copy(NEWS_PAGE, corpus / NEWS_PAGE.name)
    collections = {c.id: c for c in load_corpus(corpus).collections}
    news = collections["interest-rates-explainer"]
    assert news.title == "Why is the central bank raising rates again?"
    assert news.summary.startswith("The central bank lifted its key rate")
    assert len(news.entries) == 5 and news.entries[0].source == NEWS_PAGE.name
    assert len(collections) >= 2  # the seed collections still load beside it


def test_faqpage_json_ld_round_trips_through_the_reader(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, corpus)
    for collection in load_corpus(corpus).collections:
        data = faqpage_jsonld(collection)
        path = write(tmp_path, page(ld(data)), f"{collection.id}.html")
        raw = read_faqpage(path)
        assert (raw.title, raw.summary) == (collection.title, collection.summary)
        assert [(e.question, e.answer) for e in raw.entries] == [
            (e.question, e.answer) for e in collection.entries
        ]


def test_the_faqpage_route_serves_json_ld_that_reads_back(tmp_path: Path) -> None:
    settings = built_api_settings(tmp_path)
    with TestClient(
        base_url="http://localhost", app=create_app(settings, embedder=FakeEmbedder())
    ) as client:
        response = client.get("/v1/collections/passports/faqpage")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json")
        data = response.json()
        assert (data["@context"], data["@type"]) == ("https://schema.org", "FAQPage")
        assert data["mainEntity"][0]["@type"] == "Question"
        assert data["mainEntity"][0]["acceptedAnswer"]["@type"] == "Answer"
        detail = client.get("/v1/collections/passports").json()
        missing = client.get("/v1/collections/nope/faqpage")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "unknown_collection"
    assert data["name"] == detail["title"] and data["description"] == detail["summary"]
    raw = read_faqpage(write(tmp_path, page(ld(data))))
    original = next(c for c in load_corpus(settings.corpus_dir).collections if c.id == "passports")
    assert [(e.question, e.answer) for e in raw.entries] == [
        (e.question, e.answer) for e in original.entries
    ]
