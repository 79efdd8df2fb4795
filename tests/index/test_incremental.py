"""index: a corpus change extends the last build's graph, and answers as a rebuild would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from askbot import service
from askbot.config import Settings
from askbot.embed import Embedder
from askbot.fit import fitting
from askbot.index import FaqIndex, entry_texts, incremental, load_index
from askbot.index.vector_cache import VECTORS_DIR
from askbot.retrieve import Retriever
from tests.conftest import DATA, SEED_ARTICLE

ARTICLE = DATA / "corpus_articles" / "riverside-mayoral-election.md"
TASKS = [
    "reset my password", "change my email address", "close my account", "update my card",
    "download an invoice", "add a team member", "export my data", "turn on two-factor login",
    "cancel my subscription", "change the billing plan", "recover a deleted file",
    "connect a calendar",
]  # fmt: skip
TEMPLATES = [
    "how do I {}", "how can I {}", "I want to {}", "help me {}", "steps to {}",
    "is it possible to {}", "where can I {}", "can you tell me how to {}", "I need to {}",
    "what is the way to {}", "trying to {}", "please {}", "show me how to {}",
]  # fmt: skip


def helpdesk_collection(path: Path) -> None:
    """A 12-entry collection with 13 phrasings each: it fits a phrasing classifier."""
    entries = [
        {
            "id": f"helpdesk-{number}",
            "question": f"How do I {task}?",
            "answer": f"Open Settings and follow the steps to {task}.",
            "alternates": [template.format(task) for template in TEMPLATES],
        }
        for number, task in enumerate(TASKS)
    ]
    path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED_ARTICLE, corpus)
    helpdesk_collection(corpus / "helpdesk.jsonl")
    # A tiny exact limit makes these few vectors an HNSW graph, the index extended in place.
    return Settings(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        db_path=tmp_path / "askbot.sqlite3",
        exact_search_limit=40,
    )


def rebuilt(settings: Settings, embedder: Embedder) -> FaqIndex:
    """What a build from scratch makes of the same corpus and vectors, in a folder of its own.

    The vectors are the cache's: encoded again in other batches they would differ in the
    sixth decimal, which says nothing about extending a build.
    """
    fresh = settings.index_dir.parent / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(settings.index_dir / VECTORS_DIR, fresh / VECTORS_DIR)
    built = service.build(settings.model_copy(update={"index_dir": fresh}), embedder=embedder)[1]
    assert built.manifest.extended_from == "" and built.manifest.vectors_encoded == 0
    return built


def answers(index: FaqIndex, embedder: Embedder) -> list[dict[str, object]]:
    """Every entry's question and two alternates asked of its own collection and of all, as
    the chat API would show the answers."""
    retriever = Retriever(index, embedder)
    return [
        retriever.ask(question, collection).to_dict()
        for entry in index.entries
        for question in (entry.question, *entry.alternates[:2])
        for collection in (entry.collection, None)
    ]


def test_adding_an_article_encodes_it_alone_and_answers_as_a_rebuild_would(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.build(settings, embedder=embedder)[1]
    assert first.manifest.index_type == "hnsw-fp16"
    assert "helpdesk" in first.manifest.classifiers
    refitted: list[list[str]] = []
    fit_classifiers = fitting.fit_classifiers

    def recorded(index: FaqIndex, collections: list[str]) -> object:
        refitted.append(list(collections))
        return fit_classifiers(index, collections)

    monkeypatch.setattr(fitting, "fit_classifiers", recorded)
    shutil.copy(ARTICLE, settings.corpus_dir)
    extended = service.build(settings, embedder=embedder)[1]

    manifest = extended.manifest
    assert manifest.extended_from == first.manifest.build_id
    # Its question, alternates, question+answer and answer sentences (it is article-sized).
    article_texts = sum(len(entry_texts(e, "en")) for e in extended.entries if "riverside" in e.id)
    assert manifest.vectors_encoded == article_texts
    assert manifest.vector_count == first.manifest.vector_count + article_texts
    # The new vectors are kept beside the graph, whose file the new build links, not rewrites.
    assert manifest.recent_vectors == article_texts
    assert graph_file(settings, manifest.build_id).stat().st_ino == (
        graph_file(settings, first.manifest.build_id).stat().st_ino
    )
    assert refitted == [["riverside-mayoral-election"]]
    # The collections the change did not touch keep their fits, equal to a rebuild's.
    fresh = rebuilt(settings, embedder)
    np.testing.assert_array_equal(extended.classifiers["helpdesk"], fresh.classifiers["helpdesk"])
    assert extended.manifest.calibrations == fresh.manifest.calibrations
    assert [e.id for e in extended.entries] == [e.id for e in fresh.entries]
    assert answers(extended, embedder) == answers(fresh, embedder)
    # What was published is what was built.
    loaded = load_index(settings.index_dir)
    assert loaded.manifest.extended_from == first.manifest.build_id
    assert answers(loaded, embedder) == answers(extended, embedder)


def test_past_the_recent_limit_the_new_vectors_join_the_graph(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = service.build(settings, embedder=embedder)[1]
    monkeypatch.setattr(incremental, "RECENT_LIMIT", 5)
    shutil.copy(ARTICLE, settings.corpus_dir)
    extended = service.build(settings, embedder=embedder)[1]
    assert extended.manifest.extended_from == first.manifest.build_id
    assert extended.manifest.recent_vectors == 0
    assert extended.vectors.ntotal == extended.manifest.vector_count
    assert graph_file(settings, extended.manifest.build_id).stat().st_ino != (
        graph_file(settings, first.manifest.build_id).stat().st_ino
    )
    assert answers(load_index(settings.index_dir), embedder) == answers(
        rebuilt(settings, embedder), embedder
    )


def graph_file(settings: Settings, build_id: str) -> Path:
    return settings.index_dir / "builds" / build_id / "vectors.faiss"


def test_an_edited_entry_is_encoded_again_and_its_old_vector_never_found(
    settings: Settings, embedder: Embedder
) -> None:
    service.build(settings, embedder=embedder)
    article = settings.corpus_dir / SEED_ARTICLE.name
    text = article.read_text()
    old = "This move comes amid rising regional tensions"
    assert old in text
    article.write_text(text.replace(old, "It comes as tensions in the region keep rising"))

    extended = service.build(settings, embedder=embedder)[1]
    assert extended.manifest.extended_from
    # The entry's question + answer text and the sentence that changed.
    assert extended.manifest.vectors_encoded == 2
    # Every vector of the entry is added anew (the unchanged texts' from the cache): its
    # question, question + answer and three answer sentences.
    assert extended.manifest.dead_vectors == 5
    dead = np.flatnonzero(extended.rows[:, 0] < 0)
    retriever = Retriever(extended, embedder)
    for question in ("Why are Seoul and Tokyo getting closer?", "is it because of tensions?"):
        hits = extended.search(retriever.embedder.encode([question])[0], 64)
        assert not set(hits.tolist()) & set(dead.tolist())
    assert answers(extended, embedder) == answers(rebuilt(settings, embedder), embedder)


def test_a_deleted_file_takes_its_collection_away(settings: Settings, embedder: Embedder) -> None:
    shutil.copy(ARTICLE, settings.corpus_dir)
    service.build(settings, embedder=embedder)
    (settings.corpus_dir / ARTICLE.name).unlink()

    extended = service.build(settings, embedder=embedder)[1]
    assert extended.manifest.extended_from
    assert "riverside-mayoral-election" not in extended.collection_ids()
    assert extended.manifest.vectors_encoded == 0
    answer = Retriever(extended, embedder).ask("Who is running for mayor of Riverside?")
    assert all(not entry_id.startswith("riverside") for entry_id, _ in answer.candidates)
    assert answers(extended, embedder) == answers(rebuilt(settings, embedder), embedder)


def test_too_many_dead_vectors_start_a_build_from_the_cache(
    settings: Settings, embedder: Embedder
) -> None:
    settings = settings.model_copy(update={"exact_search_limit": 5})  # the rest stays a graph
    service.build(settings, embedder=embedder)
    (settings.corpus_dir / "helpdesk.jsonl").unlink()  # most of the graph's vectors

    built = service.build(settings, embedder=embedder)[1]
    assert built.manifest.extended_from == ""
    assert built.manifest.index_type == "hnsw-fp16"
    assert built.manifest.dead_vectors == 0
    assert built.manifest.vectors_encoded == 0  # the seed article's vectors were kept


def test_a_forced_build_starts_over(settings: Settings, embedder: Embedder) -> None:
    service.build(settings, embedder=embedder)
    forced = service.build(settings, embedder=embedder, force=True)[1]
    assert forced.manifest.extended_from == ""
    assert forced.manifest.vectors_encoded == forced.manifest.vector_count


def test_a_worker_takes_over_what_did_not_change_and_answers_as_a_fresh_load_would(
    settings: Settings, embedder: Embedder
) -> None:
    service.build(settings, embedder=embedder)
    serving = load_index(settings.index_dir)
    before = Retriever(serving, embedder)
    article = settings.corpus_dir / SEED_ARTICLE.name
    old = "This move comes amid rising regional tensions"
    article.write_text(article.read_text().replace(old, "Tensions in the region keep rising"))
    shutil.copy(ARTICLE, settings.corpus_dir)
    service.build(settings, embedder=embedder)

    swapped = load_index(settings.index_dir, reuse=serving)
    after = Retriever(swapped, embedder, previous=before)
    fresh = load_index(settings.index_dir)
    assert swapped.entries == fresh.entries
    assert swapped.vectors is serving.vectors  # the graph file is the same: not read again
    assert fresh.vectors is not serving.vectors
    kept = {id(e) for e in serving.entries}
    taken = [e.id for e in swapped.entries if id(e) in kept]
    new = [e.id for e in swapped.entries if id(e) not in kept]
    assert new and all("riverside" in i or i.startswith(SEED_ARTICLE.stem) for i in new)
    assert len(taken) == len(serving.entries) - 1  # all but the edited entry
    assert answers(swapped, embedder) == answers(fresh, embedder)
    questions = [(e.question, e.collection) for e in fresh.entries] + [
        ("are tensions rising?", None)
    ]
    fresh_retriever = Retriever(fresh, embedder)
    for question, collection in questions:
        assert (
            after.ask(question, collection).to_dict()
            == fresh_retriever.ask(question, collection).to_dict()
        )
