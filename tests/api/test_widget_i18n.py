"""The widget in the reader's language, in headless Debian Chromium against a real `askbot serve`.

Pages in other languages are the demo article with its ``<html lang>`` and widget tag rewritten,
served from the live server's origin (with its CSP) through Playwright's routing.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.api.test_widget import (
    DESKTOP,
    new_page,
    serious_axe_violations,
    shadow_eval,
)

pytestmark = pytest.mark.slow


def approx(x: float) -> Any:
    """Equal to ``x`` within a pixel (layout rounds)."""
    return pytest.approx(x, abs=1)


WIDGET_JS = Path(__file__).resolve().parents[2] / "src" / "askbot" / "web" / "widget.js"
LANGUAGES = {
    "en",
    "ar",
    "zh",
    "nl",
    "fr",
    "de",
    "it",
    "ja",
    "ko",
    "pl",
    "pt",
    "es",
    "th",
    "tr",
    "ru",
}
KO = {
    "launcher": "질문하기",
    "title": "이 기사에 대한 질문",
    "label": "질문",
    "placeholder": "질문을 입력하세요…",
    "send": "보내기",
    "close": "닫기",
    "suggested": "추천 질문",
    "helpful": "도움이 됨",
}
AR = {"launcher": "اطرح سؤالًا", "title": "أسئلة حول هذا المقال", "helpful": "مفيد"}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page."""
    pg = new_page(browser, DESKTOP)
    yield pg
    pg.context.close()


def open_article(
    page: Page, live_server: str, html_attrs: str, **widget: str | dict[str, str]
) -> None:
    """Load the demo article with ``<html {html_attrs}>`` and ``data-*`` attributes on its widget
    tag (``lang="de"`` becomes ``data-lang="de"``; a dict goes in as JSON)."""
    url = live_server + "/i18n-article"
    attrs = "".join(
        f' data-{name}="{html.escape(v if isinstance(v, str) else json.dumps(v), quote=True)}"'
        for name, v in widget.items()
    )

    def serve(route: Route) -> None:
        demo = route.fetch(url=live_server + "/")
        body = demo.text()
        assert body.count('<html lang="en">') == 1 and body.count('<script src="/widget.js"') == 1
        body = body.replace('<html lang="en">', f"<html {html_attrs}>".replace(" >", ">"))
        body = body.replace('<script src="/widget.js"', '<script src="/widget.js"' + attrs)
        route.fulfill(response=demo, body=body)  # keeps the demo page's headers, CSP included

    page.route(url, serve)
    page.goto(url)


def widget_root(page: Page, attr: str) -> Any:
    """An attribute of the widget's root element (inside the shadow root)."""
    return shadow_eval(page, f"root.querySelector('.w').getAttribute('{attr}')")


def direction(page: Page, selector: str) -> str:
    """The computed CSS direction of the last element matching ``selector`` in the widget."""
    found: str = shadow_eval(
        page, f"getComputedStyle([...root.querySelectorAll('{selector}')].at(-1)).direction"
    )
    return found


def built_in_strings(page: Page) -> dict[str, dict[str, str]]:
    """widget.js's STRINGS table, evaluated on a blank page."""
    source = WIDGET_JS.read_text()
    match = re.search(r"\n  const STRINGS = (\{\n.*?\n  \});\n", source, re.DOTALL)
    assert match, "widget.js has no STRINGS table"
    page.goto("about:blank")
    table: dict[str, dict[str, str]] = page.evaluate(
        "src => Function('return (' + src + ')')()", match.group(1)
    )
    return table


def test_every_language_has_every_key_the_widget_uses(page: Page) -> None:
    table = built_in_strings(page)
    assert set(table) == LANGUAGES
    keys = set(table["en"])
    source = WIDGET_JS.read_text()
    chip_labels = {"suggested", "related", "pick", "tryThese"}  # looked up as S[label]
    assert set(re.findall(r"\bS\.(\w+)", source)) | chip_labels | {"greeting"} <= keys
    for lang, strings in table.items():
        assert set(strings) == keys, lang
        assert all(isinstance(v, str) and v.strip() for v in strings.values()), lang
        assert "{s}" in strings["wait"], lang
        if lang != "en":
            for key in ("title", "launcher", "send", "greeting", "helpful", "offline"):
                assert strings[key] != table["en"][key], (lang, key)


