"""The texts each FAQ entry is embedded as, each with its kind.

An entry stands for its question, each alternate phrasing and question + answer; in an
article-sized collection (``SMALL_FAQ_ENTRIES``) also each sentence of its answer, since its
readers ask about one fact of an answer in words of their own. A multilingual index adds the
same texts of every translation.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

import sentencex

from askbot.corpus import Collection, FaqEntry


class VectorKind(IntEnum):
    """What text a vector was made from."""

    QUESTION = 0
    ALTERNATE = 1
    QUESTION_ANSWER = 2
    ANSWER_SENTENCE = 3  # one sentence of the answer (article-sized collections only)


# A collection of at most this many entries is article-sized: its answers are also embedded
# sentence by sentence, since its readers ask about one fact of an answer in words of their own.
SMALL_FAQ_ENTRIES = 50
# Shorter sentences ("Yes.", "Not yet.") say nothing without their question; counted in
# characters, since Chinese and Japanese put no spaces between words.
MIN_SENTENCE_CHARACTERS = 9


def sentence_languages(collections: Iterable[Collection]) -> dict[str, str]:
    """The language each article-sized collection's answers are split into sentences in."""
    return {c.id: c.language for c in collections if len(c.entries) <= SMALL_FAQ_ENTRIES}


def answer_sentences(answer: str, language: str) -> list[str]:
    """The sentences of an answer worth a vector of their own."""
    sentences = (s.strip() for s in sentencex.segment(language, answer))
    return [s for s in sentences if len(s) >= MIN_SENTENCE_CHARACTERS]


def entry_texts(entry: FaqEntry, sentences_in: str | None = None) -> list[tuple[VectorKind, str]]:
    """The texts embedded for one entry, each with its kind; ``sentences_in``: the language to
    split its answer into sentences in (None: not split)."""
    texts = [(VectorKind.QUESTION, entry.question)]
    texts += [(VectorKind.ALTERNATE, alternate) for alternate in entry.alternates]
    if entry.answer:  # intent-style sets have no answers; a bare question would count twice
        texts.append((VectorKind.QUESTION_ANSWER, f"{entry.question} {entry.answer}"))
        if sentences_in is not None:
            split = answer_sentences(entry.answer, sentences_in)
            texts += [(VectorKind.ANSWER_SENTENCE, sentence) for sentence in split]
    return texts


def multilingual_texts(
    entry: FaqEntry, sentences_in: str | None = None
) -> list[tuple[VectorKind, str]]:
    """The texts a multilingual encoder embeds: the entry's own and its translations'."""
    texts = entry_texts(entry, sentences_in)
    for translation in entry.translations:
        texts.append((VectorKind.ALTERNATE, translation.question))
        texts += [(VectorKind.ALTERNATE, alternate) for alternate in translation.alternates]
        texts.append((VectorKind.QUESTION_ANSWER, f"{translation.question} {translation.answer}"))
        if sentences_in is not None:
            split = answer_sentences(translation.answer, translation.language)
            texts += [(VectorKind.ANSWER_SENTENCE, sentence) for sentence in split]
    return texts


def embedded_fields(entry: FaqEntry, multilingual: bool) -> tuple[object, ...]:
    """What the texts an entry embeds are made of: entries with equal fields embed the same
    texts (a cheap comparison, where building the texts of 100k entries takes seconds)."""
    fields = (entry.question, entry.alternates, entry.answer)
    return (*fields, entry.translations) if multilingual else fields
