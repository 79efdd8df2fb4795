"""End-to-end tests of the chat widget in headless Debian Chromium against a real `askbot serve`.

Needs: Debian's `chromium` (/usr/bin/chromium, never a downloaded browser), Python Playwright, and
axe-core from npm (`npm ci` at the repo root puts it in node_modules/). `live_server` is the base
URL (no trailing slash) of a running `askbot serve` on loopback, serving the seed corpus.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from askbot.store import Journal
from tests.api.conftest import AXE_JS
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
XSS = "<img src=x onerror=alert(1)>"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# Phrases that occur in exactly one answer of the seed corpus.
HISTORY = "colonial past"
PROMPTED = "pragmatic shift"
ALLIANCE = "broader regional alliance"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: a temporary folder, or ``ASKBOT_SCREENSHOTS`` (scripts/screenshots.py
    points it at docs/)."""
    chosen = os.environ.get("ASKBOT_SCREENSHOTS")
    return Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")


def new_page(browser: Browser, viewport: dict[str, int]) -> Page:
    """A fresh context (empty sessionStorage) with axe-core preloaded.

    axe goes in as an init script: the demo page's CSP (script-src 'self') blocks the inline
    <script> that page.add_script_tag would insert, while init scripts bypass page CSP.
    """
    ctx = browser.new_context(viewport=viewport)
    ctx.add_init_script(path=str(AXE_JS))
    return ctx.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page."""
    pg = new_page(browser, DESKTOP)
    yield pg
    pg.context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A 360 px wide phone-sized page."""
    pg = new_page(browser, PHONE)
    yield pg
    pg.context.close()


def collection_id(live_server: str) -> str:
    """The collection the demo page embeds, read from its script tag."""
    html = httpx.get(live_server + "/").text
    match = re.search(r'<script[^>]*\sdata-collection="([^"]+)"', html)
    assert match, "demo page has no data-collection"
    return match.group(1)


def open_widget(page: Page, live_server: str, collection: str | None = None) -> None:
    """Load the demo page (optionally for another collection) and open the panel."""
    page.goto(live_server + "/" + (f"?collection={collection}" if collection else ""))
    page.get_by_role("button", name="Ask a question").click()
    expect(page.get_by_role("group", name="Suggested questions")).to_be_visible()


def ask(page: Page, text: str) -> None:
    """Type a question and press Enter."""
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")


def shadow_eval(page: Page, expr: str) -> Any:
    """Evaluate `expr` with `root` bound to the widget's shadow root."""
    root = "document.querySelector('askbot-widget').shadowRoot"
    return page.evaluate(f"(() => {{ const root = {root}; return {expr}; }})()")