def test_korean_page_shows_korean_strings_and_sends_its_language(
    page: Page, live_server: str
) -> None:
    with page.expect_request(re.compile(r"/v1/collections/")) as collection_read:
        open_article(page, live_server, 'lang="ko"')
        page.get_by_role("button", name=KO["launcher"]).click()
    assert collection_read.value.url.endswith("?lang=ko")
    expect(page.get_by_role("dialog", name=KO["title"])).to_be_visible()
    expect(page.get_by_role("heading", name=KO["title"])).to_be_visible()
    question = page.get_by_label(KO["label"], exact=True)
    expect(question).to_have_attribute("placeholder", KO["placeholder"])
    expect(page.get_by_role("button", name=KO["send"])).to_be_visible()
    expect(page.get_by_role("button", name=KO["close"])).to_be_visible()
    expect(page.get_by_role("log")).to_contain_text("안녕하세요!")
    assert widget_root(page, "lang") == "ko" and widget_root(page, "dir") == "ltr"
    chips = page.get_by_role("group", name=KO["suggested"]).get_by_role("button")
    with page.expect_request(re.compile(r"/v1/chat$")) as chat:
        chips.first.click()
    assert chat.value.post_data_json["lang"] == "ko"
    expect(page.get_by_role("button", name=KO["helpful"], exact=True)).to_be_visible()


@pytest.mark.parametrize(
    ("tag", "lang", "launcher"),
    [("ko-KR", "ko", "질문하기"), ("zh-Hant", "zh", "提问"), ("pt-BR", "pt", "Faça uma pergunta")],
)
def test_the_primary_subtag_picks_the_language(
    page: Page, live_server: str, tag: str, lang: str, launcher: str
) -> None:
    open_article(page, live_server, f'lang="{tag}"')
    expect(page.get_by_role("button", name=launcher)).to_be_visible()
    assert widget_root(page, "lang") == lang


def test_data_lang_beats_the_page_language(page: Page, live_server: str) -> None:
    open_article(page, live_server, 'lang="ko"', lang="de")
    page.get_by_role("button", name="Frage stellen").click()
    expect(page.get_by_role("heading", name="Fragen zu diesem Artikel")).to_be_visible()
    expect(page.get_by_role("button", name="Senden")).to_be_visible()
    assert widget_root(page, "lang") == "de"


def test_data_strings_override_one_key_of_a_korean_page(page: Page, live_server: str) -> None:
    open_article(page, live_server, 'lang="ko"', strings={"send": "전송"})
    page.get_by_role("button", name=KO["launcher"]).click()
    expect(page.get_by_role("button", name="전송")).to_be_visible()
    expect(page.get_by_role("button", name=KO["send"])).to_have_count(0)
    expect(page.get_by_role("heading", name=KO["title"])).to_be_visible()  # the rest stays Korean


def test_an_unknown_language_falls_back_to_english(page: Page, live_server: str) -> None:
    open_article(page, live_server, 'lang="xx"')
    page.get_by_role("button", name="Ask a question").click()
    expect(page.get_by_role("heading", name="Questions about this article")).to_be_visible()
    expect(page.get_by_label("Your question")).to_have_attribute(
        "placeholder", "Type your question…"
    )
    assert widget_root(page, "lang") == "en" and widget_root(page, "dir") == "ltr"
    page.get_by_role("group", name="Suggested questions").get_by_role("button").first.click()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()


