"""An editor at the desk in Chromium: sign in, find a fallen-back question, teach it, see the
widget answer it without a restart, undo; the views pass axe, work by keyboard and at 360 px."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from askbot.api.security import hash_key
from tests.api.test_widget import DESKTOP, PHONE, ask, new_page, open_widget, serious_axe_violations
from tests.conftest import DATA, wait_for
from tests.servers import Server, running_server

KEY = "editor-desk-key-0123456789abcdef"
DOG = "the dog ate my travel papers"  # falls back; means the lost-passport entry
SELFIE = "can I use a selfie for my passport photo?"  # falls back; the FAQ does not say
LOST_ANSWER = "Report the loss, then fill in form P3."
# Where the tests leave the desk's screenshots (scripts/screenshots.py puts them in docs/).
SHOTS = Path(os.environ.get("ASKBOT_SCREENSHOTS", "/tmp/askbot-screenshots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("desk")
    shutil.copytree(DATA / "corpus_api", root / "corpus")
    with running_server(
        root, workers=1, admin_key_hash=hash_key(KEY), rate_limit="", reload_poll_seconds="0.2"
    ) as running:
        yield running


def asked(server: Server, message: str) -> dict:  # type: ignore[type-arg]
    body = {"message": message, "collection": "passports"}
    return httpx.post(f"{server.url}/v1/chat", json=body, timeout=30).json()  # type: ignore[no-any-return]


def sign_in(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/admin")  # not signed in: sent to the form
    page.get_by_label("Admin key").fill(KEY)
    page.get_by_label("Admin key").press("Enter")  # by keyboard
    expect(page.get_by_role("heading", name="askbot editors' desk")).to_be_visible()


def test_an_editor_teaches_a_fallen_back_question_and_undoes_it(
    browser: Browser, server: Server
) -> None:
    reader = new_page(browser, DESKTOP)
    open_widget(reader, server.url, "passports")
    ask(reader, DOG)
    expect(reader.get_by_text("I don't know", exact=False).last).to_be_visible()
    reader.context.close()

    editor = new_page(browser, DESKTOP)
    sign_in(editor, server)
    assert serious_axe_violations(editor) == []
    # The overview counts the reader's question: today, one fallback.
    today = time.strftime("%Y-%m-%d", time.gmtime())
    editor.get_by_text("Numbers").first.click()
    daily = editor.get_by_role("table", name="Questions per day, by decision")
    expect(daily.get_by_role("row", name=today)).to_have_text(f"{today}001")
    group = editor.get_by_role("article", name=f"“{DOG}”")
    expect(group).to_be_visible()
    wording = group.get_by_label("Add as another wording of")
    expect(wording).to_have_value(
        asked(server, "how do I replace a lost passport?")["answer"]["id"]
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    editor.screenshot(path=str(SHOTS / "desk-desktop.png"), full_page=True)
    group.get_by_role("button", name="Add wording").press("Enter")  # by keyboard
    expect(editor.get_by_role("status")).to_contain_text("Taught")

    assert wait_for(lambda: asked(server, DOG)["decision"] == "answer", 60)  # no restart
    reader = new_page(browser, DESKTOP)
    open_widget(reader, server.url, "passports")
    ask(reader, DOG)
    expect(reader.get_by_text(LOST_ANSWER)).to_be_visible()
    reader.context.close()

    editor.get_by_role("button", name=f"Undo: {DOG}").click()
    expect(editor.get_by_role("status")).to_contain_text("Undone")
    assert wait_for(lambda: asked(server, DOG)["decision"] == "fallback", 60)
    editor.context.close()


def test_the_desk_reads_at_360_px_and_by_keyboard(browser: Browser, server: Server) -> None:
    phone = new_page(browser, PHONE)
    phone.goto(f"{server.url}/admin/login")
    assert serious_axe_violations(phone) == []
    phone.keyboard.press("Tab")  # the key field is the first stop
    phone.keyboard.type(KEY)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="What to fix")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the desk scrolls sideways at 360 px ({width} px)"
    assert serious_axe_violations(phone) == []
    phone.screenshot(path=str(SHOTS / "desk-phone.png"), full_page=True)
    phone.context.close()


def test_an_editor_sees_a_readers_pick_and_dismisses_a_group(
    browser: Browser, server: Server
) -> None:
    unsure = asked(server, "renew or replace passport")
    assert unsure["decision"] == "clarify"
    body = {"message": "2", "session_id": unsure["session_id"], "collection": "passports"}
    picked = httpx.post(f"{server.url}/v1/chat", json=body, timeout=30).json()
    assert picked["via"] == "clarification"
    assert asked(server, SELFIE)["decision"] == "fallback"

    editor = new_page(browser, DESKTOP)
    sign_in(editor, server)
    pick = editor.get_by_role("article", name=f"Picked “{picked['answer']['question']}”")
    expect(pick).to_contain_text("renew or replace passport")
    assert serious_axe_violations(editor) == []
    group = editor.get_by_role("article", name=f"“{SELFIE}”")
    group.get_by_role("button", name=f"Dismiss: {SELFIE}").press("Enter")  # by keyboard
    expect(editor.get_by_role("status")).to_contain_text("Dismissed")
    expect(editor.get_by_role("article", name=f"“{SELFIE}”")).to_have_count(0)
    expect(editor.get_by_role("table", name="Groups dismissed, newest first")).to_be_visible()
    assert serious_axe_violations(editor) == []
    editor.get_by_role("button", name=f"Undo dismissal: {SELFIE}").click()
    expect(editor.get_by_role("article", name=f"“{SELFIE}”")).to_be_visible()
    editor.context.close()
