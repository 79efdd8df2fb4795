"""Tests of the dialogue evaluation: the file format, how a turn is judged, and a real
conversation judged turn by turn (the real model, on a development article)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from askbot.config import Settings
from askbot.conversation import Reply
from askbot.corpus import load_collection
from askbot.embed import Embedder
from askbot.errors import CorpusError
from askbot.evaluate.dialogues import (
    DIALOGUES_SUFFIX,
    SMALL_TALK,
    converse,
    dialogues_of_collection,
    judge,
    load_dialogues,
)
from askbot.retrieve import Alternative, Decision, Match
from askbot.service import in_memory_service
from tests.conftest import REPO

ARTICLES = REPO / "docs" / "eval" / "dev-articles"
RAIL = ARTICLES / "rail-strike.md"
WHY = "Why are the drivers striking?"
REFUND = "Can I get a refund for my ticket?"


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def test_dialogues_load_with_their_labels(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "d.jsonl",
        {"turns": [["hi", SMALL_TALK], ["why the strike?", WHY]]},
        {"turns": [["who won the cup?", None]]},
    )
    assert load_dialogues(path, [WHY]) == [
        [("hi", SMALL_TALK), ("why the strike?", WHY)],
        [("who won the cup?", None)],
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"turns": [["why?", "Why are the pilots striking?"]]}, "is no question of the FAQ"),
        ({"turns": [["why?"]]}, "a turn must be [message, label]"),
        ({"turns": []}, "non-empty list"),
        ({"dialogue": [["why?", WHY]]}, "non-empty list"),
    ],
)
def test_a_malformed_dialogue_names_its_file_and_line(
    tmp_path: Path, line: object, reason: str
) -> None:
    path = write_lines(tmp_path / "d.jsonl", {"turns": [["hi", SMALL_TALK]]}, line)
    with pytest.raises(CorpusError, match=re.escape(reason)) as raised:
        load_dialogues(path, [WHY])
    assert raised.value.path == path and raised.value.line == 2


def test_every_development_dialogue_names_questions_of_its_faq() -> None:
    faqs = sorted(ARTICLES.glob("*.md"))
    assert len(list(ARTICLES.glob(f"*{DIALOGUES_SUFFIX}"))) == 2 * len(faqs)
    for faq in faqs:
        questions = [e.question for e in load_collection(faq).entries]
        for kind in ("", ".multilingual"):  # English, and the other languages
            assert load_dialogues(faq.with_suffix(kind + DIALOGUES_SUFFIX), questions)


def reply(
    decision: Decision, answered: str | None = None, offered: str = "", via: str = "search"
) -> Reply:
    match = Match("e1", answered, "an answer", "rail-strike") if answered else None
    options = [Alternative("e2", offered, 0.4, 0.5)] if offered else []
    return Reply(decision, 0.5, match, options, [], "", "", via)


@pytest.mark.parametrize(
    ("said", "label", "expected"),
    [
        (reply(Decision.ANSWER, WHY), WHY, (True, True)),
        (reply(Decision.ANSWER, REFUND), WHY, (False, False)),
        (reply(Decision.CLARIFY, offered=WHY), WHY, (False, True)),
        (reply(Decision.CLARIFY, offered=REFUND), WHY, (False, False)),
        (reply(Decision.FALLBACK), None, (True, True)),
        (reply(Decision.ANSWER, WHY), None, (False, False)),
        (reply(Decision.FALLBACK, via="small-talk"), SMALL_TALK, (True, True)),
        (reply(Decision.FALLBACK, via="small-talk"), None, (False, False)),
        (reply(Decision.FALLBACK), SMALL_TALK, (False, False)),
    ],
)
def test_a_turn_is_right_when_the_reply_does_what_it_means(
    said: Reply, label: str | None, expected: tuple[bool, bool]
) -> None:
    assert judge(said, label) == expected


def test_a_conversation_is_judged_turn_by_turn(embedder: Embedder, tmp_path: Path) -> None:
    # The article's file served as askbot serve would (English space only, to stay quick).
    settings = Settings(index_dir=tmp_path / "index", multilingual=False)
    conversation = in_memory_service(RAIL, settings, embedder).conversation
    dialogue = [
        ("hello", SMALL_TALK),
        ("why are the train drivers on strike?", WHY),
        ("can I get my money back?", REFUND),
        ("who won the world cup?", None),
        ("can I get my money back?", WHY),  # labelled wrong on purpose: must count as missed
    ]
    collection, dialogues = dialogues_of_collection(RAIL, ARTICLES / "rail-strike.dialogues.jsonl")
    assert collection == "rail-strike" and dialogues
    outcomes = converse(conversation, collection, [dialogue])
    assert outcomes.counts["turns"] == 5 and outcomes.counts["right"] == 4
    assert outcomes.counts["entry turns"] == 3 and outcomes.counts["entry right"] == 2
    [missed] = outcomes.missed
    assert missed.startswith(f"rail-strike: 'can I get my money back?' -> {REFUND} (search")
    assert outcomes.row("rail-strike").startswith("| rail-strike | 5 | 0.800 |")