@pytest.mark.parametrize("page_dir", ["", 'dir="rtl"'], ids=["lang-only", "rtl-page"])
def test_an_arabic_page_lays_the_widget_out_right_to_left(
    browser: Browser, page: Page, live_server: str, page_dir: str
) -> None:
    english = new_page(browser, DESKTOP)  # its own context: the open panel is not carried over
    english.goto(live_server + "/")
    english.get_by_role("button", name="Ask a question").click()
    en_launcher = english.get_by_role("button", name="Ask a question").bounding_box()
    en_panel = english.get_by_role("dialog").bounding_box()
    english.context.close()
    assert en_launcher and en_panel  # at the right, `gap` from the edge
    gap = DESKTOP["width"] - (en_launcher["x"] + en_launcher["width"])
    assert gap > 0 and DESKTOP["width"] - (en_panel["x"] + en_panel["width"]) == approx(gap)

    open_article(page, live_server, f'lang="ar" {page_dir}')
    launcher = page.get_by_role("button", name=AR["launcher"])
    launcher.click()
    dialog = page.get_by_role("dialog", name=AR["title"])
    expect(dialog).to_be_visible()
    assert widget_root(page, "lang") == "ar" and widget_root(page, "dir") == "rtl"
    assert direction(page, ".w") == "rtl"
    ar_launcher, ar_panel = launcher.bounding_box(), dialog.bounding_box()
    assert ar_launcher and ar_panel
    assert ar_launcher["x"] == approx(gap) and ar_panel["x"] == approx(gap)  # at the left
    heading = page.get_by_role("heading", name=AR["title"]).bounding_box()
    close = page.get_by_role("button", name="إغلاق").bounding_box()
    assert heading and close and close["x"] < heading["x"]  # the header reads right to left


def test_arabic_widget_shows_english_answers_left_to_right_and_passes_axe(
    page: Page, live_server: str
) -> None:
    open_article(page, live_server, 'lang="ar"')
    assert serious_axe_violations(page) == []  # the closed launcher
    page.get_by_role("button", name=AR["launcher"]).click()
    page.get_by_role("group", name="أسئلة مقترحة").get_by_role("button").first.click()
    expect(page.get_by_role("button", name=AR["helpful"], exact=True)).to_be_visible()
    assert direction(page, ".t p[dir=auto]") == "ltr"  # the English answer
    assert direction(page, ".u p[dir=auto]") == "ltr"  # the English question
    assert direction(page, ".fb") == "rtl"  # the widget's own Arabic line under it
    # Mirrored bubbles: the assistant speaks from the right, the reader from the left.
    mine = page.locator(".u").last.bounding_box()
    theirs = page.locator(".t").last.bounding_box()
    assert mine and theirs
    assert mine["x"] < theirs["x"] and mine["x"] + mine["width"] < theirs["x"] + theirs["width"]
    assert serious_axe_violations(page) == []


def test_a_language_note_shows_as_plain_text_under_the_answer(page: Page, live_server: str) -> None:
    note = "<b>영어</b>로 된 답변입니다."
    notes = iter([note, None])

    def with_note(route: Route) -> None:
        reply = route.fetch()
        body = reply.json()
        body["language"] = {"detected": "ko", "served": "en", "note": next(notes)}
        route.fulfill(response=reply, json=body)

    open_article(page, live_server, 'lang="ko"')
    page.route("**/v1/chat", with_note)
    page.get_by_role("button", name=KO["launcher"]).click()
    page.get_by_role("group", name=KO["suggested"]).get_by_role("button").first.click()
    expect(page.get_by_role("button", name=KO["helpful"], exact=True)).to_be_visible()
    shown = page.get_by_role("log").get_by_text(note, exact=True)
    expect(shown).to_be_visible()  # the markup shows literally
    assert shadow_eval(page, "root.querySelectorAll('.ln *').length") == 0
    muted = shadow_eval(
        page,
        "(() => { const n = root.querySelector('.ln'), a = n.previousElementSibling;"
        " const s = (e) => getComputedStyle(e);"
        " return {size: parseFloat(s(n).fontSize) < parseFloat(s(a).fontSize),"
        " color: s(n).color !== s(a).color, next: n.nextElementSibling.className,"
        " lang: a.getAttribute('lang')}; })()",
    )
    assert muted == {"size": True, "color": True, "next": "fb", "lang": "en"}

    page.get_by_role("group", name="관련 질문").get_by_role("button").first.click()
    expect(page.get_by_role("button", name=KO["helpful"], exact=True)).to_have_count(2)
    assert shadow_eval(page, "root.querySelectorAll('.ln').length") == 1  # no note, no line