def serious_axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations of impact serious or critical."""
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
            .violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                   targets: v.nodes.map(n => n.target)}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def find_clarifying_message(live_server: str, collection: str) -> tuple[str, list[dict[str, Any]]]:
    """A message that the real engine answers with `clarify`, and its alternatives."""
    for text in ["passport form", "relations", "security", "ties", "China", "cooperation"]:
        body = httpx.post(
            live_server + "/v1/chat", json={"message": text, "collection": collection}
        ).json()
        if body["decision"] == "clarify":
            return text, body["alternatives"]
    pytest.fail("no candidate message led to a clarify: extend the list for this corpus")


def test_demo_page_offers_the_collection_questions(page: Page, live_server: str) -> None:
    coll = collection_id(live_server)
    questions = httpx.get(f"{live_server}/v1/collections/{coll}").json()["questions"]
    open_widget(page, live_server)
    chips = page.get_by_role("group", name="Suggested questions").get_by_role("button")
    expect(chips).to_have_text([q["question"] for q in questions][:8])
    expect(page.get_by_role("heading", level=1)).not_to_be_empty()


def test_clicking_a_suggestion_answers_it(page: Page, live_server: str) -> None:
    open_widget(page, live_server)
    page.get_by_role("button", name=re.compile("historical tensions")).click()
    log = page.get_by_role("log")
    expect(log).to_contain_text(HISTORY)
    expect(
        page.get_by_role("group", name="Related questions").get_by_role("button").first
    ).to_be_visible()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()


def test_typed_question_gets_the_right_answer(
    page: Page, live_server: str, screenshots: Path
) -> None:
    open_widget(page, live_server)
    ask(page, "Why are South Korea and Japan strengthening their ties now?")
    send = page.get_by_role("button", name="Send")
    expect(page.get_by_role("log")).to_contain_text(PROMPTED)
    expect(send).to_be_enabled()  # re-enabled once the reply is in
    page.screenshot(path=str(screenshots / "widget-desktop.png"))


def test_small_talk_is_shown_with_questions_to_try(page: Page, live_server: str) -> None:
    open_widget(page, live_server)
    ask(page, "hello!")
    expect(page.get_by_role("log")).to_contain_text("Hello! I answer questions about this article.")
    chips = page.get_by_role("group", name="Questions I can answer").get_by_role("button")
    expect(chips.first).to_be_visible()
    chips.first.click()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()


def test_clarify_alternatives_are_buttons_that_answer(page: Page, live_server: str) -> None:
    # The passports collection has two entries a vague question cannot separate.
    coll = "passports"
    text, alternatives = find_clarifying_message(live_server, coll)
    open_widget(page, live_server, coll)
    ask(page, text)
    buttons = page.get_by_role("group", name="Choose one").get_by_role("button")
    expect(buttons).to_have_text([a["question"] for a in alternatives][:8])
    buttons.first.click()
    chosen = httpx.post(
        live_server + "/v1/chat", json={"message": alternatives[0]["question"], "collection": coll}
    ).json()
    assert chosen["decision"] == "answer"
    expect(page.get_by_role("log")).to_contain_text(chosen["answer"]["text"])


def test_feedback_is_sent_stored_and_acknowledged(page: Page, live_server: LiveServer) -> None:
    open_widget(page, live_server)
    page.get_by_role("button", name=re.compile("broader alliance")).click()
    expect(page.get_by_role("log")).to_contain_text(ALLIANCE)
    with page.expect_response(lambda r: r.url.endswith("/v1/feedback")) as info:
        page.get_by_role("button", name="Not helpful").click()
    response = info.value
    assert response.status == 200 and response.json()["ok"] is True
    sent = response.request.post_data_json
    assert sent["helpful"] is False and sent["answer_id"] and sent["session_id"]
    expect(page.get_by_role("log")).to_contain_text("feedback was recorded")
    journal = Journal(live_server.db_path)
    try:
        stored = journal.feedback(helpful=False)
    finally:
        journal.close()
    assert any(
        f.answer_id == sent["answer_id"] and f.session_id == sent["session_id"] for f in stored
    )


def test_keyboard_only_flow(browser: Browser, live_server: str) -> None:
    page = new_page(browser, DESKTOP)
    page.goto(live_server + "/")
    for _ in range(30):  # Tab until the launcher (inside the shadow root) has focus
        page.keyboard.press("Tab")
        if shadow_eval(page, "root.activeElement?.getAttribute('aria-expanded')") is not None:
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    outline = shadow_eval(page, "getComputedStyle(root.activeElement).outlineStyle")
    assert outline != "none", "the focused launcher shows no focus ring"
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Suggested questions")).to_be_visible()
    assert shadow_eval(page, "root.activeElement?.id") == "askbot-q"  # focus went to the input
    page.keyboard.type("Could this lead to a broader alliance in Asia?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log")).to_contain_text(ALLIANCE)
    page.keyboard.press("Shift+Tab")  # from the input back to the last related question
    picked = shadow_eval(page, "root.activeElement?.textContent")
    assert picked and picked.endswith("?")
    page.keyboard.press("Enter")
    expect(page.get_by_role("log").get_by_text(picked, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert shadow_eval(page, "root.activeElement?.getAttribute('aria-expanded')") == "false"
    page.context.close()


def test_markup_in_messages_shows_literally(page: Page, live_server: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_widget(page, live_server)
    ask(page, XSS)
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.get_by_role("log").get_by_text(XSS, exact=True)).to_be_visible()
    assert shadow_eval(page, "root.querySelectorAll('img').length") == 0
    assert dialogs == []  # the onerror handler never ran


def test_conversation_survives_a_reload(page: Page, live_server: str) -> None:
    open_widget(page, live_server)
    page.get_by_role("button", name=re.compile("historical tensions")).click()
    expect(page.get_by_role("log")).to_contain_text(HISTORY)
    page.reload()
    expect(page.get_by_role("log")).to_contain_text(HISTORY)  # reopened with its history
    ask(page, "tell me more")  # same session: the server sees the earlier turn
    expect(page.get_by_role("button", name="Send")).to_be_enabled()


def test_network_error_and_429_offer_a_retry(page: Page, live_server: str) -> None:
    open_widget(page, live_server)
    page.route("**/v1/chat", lambda route: route.abort())
    ask(page, "What prompted South Korea and Japan to strengthen ties now?")
    expect(page.get_by_role("log")).to_contain_text("can’t reach")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    page.unroute("**/v1/chat")
    page.route(
        "**/v1/chat",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "3", "Access-Control-Expose-Headers": "Retry-After"},
            json={"error": {"code": "rate_limited", "message": "Too many requests."}},
        ),
    )
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("log")).to_contain_text("wait 3 seconds")
    page.unroute("**/v1/chat")
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("log")).to_contain_text(PROMPTED)


def test_phone_layout(phone: Page, live_server: str, screenshots: Path) -> None:
    open_widget(phone, live_server)
    phone.get_by_role("button", name=re.compile("historical tensions")).click()
    expect(phone.get_by_role("log")).to_contain_text(HISTORY)
    box = phone.get_by_role("dialog").bounding_box()
    assert box and box["x"] == 0 and box["width"] == PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(phone.get_by_label("Your question")).to_be_in_viewport()
    phone.screenshot(path=str(screenshots / "widget-phone.png"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_violations(
    browser: Browser, live_server: str, viewport: dict[str, int]
) -> None:
    page = new_page(browser, viewport)
    page.goto(live_server + "/")
    assert serious_axe_violations(page) == []  # the article page with the closed launcher
    page.get_by_role("button", name="Ask a question").click()
    page.get_by_role("button", name=re.compile("historical tensions")).click()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    assert serious_axe_violations(page) == []
    page.context.close()
